import Foundation
@testable import RecurrentPostgres
import RecurrentStore
import RecurrentTestSupport
import Testing

/// Every suite nested in this one shares one server (each test its own database).
@Suite(.postgresServer) struct PostgresStoreTests {}

extension PostgresStoreTests {
    @Suite struct Catalog {
        @Test func insertReadsBackEverythingAndNamesUnnamedModels() async throws {
            try await StoreFixtures.withStore { store in
                let before = StoreClock.now
                let record = try await store.insert(StoreFixtures.newModel(), status: .queued,
                                                    checkpoint: StoreFixtures.checkpoint(ticks: 0))
                #expect(record.name == "model \(record.id)")
                #expect(record.status == .queued)
                #expect(record.config == .demo)
                #expect(record.vocabulary == ["d", "e", "h", "l", "o", "r", "w"])
                #expect(record.sentenceCount == 2)
                #expect(record.parameterCount == 1234)
                #expect(record.settings == MutableSettings(learningRate: 0.02, sampleTemperature: 0.7, maxTicks: 500))
                #expect(record.figures.learningRate == 0.02)
                #expect(record.createdAt >= before && record.updatedAt == record.createdAt)
                #expect(record.checkpointTicks == 0 && record.checkpointAt == 1_700_000_000.5)
                #expect(record.error == nil)
                #expect(try await store.model(record.id) == record)
                #expect(try await store.corpus(record.id) == ["hello", "world"])
                #expect(try await store.checkpoint(record.id) == StoreFixtures.checkpoint(ticks: 0))
                #expect(try await store.model(record.id + 100) == nil)

                let named = try await store.insert(StoreFixtures.newModel(name: "poems", sentences: nil), status: .idle,
                                                   checkpoint: StoreFixtures.checkpoint())
                #expect(named.name == "poems" && named.sentenceCount == 0)
                #expect(named.id > record.id)
                #expect(try await store.corpus(named.id) == nil)
            }
        }

        @Test func listsNewestFirstWithCursorAndStatusFilter() async throws {
            try await StoreFixtures.withStore { store in
                var ids: [ModelID] = []
                for index in 0..<5 {
                    let status: ModelStatus = index.isMultiple(of: 2) ? .idle : .paused
                    ids.append(try await store.insert(StoreFixtures.newModel(name: "m\(index)"), status: status,
                                                      checkpoint: StoreFixtures.checkpoint()).id)
                }
                let all = try await store.models(limit: 10, before: nil, status: nil).map(\.id)
                #expect(all == ids.reversed())
                let page = try await store.models(limit: 2, before: nil, status: nil).map(\.id)
                #expect(page == [ids[4], ids[3]])
                let next = try await store.models(limit: 2, before: page.last, status: nil).map(\.id)
                #expect(next == [ids[2], ids[1]])
                let idle = try await store.models(limit: 10, before: nil, status: .idle).map(\.id)
                #expect(idle == [ids[4], ids[2], ids[0]])
                let idleBefore = try await store.models(limit: 10, before: ids[4], status: .idle).map(\.id)
                #expect(idleBefore == [ids[2], ids[0]])
                #expect(try await store.models(limit: 10, before: nil, status: .running).isEmpty)
            }
        }

        @Test func updateChangesSettingsAndOnlyAGivenName() async throws {
            try await StoreFixtures.withStore { store in
                let record = try await store.insert(StoreFixtures.newModel(name: "first"), status: .idle,
                                                    checkpoint: StoreFixtures.checkpoint())
                let settings = MutableSettings(learningRate: 0.5, sampleTemperature: 1.5, maxTicks: nil)
                try await store.update(record.id, name: nil, settings: settings)
                var read = try #require(try await store.model(record.id))
                #expect(read.name == "first")
                #expect(read.settings == settings)
                #expect(read.updatedAt >= record.updatedAt)
                try await store.update(record.id, name: "second", settings: settings)
                read = try #require(try await store.model(record.id))
                #expect(read.name == "second")
            }
        }

        @Test func deleteRemovesEverythingTheModelOwns() async throws {
            try await StoreFixtures.withStore { store in
                let record = try await store.insert(StoreFixtures.newModel(), status: .running,
                                                    checkpoint: StoreFixtures.checkpoint())
                let other = try await store.insert(StoreFixtures.newModel(), status: .idle,
                                                   checkpoint: StoreFixtures.checkpoint())
                for id in [record.id, other.id] {
                    try await store.saveBest(id, BestWeights(weights: Data([1, 2, 3]), step: 100, validationLoss: 1.5))
                    try await store.flush(id, figures: ProgressFigures(ticks: 100), metrics: [HistoryFixtures.point(100)],
                                          samples: [HistoryFixtures.sample(100)], checkpoint: nil)
                }
                let counts = try await store.rowCounts(record.id)
                #expect(counts == ["models": 1, "corpora": 1, "checkpoints": 1, "best_weights": 1, "metrics": 1,
                                   "samples": 1])
                try await store.delete(record.id)
                #expect(try await store.rowCounts(record.id).values.allSatisfy { $0 == 0 })
                #expect(try await store.model(record.id) == nil)
                #expect(try await store.rowCounts(other.id) == counts)
                try await store.delete(record.id)  // already gone: nothing happens
            }
        }

        @Test func countsModelsByStatus() async throws {
            try await StoreFixtures.withStore { store in
                #expect(try await store.statusCounts().isEmpty)
                #expect(try await store.totalModels() == 0)
                for status in [ModelStatus.idle, .idle, .running, .failed] {
                    _ = try await store.insert(StoreFixtures.newModel(), status: status,
                                               checkpoint: StoreFixtures.checkpoint())
                }
                #expect(try await store.statusCounts() == [.idle: 2, .running: 1, .failed: 1])
                #expect(try await store.totalModels() == 4)
            }
        }

        @Test func requireWritableSucceedsOnAWritableDatabase() async throws {
            try await StoreFixtures.withStore { store in
                #expect(!store.isReadOnly)
                try await store.requireWritable()
                try await store.requireWritable()
            }
        }
    }
}
