import Foundation
import Hummingbird
import HummingbirdTesting
import Recurrent
import Testing
@testable import RecurrentHTTP
@testable import RecurrentJobs
@testable import RecurrentStore
import RecurrentTestSupport

/// Text corpora through the API: streams, batches, validation, best weights.
@Suite(.serialized, .postgresServer)
struct TextCorpusServiceTests {
    static var book: String { String(repeating: TestServer.corpus + "\n", count: 12) }

    static func textModel(_ extra: [String: Any] = [:]) -> [String: Any] {
        var body: [String: Any] = ["name": "book", "text": book, "corpus": "text", "generator": "gru", "hidden_sizes": [16],
                                   "letter_size": 4, "batch_size": 4, "seq_length": 16, "val_fraction": 0.1,
                                   "val_interval": 20, "dropout": 0.1, "max_ticks": 120, "seed": 3]
        for (key, value) in extra { body[key] = value }
        return body
    }

    /// `--job-threads 2`: a text job splits its streams between two workers,
    /// trains and validates as usual, and the budget counts the replica.
    @Test(arguments: StoreKind.allCases) func textJobTrainsWithTwoWorkers(store: StoreKind) async throws {
        let server = try await TestServer(store: store, configure: { $0.limits.jobThreads = 2 })
        try await server.run { client in
            // The original's RMSProp (at 0.002), whose large first steps reach these losses within 100 ticks.
            let id = try await client.create(Self.textModel(["batch_size": 16, "dropout": 0, "generator": "lstm", "max_ticks": 300,
                                                              "optimizer": "rmsprop"]))
            let done = try await client.waitForModel(id, timeout: 60) { status($0) == "succeeded" }
            #expect(ticks(done) == 300)
            let losses = (try await client.get("/api/models/\(id)/metrics").json["metrics"] as? [[String: Any]] ?? [])
                .compactMap { $0["validation_loss"] as? Double }
            // A uniform guess scores ln(24) ≈ 3.2 nats here; trained, about 1. (Whether the
            // last validation beats an earlier one is chance once the loss has levelled off.)
            #expect(losses.count >= 2 && losses.allSatisfy { $0 < 2 }, "validation losses \(losses)")
        }
        let single = MemoryEstimate(generator: .lstm, symbolCount: 30, letterSize: 4, hiddenSizes: [16], batchSize: 16, steps: 16,
                                    textWindows: true)
        let double = MemoryEstimate(generator: .lstm, symbolCount: 30, letterSize: 4, hiddenSizes: [16], batchSize: 16, steps: 16,
                                    workers: 2, textWindows: true)
        let parameters = RecurrentNetwork.parameterCount(generator: .lstm, symbolCount: 30, letterSize: 4, hiddenSizes: [16])
        // A replica's weights and gradients, and its own packed recurrent weights (64x16 and 16x64 floats).
        #expect(single.packedBytes == 2 * 64 * 16 * 4)
        #expect(double.totalBytes - single.totalBytes == parameters * 8 + single.packedBytes)
    }

    /// Without `--job-threads` the node's cores are shared among the jobs
    /// training at the moment: a text job alone trains with both, two jobs
    /// with one each, and the first gets both back when the second stops.
    @Test func jobsShareTheNodesCores() async throws {
        let server = try await TestServer(store: .sqlite, configure: { $0.limits.jobThreads = nil; $0.sharedCores = 2 })
        try await server.run { client in
            var body = Self.textModel(["batch_size": 16, "dropout": 0])
            body["max_ticks"] = nil
            let first = try await client.create(body)
            try await client.waitForModel(first, timeout: 60) { ($0["threads"] as? Int) == 2 }
            let second = try await client.create(body)
            try await client.waitForModel(second, timeout: 60) { ($0["threads"] as? Int) == 1 }
            try await client.waitForModel(first, timeout: 60) { ($0["threads"] as? Int) == 1 }
            #expect(try await client.post("/api/models/\(second)/cancel").status == .ok)
            let alone = try await client.waitForModel(first, timeout: 60) { ($0["threads"] as? Int) == 2 }
            #expect(status(alone) == "running")
            #expect(try await client.model(second)["threads"] as? Int == nil, "a stopped model has no threads")
        }
    }

