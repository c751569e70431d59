import Foundation
import Hummingbird
import HummingbirdTesting
import Recurrent
import Testing
@testable import RecurrentHTTP
@testable import RecurrentJobs
@testable import RecurrentStore
import RecurrentTestSupport

/// `generate` from the best weights (`"weights": "best"`), the estimate a
/// page asks for before it creates a model, and the limits in the health
/// answer, over real loopback HTTP.
@Suite(.serialized, .postgresServer)
struct BestWeightsGenerateTests {
    /// A text model that validates every 20 ticks and stops at 130, so its
    /// best weights (at most tick 120) are never its current ones.
    static var textModel: [String: Any] {
        TextCorpusServiceTests.textModel(["generator": "lstm", "dropout": 0, "max_ticks": 130])
    }

    static func texts(_ reply: Reply) -> [String] {
        (reply.json["samples"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
    }

    /// The server's samples from `weights` equal those the engine draws from
    /// the matching export, with the same options and seed.
    @Test(arguments: StoreKind.allCases) func bestWeightsSampleAsTheBestExportDoes(store: StoreKind) async throws {
        let server = try await TestServer(store: store)
        try await server.run { client in
            let id = try await client.create(Self.textModel)
            let done = try await client.waitForModel(id, timeout: 60) { status($0) == "succeeded" }
            let bestStep = try #require(done["best_step"] as? Int)
            #expect(bestStep <= 120 && ticks(done) == 130)
            // Once the job has left its slot, the current weights are the final checkpoint's.
            try await client.waitFor("/api/health") { (($0["jobs"] as? [String: Any])?["running"] as? Int) == 0 }
            var logprobs: [String: Double] = [:]
            for (weights, query) in [("best", "?weights=best"), ("current", "")] {
                let exported = try await client.get("/api/models/\(id)/export\(query)")
                try #require(exported.status == .ok, "\(exported.text)")
                let local = try ModelFile.load(Data(exported.text.utf8)).model
                if weights == "best" {
                    let training = try #require(try JSONSerialization.jsonObject(with: Data(exported.text.utf8)) as? [String: Any])
                    #expect((training["training"] as? [String: Any])?["ticks"] as? Int == bestStep)
                }
                let greedy = try await client.post("/api/models/\(id)/generate",
                                                   ["weights": weights, "greedy": true, "max_length": 80, "prime": "the "])
                #expect(greedy.status == .ok, "\(greedy.text)")
                let expectedGreedy = try local.generate(SamplingOptions(greedy: true, maxLength: 80, prime: "the "))
                #expect(Self.texts(greedy) == expectedGreedy.map(\.text), "\(weights) greedy")

                let sampled = try await client.post("/api/models/\(id)/generate",
                                                    ["weights": weights, "count": 3, "seed": 11, "temperature": 0.9, "max_length": 60])
                #expect(sampled.status == .ok, "\(sampled.text)")
                let expected = try local.generate(SamplingOptions(temperature: 0.9, maxLength: 60, seed: 11), count: 3)
                #expect(Self.texts(sampled) == expected.map(\.text), "\(weights) samples")

                // The log-probability of one fixed text tells the two sets of weights apart
                // even where their samples agree.
                let scored = try await client.post("/api/models/\(id)/generate",
                                                   ["weights": weights, "greedy": true, "max_length": 40, "prime": "the cat "])
                let logprob = try #require((scored.json["samples"] as? [[String: Any]])?.first?["logprob"] as? Double)
                let expectedLogprob = try local.generate(SamplingOptions(greedy: true, maxLength: 40, prime: "the cat "))[0].logprob
                #expect(abs(logprob - expectedLogprob) < 1e-6 * max(1, abs(logprob)), "\(weights): \(logprob) vs \(expectedLogprob)")
                logprobs[weights] = logprob
            }
            #expect(logprobs["best"] != logprobs["current"], "best and current weights gave the same log-probability")
            // The default is the current weights.
            let plain = try await client.post("/api/models/\(id)/generate", ["greedy": true, "max_length": 80, "prime": "the "])
            let current = try await client.post("/api/models/\(id)/generate",
                                                ["weights": "current", "greedy": true, "max_length": 80, "prime": "the "])
            #expect(Self.texts(plain) == Self.texts(current))
            // Streamed from the best weights: the same text.
            let streamed = try await client.post("/api/models/\(id)/generate",
                                                 ["weights": "best", "greedy": true, "max_length": 80, "prime": "the ", "stream": true])
            let chunks = streamed.text.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["text"] as? String
            }
            let best = try await client.post("/api/models/\(id)/generate",
                                             ["weights": "best", "greedy": true, "max_length": 80, "prime": "the "])
            #expect([chunks.joined()] == Self.texts(best))
        }
    }

    @Test(arguments: StoreKind.allCases) func noBestWeightsIsA404NamingWeights(store: StoreKind) async throws {
        let server = try await TestServer(store: store)
        try await server.run { client in
            // Sentences never validate, so they never have best weights.
            let id = try await client.create(TestServer.smallModel(["start": false]))
            let reply = try await client.post("/api/models/\(id)/generate", ["weights": "best"])
            #expect(reply.status == .notFound, "\(reply.text)")
            #expect(reply.errorCode == "no_best_weights")
            #expect(reply.errorField == "weights")
            // A text model before its first validation has none either.
            let text = try await client.create(TextCorpusServiceTests.textModel(["start": false]))
            let early = try await client.post("/api/models/\(text)/generate", ["weights": "best"])
            #expect(early.status == .notFound && early.errorCode == "no_best_weights", "\(early.text)")
            // The model itself still samples from its current weights.
            #expect(try await client.post("/api/models/\(id)/generate", ["weights": "current"]).status == .ok)
        }
    }

    @Test(arguments: StoreKind.allCases, [
        (#"{"weights": "newest"}"#, HTTPResponse.Status.unprocessableContent, "invalid_value"),
        (#"{"weights": ""}"#, .unprocessableContent, "invalid_value"),
        (#"{"weights": 1}"#, .badRequest, "invalid_type"),
        (#"{"weights": ["best"]}"#, .badRequest, "invalid_type"),
    ])
    func badWeightsAreRefusedNamingTheField(store: StoreKind, refused: (String, HTTPResponse.Status, String)) async throws {
        let (body, expected, code) = refused
        let server = try await TestServer(store: store)
        try await server.run { client in
            let id = try await client.create(TestServer.smallModel(["start": false]))
            let reply = try await client.request(.post, "/api/models/\(id)/generate", raw: body)
            #expect(reply.status == expected, "\(body): \(reply.text)")
            #expect(reply.errorCode == code, "\(body): \(reply.text)")
            #expect(reply.errorField == "weights", "\(body): \(reply.text)")
        }
    }

    /// The estimate agrees with the model a create makes, stores nothing,
    /// says when a model is past the budget and refuses what a create refuses.
    @Test(arguments: StoreKind.allCases) func estimateMatchesTheCreatedModelAndStoresNothing(store: StoreKind) async throws {
        let server = try await TestServer(store: store, limits: { $0.maxCorpusBytes = 50_000 })
        try await server.run { client in
            var body = TextCorpusServiceTests.textModel(["start": false])
            let estimate = try await client.post("/api/models/estimate", body)
            #expect(estimate.status == .ok, "\(estimate.text)")
            #expect(try await server.store.models(limit: 10, before: nil, status: nil).isEmpty)
            let characters = TextCorpusServiceTests.book.unicodeScalars.count
            #expect(estimate.json["characters"] as? Int == characters)
            #expect(estimate.json["validation_characters"] as? Int == Int(Double(characters) * 0.1))
            #expect(estimate.json["sentence_count"] as? Int == 1)
            #expect(estimate.json["fits"] as? Bool == true)
            let memory = try #require(estimate.json["memory_bytes"] as? Int)
            #expect(memory > 0 && memory < estimate.json["memory_budget_bytes"] as? Int ?? 0)

            let created = try await client.post("/api/models", body)
            try #require(created.status == .created, "\(created.text)")
            #expect(estimate.json["parameter_count"] as? Int == created.json["parameter_count"] as? Int)
            #expect(estimate.json["vocabulary_size"] as? Int == created.json["vocabulary_size"] as? Int)

            // Past the budget: the estimate says so where a create refuses.
            body["hidden_sizes"] = [1024, 1024]
            body["batch_size"] = 1024
            body["seq_length"] = 4096
            let large = try await client.post("/api/models/estimate", body)
            #expect(large.status == .ok, "\(large.text)")
            #expect(large.json["fits"] as? Bool == false)
            #expect((large.json["memory_bytes"] as? Int ?? 0) > (large.json["memory_budget_bytes"] as? Int ?? .max))
            #expect(try await client.post("/api/models", body).errorCode == "memory_budget")

            // Refused as a create refuses: the field named.
            let badRate = try await client.post("/api/models/estimate", TextCorpusServiceTests.textModel(["val_fraction": 1.0]))
            #expect(badRate.status == .unprocessableContent && badRate.errorField == "val_fraction", "\(badRate.text)")
            let tooLarge = try await client.post("/api/models/estimate",
                                                 TextCorpusServiceTests.textModel(["text": String(repeating: "ab", count: 30_000)]))
            #expect(tooLarge.status == .unprocessableContent && tooLarge.errorCode == "corpus_too_large", "\(tooLarge.text)")
            #expect(tooLarge.errorField == "text")

            // The health answer states the configured limits.
            let limits = try #require(try await client.get("/api/health").json["limits"] as? [String: Any])
            #expect(limits["max_corpus_bytes"] as? Int == 50_000)
            #expect(limits["max_body_bytes"] as? Int == ServiceLimits().maxBodyBytes)
            #expect(limits["memory_budget_bytes"] as? Int == ServiceLimits().memoryBudgetBytes)
            #expect(limits["max_upload_bytes"] as? Int == ServiceLimits().maxUploadBytes)
            #expect(try await server.store.models(limit: 10, before: nil, status: nil).count == 1)
        }
    }
}
