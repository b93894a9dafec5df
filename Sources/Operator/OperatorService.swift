import Foundation
import HTTPServer
import Logging
import RollbackCore
import Storage
import Webhooks

/// The running service: the HTTP server, the store and (later) the engine.
/// `start()` serves `/healthz` at once, then opens the store and turns ready;
/// `stop()` stops accepting, finishes requests in flight, then closes the store.
public final class OperatorService: Sendable {
    public let config: OperatorConfig
    public let metrics: OperatorMetrics
    let logger: Logger
    let state = ServiceState()
    let server: HTTPServer
    let clock: @Sendable () -> Date
    let storeOptions: StoreOptions
    let observer: (@Sendable (StepReport) -> Void)?
    let auditMirror: (@Sendable (String) -> Void)?
    private let parts = PartsBox()

    /// - Parameters:
    ///   - observer: sees every step of every application (the demo's timeline, tests).
    ///   - auditMirror: receives every audit line once durable (stdout for a log shipper).
    public init(
        config: OperatorConfig, logger: Logger, clock: @escaping @Sendable () -> Date = { Date() },
        storeOptions: StoreOptions = StoreOptions(), observer: (@Sendable (StepReport) -> Void)? = nil,
        auditMirror: (@Sendable (String) -> Void)? = nil
    ) {
        self.config = config
        self.storeOptions = storeOptions
        self.observer = observer
        self.auditMirror = auditMirror
        self.logger = logger
        self.clock = clock
        let metrics = OperatorMetrics()
        self.metrics = metrics
        var router = Router()
        let state = self.state
        let ingress = WebhookIngress(
            config: config, state: state, metrics: metrics, logger: logger, clock: clock,
            onStored: { state.router?.poke() })
        ingress.register(on: &router)
        StatusRoutes(state: state, metrics: metrics).register(on: &router)
        let parts = self.parts
        StatusAPI(
            state: state, audit: { parts.value?.audit }, token: BearerTokenVerifier(token: config.apiToken),
            logger: logger
        ).register(on: &router)
        let duration = metrics.httpRequestDuration
        server = HTTPServer(configuration: .init(address: config.listenAddress), router: router) { done in
            duration.observe([done.method, done.route, String(done.status)], done.seconds)
        }
    }

    /// The bound port (useful with `LISTEN_ADDR=127.0.0.1:0`).
    public var port: Int { server.port }

    public func start() throws {
        try server.start()
        logger.info("listening", metadata: ["address": "\(config.listenAddress)", "port": "\(server.port)"])
        let store: Store
        do {
            try FileManager.default.createDirectory(atPath: config.dataDir, withIntermediateDirectories: true)
            store = try Store.open(directory: config.dataDir, options: storeOptions)
        } catch {
            server.stop()
            throw ServiceError.storeUnavailable("\(config.dataDir): \(error)")
        }
        state.opened(store)
        do {
            let running = try RunningParts(
                config: config, store: store, metrics: metrics, logger: logger, clock: clock,
                observer: observer, auditMirror: auditMirror)
            parts.set(running)
            state.running(running.engine, running.router)
            try running.start(logger: logger)
        } catch {
            server.stop()
            state.closing()?.close()
            throw ServiceError.startFailed("\(error)")
        }
        state.markReady(true)
        logger.info("store open, recovery done; ready", metadata: ["dataDir": "\(config.dataDir)"])
    }

    /// Synchronous on purpose: it never needs a thread of Swift's cooperative pool.
    public func stop() {
        logger.info("stopping: finishing requests in flight")
        state.markReady(false)
        server.stop()
        parts.value?.stop()
        state.closing()?.close()
        logger.info("stopped")
    }

    /// Every (method, path pattern) the service answers.
    public var routes: [(method: String, pattern: String)] { server.routes }

    /// The engine (nil before `start()`), for the demo and tests.
    public var engineForInspection: Engine? { state.engine }
}

public enum ServiceError: Error, CustomStringConvertible {
    case storeUnavailable(String)
    case startFailed(String)
    public var description: String {
        switch self {
        case .storeUnavailable(let why): return "the store could not be opened: \(why)"
        case .startFailed(let why): return "the service could not start: \(why)"
        }
    }
}

/// The running parts, once started.
final class PartsBox: @unchecked Sendable {
    // Safe: `parts` is only touched under `lock`.
    private let lock = NSLock()
    private var parts: RunningParts?
    var value: RunningParts? {
        lock.lock()
        defer { lock.unlock() }
        return parts
    }
    func set(_ runningParts: RunningParts) {
        lock.lock()
        parts = runningParts
        lock.unlock()
    }
}
