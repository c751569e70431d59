import Foundation
import Hummingbird
import HummingbirdTesting
import Recurrent
import Testing
@testable import RecurrentHTTP
@testable import RecurrentJobs
@testable import RecurrentStore
import RecurrentTestSupport

@Suite(.serialized, .postgresServer)
struct TransferTests {
    static func evaluation(_ client: Client, _ id: Int) async throws -> [String: Any] {
        let reply = try await client.post("/api/models/\(id)/evaluate", ["text": TestServer.corpus])
        try #require(reply.status == .ok, "\(reply.text)")
        return reply.json
    }

    @Test(arguments: StoreKind.allCases) func exportThenImportEvaluatesTheSame(store: StoreKind) async throws {
        let server = try await TestServer(store: store)
        try await server.run { client in
            let id = try await client.create(TestServer.smallModel(["max_ticks": 300]))
            try await client.waitForModel(id) { status($0) == "succeeded" }
            let exported = try await client.get("/api/models/\(id)/export")
            #expect(exported.status == .ok)
            #expect(exported.headers[.contentDisposition]?.hasPrefix("attachment") == true)
            let file = exported.json
            #expect(file["generator"] as? String == "lstm")
            #expect((file["sentences"] as? [String])?.count == 10)
            #expect((file["training"] as? [String: Any])?["ticks"] as? Int == 300)
            #expect(file["solver"] != nil)

            let imported = try await client.request(.post, "/api/models/import", raw: exported.text)
            #expect(imported.status == .created, "\(imported.text)")
            #expect(status(imported.json) == "idle")
            #expect(ticks(imported.json) == 300)
            let copy = try #require(imported.json["id"] as? Int)
            let original = try await Self.evaluation(client, id)
            let twin = try await Self.evaluation(client, copy)
            let a = try #require(original["mean_loss"] as? Double), b = try #require(twin["mean_loss"] as? Double)
            #expect(abs(a - b) < 1e-5)
            #expect(abs((original["perplexity"] as? Double ?? 0) - (twin["perplexity"] as? Double ?? 1)) < 1e-5)

            // The imported model has its corpus and settings (max_ticks 300
            // included), so it trains on with /resume once max_ticks is raised.
            #expect(imported.json["max_ticks"] as? Int == 300)
            #expect(try await client.post("/api/models/\(copy)/resume").status == .conflict)
            _ = try await client.request(.patch, "/api/models/\(copy)", body: ["max_ticks": 10_000])
            #expect(try await client.post("/api/models/\(copy)/resume").status == .ok)
            try await client.waitForModel(copy) { ticks($0) > 300 }
        }
    }

    /// A file as the original library writes it: `w` keyed "0", "1", ... and
    /// no solver; it imports unchanged, evaluates as the original and, having
    /// no corpus, cannot be trained.
    @Test(arguments: StoreKind.allCases) func originalFormatImportsUnchanged(store: StoreKind) async throws {
        let server = try await TestServer(store: store)
        try await server.run { client in
            let id = try await client.create(TestServer.smallModel(["max_ticks": 200]))
            try await client.waitForModel(id) { status($0) == "succeeded" }
            var file = try await client.get("/api/models/\(id)/export").json
            for key in ["solver", "optimizer", "sentences", "training", "name"] { file.removeValue(forKey: key) }
            var matrices = file["model"] as? [String: Any] ?? [:]
            for (name, value) in matrices {
                var matrix = value as? [String: Any] ?? [:]
                let values = matrix["w"] as? [Any] ?? []
                matrix["w"] = Dictionary(uniqueKeysWithValues: values.enumerated().map { (String($0.offset), $0.element) })
                matrices[name] = matrix
            }
            file["model"] = matrices
            let imported = try await client.post("/api/models/import", file)
            #expect(imported.status == .created, "\(imported.text)")
            let copy = try #require(imported.json["id"] as? Int)
            #expect(imported.json["has_corpus"] as? Bool == false)
            let a = try await Self.evaluation(client, id)["mean_loss"] as? Double ?? 0
            let b = try await Self.evaluation(client, copy)["mean_loss"] as? Double ?? 1
            #expect(abs(a - b) < 1e-5)
            let resume = try await client.post("/api/models/\(copy)/resume")
            #expect(resume.status == .conflict)
            #expect(resume.errorCode == "no_corpus")
        }
    }

    @Test(arguments: StoreKind.allCases) func importWithCorpusAndSettings(store: StoreKind) async throws {
        let server = try await TestServer(store: store)
        try await server.run { client in
            let id = try await client.create(TestServer.smallModel(["start": false]))
            var file = try await client.get("/api/models/\(id)/export").json
            file.removeValue(forKey: "sentences")
            file["name"] = "from file"
            file["text"] = "the cat sat\nthe mat"
            file["learning_rate"] = 0.005
            let imported = try await client.post("/api/models/import", file)
            #expect(imported.status == .created, "\(imported.text)")
            #expect(imported.json["name"] as? String == "from file")
            #expect(imported.json["learning_rate"] as? Double == 0.005)
            #expect(imported.json["sentence_count"] as? Int == 2)

            file["text"] = "a corpus with QQQ"
            let bad = try await client.post("/api/models/import", file)
            #expect(bad.status == .unprocessableContent)
            #expect(bad.errorCode == "unknown_character")
            let broken = try await client.post("/api/models/import", ["generator": "lstm"])
            #expect(broken.status == .unprocessableContent)
            #expect(broken.errorCode == "invalid_model_file")
            #expect(try await server.store.totalModels() == 2)
        }
    }

    @Test func checkpointCodecRoundTrip() throws {
        for optimizer in Optimizer.allCases {
            var random = RandomSource(seed: 3)
            let vocabulary = Vocabulary(sentences: ["abc"])
            let model = CharacterModel(vocabulary: vocabulary, generator: .lstm, hiddenSizes: [4, 3], letterSize: 2, random: &random)
            let trainer = try CharacterTrainer(model: model, sentences: ["abc", "cab"], solver: Solver(optimizer: optimizer), random: random)
            for _ in 0..<5 { trainer.tick() }
            let data = CheckpointCodec.encode(network: model.network, solver: trainer.solver)
            let twin = RecurrentNetwork(generator: .lstm, symbolCount: vocabulary.symbolCount, letterSize: 2, hiddenSizes: [4, 3])
            let solver = try CheckpointCodec.decode(data, into: twin, optimizer: optimizer)
            for (mine, theirs) in zip(model.network.parameters, twin.parameters) {
                #expect(mine.matrix.valueArray == theirs.matrix.valueArray)
            }
            #expect(solver.adamSteps == trainer.solver.adamSteps)
            if optimizer == .rmsprop {
                #expect(solver.stepCache["Wil"]?.valueArray == trainer.solver.stepCache["Wil"]?.valueArray)
            } else {
                #expect(solver.secondMoments["Whd"]?.valueArray == trainer.solver.secondMoments["Whd"]?.valueArray)
            }
            let wrong = RecurrentNetwork(generator: .lstm, symbolCount: vocabulary.symbolCount, letterSize: 2, hiddenSizes: [5, 3])
            #expect(throws: CheckpointCodec.DecodeError.self) { try CheckpointCodec.decode(data, into: wrong, optimizer: optimizer) }
            #expect(throws: CheckpointCodec.DecodeError.self) { try CheckpointCodec.decode(data.dropLast(4), into: twin, optimizer: optimizer) }
        }
    }
}