    /// A cosine schedule with a warm-up over `max_ticks`: each metric point's
    /// rate is the scheduled one of its last tick. Early stopping ends a job
    /// that no longer improves, as succeeded, three validations after its best.
    @Test(arguments: StoreKind.allCases) func scheduleAndEarlyStopping(store: StoreKind) async throws {
        let server = try await TestServer(store: store)
        try await server.run { client in
            let scheduled = try await client.create(Self.textModel(["lr_schedule": "cosine", "warmup_ticks": 150,
                                                                    "max_ticks": 300, "dropout": 0]))
            let done = try await client.waitForModel(scheduled, timeout: 60) { status($0) == "succeeded" }
            let config = try #require(done["config"] as? [String: Any])
            #expect(config["lr_schedule"] as? String == "cosine" && config["warmup_ticks"] as? Int == 150)
            let points = (try await client.get("/api/models/\(scheduled)/metrics").json["metrics"] as? [[String: Any]] ?? [])
            let schedule = LearningRateSchedule(shape: .cosine, warmupTicks: 150)
            var checked = 0
            for point in points {
                guard let step = point["step"] as? Int, let rate = point["learning_rate"] as? Double else { continue }
                let expected = Double(Float(0.004) * Float(schedule.factor(tick: step - 1, progress: Double(step - 1) / 300)))
                #expect(abs(rate - expected) <= 1e-6 * expected, "step \(step): \(rate), expected \(expected)")
                checked += 1
            }
            #expect(checked == 3, "metric points at 100 (warming up), 200 and 300: \(points)")

            // A rate too small to learn: soon three validations in a row bring no new best.
            var still = Self.textModel(["learning_rate": 1e-12, "regc": 0, "val_interval": 10, "early_stop": 3, "dropout": 0])
            still["max_ticks"] = nil
            let stopped = try await client.create(still)
            let ended = try await client.waitForModel(stopped, timeout: 60) { status($0) == "succeeded" }
            let best = try #require(ended["best_step"] as? Int)
            #expect(ticks(ended) == best + 30, "stopped at \(ticks(ended)), best at \(best)")
        }
    }

    /// An exported text model imports at the pass it had reached (the import
    /// once divided the ticks by the number of lines: a text is one, so a
    /// model of 120 ticks came back at epoch 120, and a decay would have been
    /// applied 120 times on resuming).
    @Test func anImportedTextModelKeepsItsEpoch() async throws {
        let server = try await TestServer(store: .sqlite)
        try await server.run { client in
            let id = try await client.create(Self.textModel())
            let done = try await client.waitForModel(id, timeout: 60) { status($0) == "succeeded" }
            let epoch = try #require(done["epoch"] as? Double)
            let file = try await client.get("/api/models/\(id)/export").json
            let imported = try await client.post("/api/models/import", file)
            try #require(imported.status == .created, "\(imported.text)")
            let importedEpoch = try #require(imported.json["epoch"] as? Double)
            #expect(epoch > 0.5 && abs(importedEpoch - epoch) <= 0.02 * epoch, "epoch \(epoch), imported \(importedEpoch)")
        }
    }

