import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing
@testable import RecurrentHTTP
@testable import RecurrentJobs
@testable import RecurrentStore
import RecurrentTestSupport

/// `/metrics` after real training, and the structured log lines.
@Suite(.serialized, .postgresServer)
struct MetricsAndLogsTests {
    /// The value of the first sample line whose name and labels start with `series`.
    static func value(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && line.hasPrefix(series) {
            let rest = line.dropFirst(series.count)
            guard rest.first == " " || (series.hasSuffix("}") == false && rest.first == "{") else { continue }
            if let number = line.split(separator: " ").last.flatMap({ Double($0) }) { return number }
        }
        return nil
    }

    @Test(arguments: StoreKind.allCases) func metricsCountTrainingSamplesAndRequests(store: StoreKind) async throws {
        try await TestServer(store: store).run { client in
            let id = try await client.create(TestServer.smallModel(["max_ticks": 400]))
            _ = try await client.waitForModel(id) { status($0) == "succeeded" }
            let generated = try await client.post("/api/models/\(id)/generate", ["count": 3, "max_length": 10])
            #expect(generated.status == .ok)
            _ = try await client.get("/api/models/999")

            let reply = try await client.get("/metrics")
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = reply.text
            #expect(Self.value(text, "recurrent_ticks_total") == 400, "\(text)")
            // The ten sentences: 22 to 27 characters, plus END, per tick.
            let characters = try #require(Self.value(text, "recurrent_characters_trained_total"))
            #expect(characters >= 400 * 22 && characters <= 400 * 28)
            #expect(Self.value(text, #"recurrent_jobs{status="succeeded"}"#) == 1)
            #expect(Self.value(text, #"recurrent_jobs{status="running"}"#) == 0)
            #expect(Self.value(text, #"recurrent_samples_generated_total{source="api"}"#) == 3)
            #expect((Self.value(text, #"recurrent_samples_generated_total{source="recorded"}"#) ?? 0) > 0)
            #expect(Self.value(text, #"http_requests_total{route="/api/models",method="POST",status="201"}"#) == 1)
            #expect(Self.value(text, #"http_requests_total{route="/api/models/{id}",method="GET",status="404"}"#) == 1)
            #expect((Self.value(text, #"http_request_duration_seconds_count{route="/api/models/{id}/generate",method="POST",status="200"}"#) ?? 0) == 1)
            #expect(text.contains("# TYPE http_request_duration_seconds histogram"))
        }
    }

    @Test(arguments: StoreKind.allCases) func requestsAndJobLifecycleAreLoggedAsJSON(store: StoreKind) async throws {
        let lines = Mutex<[String]>([])
        let sink = LogSink { line in lines.withLock { $0.append(line) } }
        let logger = makeServiceLogger(format: .json, level: .info, output: sink)
        try await TestServer(store: store, logger: logger).run { client in
            let id = try await client.create(TestServer.smallModel(["max_ticks": 100]))
            _ = try await client.waitForModel(id) { status($0) == "succeeded" }
        }
        let records = lines.withLock { $0 }.map { line -> [String: Any] in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not a JSON object: \(line)")
            return object ?? [:]
        }
        #expect(records.allSatisfy { $0["time"] is String && $0["level"] is String && $0["message"] is String })
        let created = records.first { $0["message"] as? String == "request" && $0["method"] as? String == "POST" }
        #expect(created?["path"] as? String == "/api/models")
        #expect(created?["status"] as? Int == 201)
        #expect(created?["duration_ms"] is Double)
        // A cluster node's job starts with a claim of its lease (the line names the worker too).
        let start = store == .sqlite ? "job started" : "job claimed"
        #expect(records.contains { $0["message"] as? String == start && $0["model"] as? String == "1" })
        #expect(records.contains { $0["message"] as? String == "job ended" && $0["outcome"] as? String == "succeeded" })
    }

    @Test func textLogLinesCarryTheirMetadata() {
        let lines = Mutex<[String]>([])
        var logger = makeServiceLogger(format: .text, level: .warning, output: LogSink { line in lines.withLock { $0.append(line) } })
        logger[metadataKey: "model"] = "7"
        logger.info("hidden below the level")
        logger.warning("slow", metadata: ["ticks": "12"])
        let written = lines.withLock { $0 }
        #expect(written.count == 1)
        #expect(written.first?.hasSuffix("warning recurrent: slow model=7 ticks=12") == true, "\(written)")
    }
}
