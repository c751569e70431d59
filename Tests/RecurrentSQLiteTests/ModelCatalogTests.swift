import Foundation
import GRDB
import Recurrent
@testable import RecurrentSQLite
import RecurrentStore
import Testing

/// Models in a real SQLite file: insert, read, list, update, delete.
struct ModelCatalogTests {
    @Test func insertReadListUpdateAndDeleteWithCascade() async throws {
        let folder = try TemporaryDatabase()
        let store = try folder.store()
        let first = try await store.insert(Fixture.model(""), status: .idle, checkpoint: Fixture.checkpoint())
        let second = try await store.insert(Fixture.model("second", sentences: nil), status: .queued,
                                            checkpoint: Fixture.checkpoint(ticks: 7))
        // An empty name becomes "model <id>"; the returned record is what a read returns.
        #expect(first.name == "model \(first.id)")
        #expect(try await store.model(first.id) == first)
        #expect(try await store.model(second.id) == second)
        #expect(second.checkpointTicks == 7 && second.status == .queued)
        #expect(first.config == .demo && first.vocabulary == Fixture.model().vocabulary && first.sentenceCount == 2)
        #expect(first.settings == MutableSettings(learningRate: 0.02, sampleTemperature: 0.8, maxTicks: 5000))
        #expect(try await store.model(first.id + 100) == nil)
        #expect(try await store.corpus(first.id) == ["the cat", "a dog"])
        #expect(try await store.corpus(second.id) == nil)

        // Newest first, with the id cursor and the status filter; the list
        // reads the same records as the single read.
        #expect(try await store.models(limit: 10, before: nil, status: nil) == [second, first])
        #expect(try await store.models(limit: 1, before: nil, status: nil).map(\.id) == [second.id])
        #expect(try await store.models(limit: 10, before: second.id, status: nil).map(\.id) == [first.id])
        #expect(try await store.models(limit: 10, before: nil, status: .queued).map(\.id) == [second.id])
        #expect(try await store.models(limit: 10, before: nil, status: .running).isEmpty)

        let settings = MutableSettings(learningRate: 0.5, sampleTemperature: 1.5, maxTicks: nil)
        try await store.update(first.id, name: "renamed", settings: settings)
        let updated = try #require(try await store.model(first.id))
        #expect(updated.name == "renamed" && updated.settings == settings)
        try await store.update(first.id, name: nil, settings: MutableSettings())
        #expect(try await store.model(first.id)?.name == "renamed")

        // Everything a model owns goes with it.
        try await store.flush(first.id, figures: Fixture.figures(ticks: 100), metrics: [Fixture.metric(step: 100)],
                              samples: [Fixture.sample(step: 100)], checkpoint: Fixture.checkpoint(ticks: 100))
        try await store.saveBest(first.id, BestWeights(weights: Data([9]), step: 100, validationLoss: 2))
        let before = try await store.rowCounts(first.id)
        #expect(before.values.allSatisfy { $0 == 1 }, "\(before)")
        try await store.delete(first.id)
        let after = try await store.rowCounts(first.id)
        #expect(after.count == 6 && after.values.allSatisfy { $0 == 0 }, "rows left: \(after)")
        #expect(try await store.model(first.id) == nil)
        #expect(try await store.checkpoint(first.id) == nil)
        #expect(try await store.bestWeights(first.id) == nil)
        #expect(try await store.corpus(first.id) == nil)
        #expect(try await store.model(second.id) == second)
        try await store.close()
    }

    @Test func statusCountsAndTotal() async throws {
        let folder = try TemporaryDatabase()
        let store = try folder.store()
        #expect(try await store.statusCounts().isEmpty)
        #expect(try await store.totalModels() == 0)
        for status in [ModelStatus.idle, .queued, .queued, .failed] {
            _ = try await store.insert(Fixture.model(), status: status, checkpoint: Fixture.checkpoint())
        }
        let running = try await store.insert(Fixture.model(), status: .idle, checkpoint: Fixture.checkpoint())
        try await store.setStatus(running.id, .running)
        #expect(try await store.statusCounts() == [.idle: 1, .queued: 2, .failed: 1, .running: 1])
        #expect(try await store.totalModels() == 5)
        try await store.setStatus(running.id, .failed, error: "diverged")
        let failed = try #require(try await store.model(running.id))
        #expect(failed.status == .failed && failed.error == "diverged")
        #expect(try await store.statusCounts() == [.idle: 1, .queued: 2, .failed: 2])
        try await store.close()
    }

    @Test func requireWritableWritesAndAnOlderDatabaseMigrates() async throws {
        let folder = try TemporaryDatabase()
        // A database of the first schema version, with a model written by
        // that version's SQL, opens, migrates and reads.
        let queue = try DatabaseQueue(path: folder.path("old.sqlite"))
        try SQLiteMigrations.migrator.migrate(queue, upTo: "v1: models, corpora, checkpoints, metrics, samples")
        try await queue.write { db in
            try db.execute(sql: """
                INSERT INTO models (name, status, config, vocabulary, sentence_count, parameter_count, ticks, epoch,
                    learning_rate, sample_temperature, created_at, updated_at)
                VALUES ('old', 'paused', ?, '["a","b"]', 1, 10, 40, 0.5, 0.01, 1, 1, 2)
                """, arguments: [ModelConfig.demo.json])
            try db.execute(sql: """
                INSERT INTO checkpoints (model_id, weights, random_state, ticks, epoch, created_at) VALUES (1, x'00', NULL, 40, 0.5, 3)
                """)
        }
        try queue.close()
        let store = try folder.store("old.sqlite")
        let old = try #require(try await store.model(1))
        #expect(old.name == "old" && old.status == .paused && old.ticks == 40 && old.vocabulary == ["a", "b"])
        #expect(old.checkpointTicks == 40 && old.checkpointAt == 3 && old.figures.validationLoss == nil)
        #expect(try await store.checkpoint(1)?.randomState == nil)
        try await store.requireWritable()
        #expect(store.isReadOnly == false)
        try await store.close()
    }
}