    /// `precision: bfloat16` is kept with the model, trains (in bfloat16
    /// where the CPU has AVX-512-BF16, else in float32) to the float job's
    /// level, and survives an export and import; a sentence model shows none.
    @Test func aBFloat16TextJobTrainsAndKeepsItsPrecision() async throws {
        let server = try await TestServer(store: .sqlite)
        try await server.run { client in
            let settings: [String: Any] = ["generator": "lstm", "hidden_sizes": [32], "batch_size": 16, "dropout": 0,
                                           "max_ticks": 200, "learning_rate": 0.01]
            let half = try await client.create(Self.textModel(settings.merging(["precision": "bfloat16"]) { $1 }))
            let full = try await client.create(Self.textModel(settings))
            var losses: [Double] = []
            for (id, precision) in [(half, "bfloat16"), (full, "float32")] {
                let done = try await client.waitForModel(id, timeout: 90) { status($0) == "succeeded" }
                let config = try #require(done["config"] as? [String: Any])
                #expect(config["precision"] as? String == precision)
                losses.append(try #require(done["best_validation_loss"] as? Double, "\(done)"))
            }
            // A uniform guess scores about 3.2 nats here; both train to about 1.
            #expect(losses[0] < 2 && abs(losses[0] - losses[1]) < 0.1 * losses[1], "validation losses \(losses)")
            let file = try await client.get("/api/models/\(half)/export").json
            #expect((file["training"] as? [String: Any])?["precision"] as? String == "bfloat16")
            let imported = try await client.post("/api/models/import", file)
            try #require(imported.status == .created, "\(imported.text)")
            #expect((imported.json["config"] as? [String: Any])?["precision"] as? String == "bfloat16")
            let sentences = try await client.create(["name": "lines", "text": TestServer.corpus, "hidden_sizes": [8],
                                                     "max_ticks": 5])
            let config = try #require(try await client.model(sentences)["config"] as? [String: Any])
            #expect(config["precision"] == nil, "sentence corpora always train in float32")
        }
    }

    /// A text's default solver is Adam, at a rate sized for the widest
    /// layer; asking for RMSProp brings char-rnn's 0.002 back, and a sentence
    /// corpus keeps the demo's RMSProp at 0.01.
    @Test func aTextsDefaultSolverAndRateFollowTheModel() async throws {
        let server = try await TestServer(store: .sqlite)
        try await server.run { client in
            let cases: [([String: Any], String, Double)] = [
                (Self.textModel(["hidden_sizes": [256]]), "adam", 0.0028),
                (Self.textModel(["hidden_sizes": [128], "optimizer": "rmsprop"]), "rmsprop", 0.002),
                (["name": "lines", "text": TestServer.corpus, "hidden_sizes": [128]], "rmsprop", 0.01),
            ]
            for (var body, optimizer, rate) in cases {
                body["max_ticks"] = 1
                let created = try await client.post("/api/models", body)
                try #require(created.status == .created, "\(created.text)")
                #expect((created.json["config"] as? [String: Any])?["optimizer"] as? String == optimizer, "\(body)")
                #expect(created.json["learning_rate"] as? Double == rate, "\(body)")
            }
        }
    }

    /// Pausing used to send a text job back to the start of its text when it
    /// resumed (its epoch fell to 0) and to undo the learning-rate decay.
    @Test(arguments: StoreKind.allCases) func resumingATextJobKeepsItsPlaceAndItsDecayedRate(store: StoreKind) async throws {
        let server = try await TestServer(store: store)
        try await server.run { client in
            var body = Self.textModel(["lr_decay": 0.5])
            body["max_ticks"] = nil
            let id = try await client.create(body)
            try await client.waitForModel(id, timeout: 60) { ($0["epoch"] as? Double ?? 0) > 1.5 }
            let paused = try await client.post("/api/models/\(id)/pause")
            try #require(paused.status == .ok)
            let pausedEpoch = try #require(paused.json["epoch"] as? Double)
            let pausedTicks = ticks(paused.json)
            #expect(try await client.post("/api/models/\(id)/resume").status == .ok)
            let resumedEpoch = try #require(try await client.model(id)["epoch"] as? Double)
            #expect(resumedEpoch >= pausedEpoch, "epoch \(pausedEpoch) before the pause, \(resumedEpoch) after")
            let later = try await client.waitForModel(id, timeout: 60) { ticks($0) > pausedTicks + 300 }
            #expect((later["epoch"] as? Double ?? 0) > pausedEpoch)
            #expect(try await client.post("/api/models/\(id)/pause").status == .ok)
            let rates = (try await client.get("/api/models/\(id)/metrics?limit=1000").json["metrics"] as? [[String: Any]] ?? [])
                .compactMap { point in (point["step"] as? Int).flatMap { step in (point["learning_rate"] as? Double).map { (step, $0) } } }
            #expect(rates.contains { $0.0 > pausedTicks }, "a metric point after the pause")
            // The rate in force only ever decays: 0.01 halved once per pass.
            #expect(zip(rates, rates.dropFirst()).allSatisfy { $1.1 <= $0.1 }, "rates \(rates)")
            #expect(rates.last.map { $0.1 < 0.01 / 4 } ?? false, "rates \(rates)")
        }
    }

    @Test(arguments: StoreKind.allCases) func textModelTrainsValidatesAndKeepsItsBestWeights(store: StoreKind) async throws {
        let server = try await TestServer(store: store)
        try await server.run { client in
            let created = try await client.post("/api/models", Self.textModel())
            try #require(created.status == .created, "\(created.text)")
            // A text starts with Adam at 0.002 × √(512 / 16), capped at 0.004, unless told otherwise.
            #expect(created.json["learning_rate"] as? Double == 0.004)
            let config = try #require(created.json["config"] as? [String: Any])
            #expect(config["optimizer"] as? String == "adam")
            #expect(config["corpus"] as? String == "text")
            #expect(config["batch_size"] as? Int == 4)
            #expect(config["seq_length"] as? Int == 16)
            #expect(created.json["vocabulary"].flatMap { $0 as? [String] }?.contains("\n") == true)
            let id = try #require(created.json["id"] as? Int)

            let done = try await client.waitForModel(id, timeout: 60) { status($0) == "succeeded" }
            #expect(ticks(done) == 120)
            let validation = try #require(done["validation_loss"] as? Double)
            let best = try #require(done["best_validation_loss"] as? Double)
            #expect(best <= validation)
            #expect((done["best_step"] as? Int).map { $0 > 0 && $0 % 20 == 0 } == true)

            let metrics = try await client.get("/api/models/\(id)/metrics").json["metrics"] as? [[String: Any]] ?? []
            #expect(metrics.contains { $0["validation_loss"] is Double }, "validation loss in the loss history")

            // The best weights export, and score the recorded best loss on the held-out text.
            let exported = try await client.get("/api/models/\(id)/export?weights=best")
            try #require(exported.status == .ok, "\(exported.text)")
            let loaded = try ModelFile.load(Data(exported.text.utf8))
            let corpus = try TextCorpus(text: Self.book, vocabulary: loaded.model.vocabulary, validationFraction: 0.1)
            let probe = TextTrainer(model: loaded.model, corpus: corpus, settings: TrainingSettings(batchSize: 4),
                                    options: TextTrainingOptions(sequenceLength: 16), random: RandomSource(seed: 1))
            let rescored = try #require(probe.validate())
            #expect(abs(rescored.loss - best) < 1e-4, "\(rescored.loss) vs \(best)")

            // The regular export carries the corpus settings and the text, and imports back as a text model.
            let full = try await client.get("/api/models/\(id)/export")
            let root = try #require(try JSONSerialization.jsonObject(with: Data(full.text.utf8)) as? [String: Any])
            #expect(root["text"] as? String == Self.book)
            #expect((root["training"] as? [String: Any])?["corpus"] as? String == "text")
            let imported = try await client.request(.post, "/api/models/import", raw: full.text)
            try #require(imported.status == .created, "\(imported.text)")
            #expect((imported.json["config"] as? [String: Any])?["corpus"] as? String == "text")
        }
    }

    @Test(arguments: StoreKind.allCases, [
        ("corpus", #"{"corpus": "book"}"#),
        ("batch_size", #"{"batch_size": 0}"#),
        ("batch_size", #"{"batch_size": 100000}"#),
        ("seq_length", #"{"seq_length": 0}"#),
        ("val_fraction", #"{"val_fraction": 1.0}"#),
        ("dropout", #"{"dropout": 1.0}"#),
        ("lr_decay", #"{"lr_decay": 0}"#),
        ("val_interval", #"{"val_interval": -1}"#),
    ])
    func badCorpusSettingsAreRefusedAndNothingIsStored(store: StoreKind, refused: (String, String)) async throws {
        let (field, changeJSON) = refused
        let server = try await TestServer(store: store)
        try await server.run { client in
            let change = try #require(try JSONSerialization.jsonObject(with: Data(changeJSON.utf8)) as? [String: Any])
            let reply = try await client.post("/api/models", Self.textModel(change))
            #expect(reply.status == .badRequest || reply.status == .unprocessableContent, "\(reply.text)")
            #expect(reply.errorField == field, "\(reply.text)")
            #expect(try await server.store.models(limit: 10, before: nil, status: nil).isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases) func aBatchPastTheMemoryBudgetIsRefusedWithTheEstimate(store: StoreKind) async throws {
        let server = try await TestServer(store: store)
        try await server.run { client in
            let reply = try await client.post("/api/models", Self.textModel([
                "generator": "lstm", "hidden_sizes": [1024, 1024], "batch_size": 1024, "seq_length": 4096,
            ]))
            #expect(reply.status == .unprocessableContent)
            #expect(reply.errorCode == "memory_budget")
            #expect(reply.errorField == "batch_size")
            #expect((reply.error["message"] as? String)?.contains("MB") == true, "\(reply.text)")
            #expect(try await server.store.models(limit: 10, before: nil, status: nil).isEmpty)
        }
    }
}
