import Foundation
import HTTPServer
import Logging
import Storage

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

    public init(config: OperatorConfig, logger: Logger, clock: @escaping @Sendable () -> Date = { Date() },
                storeOptions: StoreOptions = StoreOptions()) {
        self.config = config
        self.storeOptions = storeOptions
        self.logger = logger
        self.clock = clock
        let metrics = OperatorMetrics()
        self.metrics = metrics
        var router = Router()
        let ingress = WebhookIngress(config: config, state: state, metrics: metrics, logger: logger, clock: clock,
                                     onStored: { _ in })
        ingress.register(on: &router)
        StatusRoutes(state: state, metrics: metrics).register(on: &router)
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
        state.markReady(true)
        logger.info("store open; ready", metadata: ["dataDir": "\(config.dataDir)"])
    }

    public func stop() {
        logger.info("stopping: finishing requests in flight")
        state.markReady(false)
        server.stop()
        state.closing()?.close()
        logger.info("stopped")
    }
}

public enum ServiceError: Error, CustomStringConvertible {
    case storeUnavailable(String)
    public var description: String {
        switch self {
        case let .storeUnavailable(why): return "the store could not be opened: \(why)"
        }
    }
}
