import Clients
import Foundation
import Simulator
import Testing

@Suite("Prometheus and Slack clients against the simulators")
struct PrometheusSlackTests {
    @Test func valueNoDataAndUnreachableAreDistinct() async throws {
        let sim = PrometheusSimulator()
        try sim.start()
        defer { sim.stop() }
        sim.setUptime(app: "checkout", revision: "abc", value: 0.995)
        sim.setUptime(app: "checkout", revision: "zero", value: 0)
        let harness = Harness()
        let client = PrometheusClient(baseURL: sim.baseURL, context: harness.context)
        let at = Date().addingTimeInterval(-3600)
        #expect(
            await client.instantQuery(#"avg_over_time(up{app="checkout",revision="abc"}[24h])"#, at: at)
                == .value(0.995))
        #expect(await client.instantQuery(#"avg_over_time(up{app="checkout",revision="zero"}[24h])"#) == .value(0))
        #expect(await client.instantQuery(#"avg_over_time(up{app="checkout",revision="none"}[24h])"#) == .noData)
        #expect(sim.queries.first?.query == #"avg_over_time(up{app="checkout",revision="abc"}[24h])"#)
        #expect(sim.queries.first?.time != nil)

        sim.mode = .error(status: 422, errorType: "execution", message: "bad")
        guard case .unreachable = await client.instantQuery("up") else {
            Issue.record("expected unreachable")
            return
        }
        #expect(harness.delays.isEmpty)  // a bad query is not retried
        #expect(harness.last("prometheus.query")?.result == "VALIDATION_ERROR")

        sim.mode = .unreachable
        guard case .unreachable(let reason) = await client.instantQuery("up") else {
            Issue.record("expected unreachable")
            return
        }
        #expect(reason.contains("NETWORK_ERROR"))
        #expect(harness.delays == [.seconds(1), .seconds(2), .seconds(4)])
        #expect(harness.last("prometheus.query")?.result == "NETWORK_ERROR")
    }

    @Test func slackWebhookPostsAndFailures() async throws {
        let sim = SlackSimulator()
        try sim.start()
        defer { sim.stop() }
        let harness = Harness()
        let hook = sim.baseURL + "/services/T000/B000/SLACKSECRETxyz123"
        let client = SlackClient(webhookURL: Secret(hook), context: harness.context)
        try await client.post(text: "Rollback of checkout needs approval")
        #expect(sim.messages.map(\.text) == ["Rollback of checkout needs approval"])

        sim.rateLimitNext(1, retryAfter: 2)
        try await client.post(text: "second")
        #expect(harness.delays == [.seconds(2)])
        #expect(sim.messages.count == 2)

        sim.failNext(1, status: 404)
        let failure = await apiError { try await client.post(text: "third") }
        #expect(failure?.code == .notFound)
        let invalid = await apiError { try await client.post(json: Array("not json".utf8)) }
        #expect(invalid?.code == .validationError)
        for record in harness.sink.records {
            #expect(!"\(record)".contains("SLACKSECRET"))
        }
        #expect(!"\(String(describing: failure))".contains("SLACKSECRET"))
    }
}
