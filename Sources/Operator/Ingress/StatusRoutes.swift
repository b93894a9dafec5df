import Foundation
import HTTPServer
import Storage

/// Health, readiness, metrics and the deliveries listing.
struct StatusRoutes {
    let state: ServiceState
    let metrics: OperatorMetrics

    func register(on router: inout Router) {
        router.get("/healthz") { _, res in res.respond(.json(200, ["status": "ok"])) }
        router.get("/readyz") { [state] _, res in
            res.respond(
                state.ready
                    ? .json(200, ["status": "ready"])
                    : .error(503, "not_ready", "the store is not open or recovery has not finished"))
        }
        router.get("/metrics") { [metrics] _, res in
            res.respond(.text(200, metrics.registry.render(), contentType: MetricsRegistry.contentType))
        }
        router.get("/api/v1/deliveries") { [state, metrics] req, res in
            // At most: the whole ring of rejected requests and room for the stored deliveries.
            let maxLimit = 5000
            var limit = 50
            if let text = req.query["limit"] {
                guard let requestedLimit = Int(text), (1...maxLimit).contains(requestedLimit) else {
                    res.respond(.error(400, "invalid_parameter", "limit must be a whole number from 1 to \(maxLimit)"))
                    return
                }
                limit = requestedLimit
            }
            guard let inbox = state.inbox else {
                res.respond(.error(503, "store_unavailable", "the store is not open yet"))
                return
            }
            let rejected = metrics.rejectedRequests
            // The stored ones are a database read: off this (libmicrohttpd) thread.
            SlowReads.run { [limit] in
                do {
                    let deliveries = RejectedRequests.merge(
                        stored: try inbox.recentDeliveries(limit: limit), rejected: rejected.newest(limit),
                        limit: limit)
                    res.respond(.json(200, DeliveryList(deliveries: deliveries)))
                } catch {
                    res.respond(.error(503, "store_unavailable", "the deliveries could not be read"))
                }
            }
        }
    }

    struct DeliveryList: Encodable { let deliveries: [DeliveryRecord] }
}
