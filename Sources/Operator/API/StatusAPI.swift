import Foundation
import HTTPServer
import Logging
import RollbackCore
import Webhooks

/// Reads audit entries for the API, as the JSON lines they are stored as.
public protocol AuditReading: Sendable {
    func entryLines(correlationId: String) throws -> [String]
}

/// The REST status API of SPEC 16: applications, attempts, their audit entries, and the
/// authenticated commands, which go through the same engine path as ChatOps commands.
struct StatusAPI: Sendable {
    let state: ServiceState
    let audit: @Sendable () -> AuditReading?
    let token: BearerTokenVerifier
    let logger: Logger

    func register(on router: inout Router) {
        router.get("/api/v1/applications") { [self] _, res in
            guard let engine = ready(res) else { return }
            let apps = engine.allWorkers.map { worker -> APIViews.ApplicationSummary in
                let snapshot = worker.snapshot
                return APIViews.summary(snapshot.app, snapshot.machine)
            }.sorted { $0.name < $1.name }
            res.respond(.json(200, APIViews.ApplicationList(applications: apps)))
        }
        router.get("/api/v1/applications/{name}") { [self] req, res in
            guard let engine = ready(res) else { return }
            guard let worker = engine.existingWorker(req.pathParameters["name"] ?? "") else {
                res.respond(
                    .error(404, "not_found", "no monitored application named \(req.pathParameters["name"] ?? "")"))
                return
            }
            let snapshot = worker.snapshot
            res.respond(.json(200, APIViews.detail(snapshot.app, snapshot.machine)))
        }
        router.get("/api/v1/rollbacks/{correlationId}") { [self] req, res in
            guard let engine = ready(res) else { return }
            let id = req.pathParameters["correlationId"] ?? ""
            // A finished attempt is read from the store: off this (libmicrohttpd) thread.
            SlowReads.run { [self] in
                guard let view = attempt(id, engine) else {
                    res.respond(.error(404, "not_found", "no rollback attempt with correlation id \(id)"))
                    return
                }
                res.respond(.json(200, view))
            }
        }
        router.get("/api/v1/rollbacks/{correlationId}/audit") { [self] req, res in
            guard let engine = ready(res) else { return }
            guard let audit = audit() else {
                res.respond(.error(503, "audit_unavailable", "the audit log is not open yet"))
                return
            }
            let id = req.pathParameters["correlationId"] ?? ""
            // A store read and a file read: off this (libmicrohttpd) thread; answered when done.
            SlowReads.run { [self] in
                guard attempt(id, engine) != nil else {
                    res.respond(.error(404, "not_found", "no rollback attempt with correlation id \(id)"))
                    return
                }
                do {
                    let lines = try audit.entryLines(correlationId: id)
                    var body = Array(#"{"entries":["#.utf8)
                    for (index, line) in lines.enumerated() {
                        if index > 0 { body.append(UInt8(ascii: ",")) }
                        body.append(contentsOf: line.utf8)
                    }
                    body.append(contentsOf: "]}".utf8)
                    res.respond(.json(200, bytes: body))
                } catch {
                    logger.error("audit read failed", metadata: ["error": "\(error)"])
                    res.respond(.error(503, "audit_unavailable", "the audit log could not be read"))
                }
            }
        }
        for kind in CommandKind.allCases {
            let verb = kind.rawValue.lowercased()
            router.post("/api/v1/rollbacks/{correlationId}/\(verb)") { [self] req, res in command(kind, req, res) }
        }
        router.post("/reset/{correlationId}") { [self] req, res in command(.reset, req, res) }
    }

    /// The engine, or a 503 answer while the service is starting.
    private func ready(_ res: HTTPResponder) -> Engine? {
        if let engine = state.engine { return engine }
        res.respond(.error(503, "not_ready", "the engine is starting; retry shortly"))
        return nil
    }

    /// An open attempt from its worker, or a finished one from the store.
    func attempt(_ id: String, _ engine: Engine) -> APIViews.AttemptView? {
        if let worker = engine.worker(correlationId: id) {
            let snapshot = worker.snapshot
            if let attempt = snapshot.machine.attempt {
                return APIViews.attempt(
                    attempt, app: snapshot.app.name, environment: snapshot.app.info.environment,
                    state: snapshot.machine.state)
            }
        }
        guard let row = try? engine.core.store.attempt(id) else { return nil }
        let env = engine.existingWorker(row.app)?.snapshot.app.info.environment ?? .production
        return APIViews.attempt(row.attempt, app: row.app, environment: env, state: row.state)
    }

    private func command(_ kind: CommandKind, _ req: HTTPRequest, _ res: HTTPResponder) {
        let header = req.header("authorization")
        guard let header, header.lowercased().hasPrefix("bearer ") else {
            res.respond(.error(401, "unauthorized", "Authorization: Bearer <API_TOKEN> is required"))
            return
        }
        guard token.verify(authorizationHeader: header) else {
            res.respond(.error(403, "forbidden", "the token is not valid for commands"))
            return
        }
        guard let engine = ready(res) else { return }
        let id = req.pathParameters["correlationId"] ?? ""
        guard let worker = engine.worker(correlationId: id) else {
            // Whether it ended or never existed is a store read: off this (libmicrohttpd) thread.
            SlowReads.run {
                if (try? engine.core.store.attempt(id)) != nil {
                    res.respond(
                        .error(409, "attempt_ended", "the attempt \(id) has ended; \(kind.rawValue) does not apply"))
                } else {
                    res.respond(.error(404, "not_found", "no rollback attempt with correlation id \(id)"))
                }
            }
            return
        }
        let logger = self.logger
        Task {
            let input = CommandInput(kind: kind, sender: "api", isAuthorized: true, channel: .rest)
            guard let report = await engine.submitAndWait(.command(input), to: worker) else {
                res.respond(.error(503, "timeout", "the command was queued but did not finish in time"))
                return
            }
            let reply = report.transition.actions.lazy.compactMap { action -> CommandReply? in
                if case .reply(let commandReply) = action { return commandReply } else { return nil }
            }.first
            let applied = !report.transition.isIgnored && (reply?.applied ?? true)
            let message = reply?.text ?? (applied ? "\(kind.rawValue) applied" : AppWorker.reason(report.transition))
            logger.info(
                "REST command",
                metadata: [
                    "command": "\(kind.rawValue)", "correlationId": "\(id)",
                    "applied": "\(applied)", "state": "\(report.machine.state.rawValue)",
                ])
            if applied {
                res.respond(
                    .json(
                        200,
                        APIViews.CommandResult(
                            correlationId: id, command: kind.rawValue,
                            state: report.machine.state.rawValue, message: message)))
            } else {
                res.respond(.error(409, "not_applicable", message))
            }
        }
    }
}
