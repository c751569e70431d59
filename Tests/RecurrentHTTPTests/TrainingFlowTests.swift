import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import RecurrentHTTP
@testable import RecurrentJobs
@testable import RecurrentStore
import RecurrentTestSupport

/// The life of a model through the API, on a real server and database.
@Suite(.serialized, .postgresServer)
struct TrainingFlowTests {
    @Test(arguments: StoreKind.allCases) func createTrainPatchPauseResumeGenerateDelete(store: StoreKind) async throws {
        let server = try await TestServer(store: store)
        try await server.run { client in
            let created = try await client.post("/api/models", TestServer.smallModel())
            #expect(created.status == .created)
            #expect(created.json["config"].flatMap { ($0 as? [String: Any])?["hidden_sizes"] as? [Int] } == [8])
            #expect(created.json["learning_rate"] as? Double == 0.01)
            let id = try #require(created.json["id"] as? Int)

            // Ticks grow, samples (five at the temperature and the greedy one per round) and metrics appear.
            let firstTicks = ticks(try await client.waitForModel(id) { ticks($0) > 0 })
            try await client.waitForModel(id) { ticks($0) > firstTicks + 100 }
            let samples = try await client.waitFor("/api/models/\(id)/samples?limit=12") { ($0["samples"] as? [Any])?.count == 12 }
            let entries = samples["samples"] as? [[String: Any]] ?? []
            #expect(entries.prefix(6).filter { $0["kind"] as? String == "sample" }.count == 5)
            #expect(entries.prefix(6).filter { $0["kind"] as? String == "greedy" }.count == 1)
            #expect(entries.allSatisfy { ($0["step"] as? Int ?? 0) % 50 == 0 })
            let metrics = try await client.waitFor("/api/models/\(id)/metrics") { !(($0["metrics"] as? [Any]) ?? []).isEmpty }
            let point = try #require((metrics["metrics"] as? [[String: Any]])?.first)
            #expect(point["step"] as? Int == 100)
            #expect((point["median_perplexity"] as? Double ?? 0) > 1)
            let csv = try await client.get("/api/models/\(id)/metrics?format=csv")
            #expect(csv.text.hasPrefix("step,median_perplexity,mean_loss,learning_rate,ticks_per_sec,time,validation_loss\n100,"))

            // A learning-rate change shows up in the status and the next metric points.
            let patched = try await client.request(.patch, "/api/models/\(id)", body: ["learning_rate": 0.002, "name": "renamed"])
            #expect(patched.status == .ok)
            #expect(patched.json["learning_rate"] as? Double == 0.002)
            #expect(patched.json["name"] as? String == "renamed")
            try await client.waitFor("/api/models/\(id)/metrics?limit=1000") { json in
                ((json["metrics"] as? [[String: Any]]) ?? []).contains { $0["learning_rate"] as? Double == 0.002 }
            }

            // Pause stops the ticks.
            let paused = try await client.post("/api/models/\(id)/pause")
            #expect(paused.status == .ok)
            #expect(status(paused.json) == "paused")
            let pausedTicks = ticks(paused.json)
            try await Task.sleep(for: .milliseconds(300))
            #expect(ticks(try await client.model(id)) == pausedTicks)
            #expect(try await client.model(id)["checkpoint_ticks"] as? Int == pausedTicks)
            #expect(try await client.post("/api/models/\(id)/pause").status == .conflict)

            // Resume: training goes on from where it stopped.
            let resumed = try await client.post("/api/models/\(id)/resume")
            #expect(resumed.status == .ok)
            #expect(["running", "queued"].contains(status(resumed.json)))
            try await client.waitForModel(id) { ticks($0) > pausedTicks + 50 }
            #expect(try await client.post("/api/models/\(id)/resume").status == .conflict)

            // Generate while training: plain and streamed.
            let generated = try await client.post("/api/models/\(id)/generate", ["count": 3, "max_length": 30, "prime": "the", "seed": 1])
            #expect(generated.status == .ok)
            let texts = (generated.json["samples"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
            #expect(texts.count == 3)
            #expect(texts.allSatisfy { $0.hasPrefix("the") && $0.unicodeScalars.count <= 33 })
            let streamed = try await client.post("/api/models/\(id)/generate", ["stream": true, "max_length": 20, "seed": 2])
            #expect(streamed.status == .ok)
            #expect(streamed.headers[.contentType] == "application/x-ndjson")
            let lines = streamed.text.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(lines.allSatisfy { $0 != nil })
            let last = try #require(lines.last ?? nil)
            #expect(last["done"] as? Bool == true)
            #expect(["stop", "length"].contains(last["done_reason"] as? String ?? ""))
            #expect(lines.dropLast().allSatisfy { ($0?["text"] as? String)?.unicodeScalars.count == 1 })

            // Evaluate and predict.
            let evaluation = try await client.post("/api/models/\(id)/evaluate", ["text": TestServer.corpus + "\nzzz qqq xxx"])
            #expect(evaluation.status == .ok)
            #expect(evaluation.json["sentences"] as? Int == 10)
            #expect(evaluation.json["skipped"] as? Int == 1)
            #expect((evaluation.json["perplexity"] as? Double ?? 0) > 1)
            let prediction = try await client.post("/api/models/\(id)/predict", ["context": "the ca", "top_k": 5])
            #expect(prediction.status == .ok)
            let ranked = prediction.json["predictions"] as? [[String: Any]] ?? []
            #expect(ranked.count == 5)
            let probabilities = ranked.compactMap { $0["probability"] as? Double }
            #expect(probabilities == probabilities.sorted(by: >))
            #expect(probabilities.reduce(0, +) <= 1.0001)

            // Delete removes every row.
            let deleted = try await client.request(.delete, "/api/models/\(id)")
            #expect(deleted.status == .noContent)
            #expect(try await client.get("/api/models/\(id)").status == .notFound)
            let counts = try await server.store.rowCounts(Int64(id))
            #expect(counts.values.allSatisfy { $0 == 0 }, "rows left: \(counts)")
        }
    }

    /// A fast model records a round of samples at most once a second, not
    /// every 50 ticks, so the samples table grows with time, not with ticks.
    @Test(arguments: StoreKind.allCases) func recordedSamplesAreAtMostOneRoundASecond(store: StoreKind) async throws {
        let server = try await TestServer(store: store)
        try await server.run { client in
            let started = Date()
            let id = try await client.create(TestServer.smallModel(["hidden_sizes": [4], "letter_size": 2]))
            let trained = try await client.waitForModel(id) { ticks($0) >= 3000 && Date().timeIntervalSince(started) > 2 }
            let paused = try await client.post("/api/models/\(id)/pause")
            #expect(paused.status == .ok)
            let elapsed = Date().timeIntervalSince(started)
            let rounds = try #require(try await server.store.rowCounts(Int64(id))["samples"]) / (TrainingJob.samplesPerRecord + 1)
            #expect(rounds >= 1)
            #expect(Double(rounds) <= elapsed.rounded(.up) + 1, "\(rounds) rounds in \(elapsed) s")
            #expect(ticks(trained) / TrainingJob.sampleInterval > 2 * rounds, "every 50 ticks would have been more rounds")
        }
    }

    @Test(arguments: StoreKind.allCases) func listNewestFirstWithCursorAndStatusFilter(store: StoreKind) async throws {
        let server = try await TestServer(store: store)
        try await server.run { client in
            var ids: [Int] = []
            for _ in 0..<3 { ids.append(try await client.create(TestServer.smallModel(["start": false]))) }
            let page = try await client.get("/api/models?limit=2")
            let listed = (page.json["models"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
            #expect(listed == [ids[2], ids[1]])
            let next = try #require(page.json["next_after"] as? Int)
            let rest = try await client.get("/api/models?limit=2&after=\(next)")
            #expect((rest.json["models"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int } == [ids[0]])
            #expect(rest.json["next_after"] is NSNull)
            let idle = try await client.get("/api/models?status=idle")
            #expect((idle.json["models"] as? [Any])?.count == 3)
            let running = try await client.get("/api/models?status=running")
            #expect((running.json["models"] as? [Any])?.count == 0)
            #expect(try await client.get("/api/models?status=bogus").status == .unprocessableContent)
            #expect(try await client.get("/api/models?limit=abc").status == .badRequest)
        }
    }

    @Test(arguments: StoreKind.allCases) func transitionsThatCannotHappenAre409(store: StoreKind) async throws {
        let server = try await TestServer(store: store)
        try await server.run { client in
            let id = try await client.create(TestServer.smallModel(["start": false]))
            #expect(status(try await client.model(id)) == "idle")
            let pause = try await client.post("/api/models/\(id)/pause")
            #expect(pause.status == .conflict)
            #expect(pause.errorCode == "invalid_transition")
            let cancelled = try await client.post("/api/models/\(id)/cancel")
            #expect(status(cancelled.json) == "cancelled")
            #expect(try await client.post("/api/models/\(id)/cancel").status == .conflict)
            #expect(try await client.post("/api/models/\(id)/resume").status == .conflict)
            // A model that reached max_ticks resumes only after max_ticks is raised.
            let done = try await client.create(TestServer.smallModel(["max_ticks": 120]))
            let finished = try await client.waitForModel(done) { status($0) == "succeeded" }
            #expect(ticks(finished) == 120)
            #expect(finished["checkpoint_ticks"] as? Int == 120)
            #expect(try await client.post("/api/models/\(done)/resume").status == .conflict)
            _ = try await client.request(.patch, "/api/models/\(done)", body: ["max_ticks": 200])
            #expect(try await client.post("/api/models/\(done)/resume").status == .ok)
            let again = try await client.waitForModel(done) { status($0) == "succeeded" }
            #expect(ticks(again) == 200)
        }
    }

    @Test(arguments: StoreKind.allCases) func moreJobsThanSlotsQueueFirstInFirstOut(store: StoreKind) async throws {
        let server = try await TestServer(store: store, maxJobs: 1)
        try await server.run { client in
            let first = try await client.create(TestServer.smallModel(["max_ticks": 1500]))
            let second = try await client.create(TestServer.smallModel(["max_ticks": 100]))
            let third = try await client.create(TestServer.smallModel(["max_ticks": 100]))
            // A cluster worker claims the job on its next poll or notification.
            try await client.waitForModel(first) { status($0) != "queued" }
            #expect(status(try await client.model(first)) == "running")
            #expect(status(try await client.model(second)) == "queued")
            #expect(status(try await client.model(third)) == "queued")
            let health = try await client.get("/api/health").json["jobs"] as? [String: Any]
            #expect(health?["running"] as? Int == 1)
            #expect(health?["queued"] as? Int == 2)
            try await client.waitForModel(second, timeout: 30) { status($0) != "queued" }
            #expect(status(try await client.model(first)) == "succeeded")
            #expect(ticks(try await client.model(first)) == 1500)
            try await client.waitForModel(third, timeout: 30) { status($0) == "succeeded" }
            #expect(status(try await client.model(second)) == "succeeded")
        }
    }

    @Test(arguments: StoreKind.allCases) func divergenceFailsTheJobAndKeepsTheCheckpoint(store: StoreKind) async throws {
        let server = try await TestServer(store: store)
        try await server.run { client in
            let id = try await client.create(TestServer.smallModel(["learning_rate": 1000, "clipval": 1000, "generator": "rnn"]))
            let failed = try await client.waitForModel(id) { status($0) == "failed" }
            let message = failed["error"] as? String ?? ""
            #expect(message.contains("lower learning rate"), "\(message)")
            // The weights of the last good checkpoint still answer.
            let generated = try await client.post("/api/models/\(id)/generate", ["max_length": 10, "seed": 1])
            #expect(generated.status == .ok)
        }
    }

    @Test(arguments: StoreKind.allCases) func eventsStreamProgressAndStatus(store: StoreKind) async throws {
        let server = try await TestServer(store: store)
        try await server.run { client in
            let id = try await client.create()
            try await client.waitForModel(id) { ticks($0) > 0 }
            // Samples and metric points of this small, fast model come many
            // times a second, progress about twice a second.
            let events = try await client.get("/api/models/\(id)/events?max_events=400")
            #expect(events.status == .ok)
            #expect(events.headers[.contentType] == "text/event-stream")
            #expect(events.text.hasPrefix("event: status\ndata: {"))
            #expect(events.text.contains("event: progress\ndata: {"))
            #expect(events.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }.count == 400)
            #expect(events.text.contains("event: samples\ndata: {"))
        }
    }

    @Test(arguments: StoreKind.allCases) func healthReportsVersionAndJobs(store: StoreKind) async throws {
        let server = try await TestServer(store: store, maxJobs: 3)
        try await server.run { client in
            let health = try await client.get("/api/health")
            #expect(health.status == .ok)
            #expect(health.json["status"] as? String == "ok")
            #expect(health.json["version"] as? String == ServiceVersion.current)
            #expect((health.json["jobs"] as? [String: Any])?["max_running"] as? Int == 3)
        }
    }
}
