import Foundation
@testable import RecurrentPostgres
import RecurrentStore
import Testing

extension PostgresStoreTests {
    @Suite struct JobQueue {
        @Test func interruptedModelsAreRunningOnesThenTheQueueInOrder() async throws {
            try await StoreFixtures.withStore { store in
                func insert(_ status: ModelStatus) async throws -> ModelID {
                    try await store.insert(StoreFixtures.newModel(), status: status,
                                           checkpoint: StoreFixtures.checkpoint()).id
                }
                let queuedFirst = try await insert(.idle)
                let running = try await insert(.idle)
                let queuedSecond = try await insert(.idle)
                let idle = try await insert(.idle)
                let failed = try await insert(.idle)
                let runningLater = try await insert(.running)
                try await store.setStatus(queuedSecond, .queued)
                try await Task.sleep(for: .milliseconds(5))
                try await store.setStatus(queuedFirst, .queued)
                try await store.setStatus(running, .running)
                try await store.setStatus(failed, .failed, error: "diverged")
                // Running ones by id (they have no queue time), then the queue in the order it was joined.
                #expect(try await store.interruptedModels() == [running, runningLater, queuedSecond, queuedFirst])
                #expect(try await store.model(failed)?.error == "diverged")
                #expect(try await store.model(failed)?.status == .failed)
                #expect(try await store.model(idle)?.status == .idle)
                try await store.setStatus(failed, .idle)
                #expect(try await store.model(failed)?.error == nil)
            }
        }

        @Test func rewindDropsHistoryAfterTheCheckpoint() async throws {
            try await StoreFixtures.withStore { store in
                let id = try await store.insert(StoreFixtures.newModel(), status: .running,
                                                checkpoint: StoreFixtures.checkpoint()).id
                try await store.flush(id, figures: ProgressFigures(ticks: 200, epoch: 2),
                                      metrics: [HistoryFixtures.point(100), HistoryFixtures.point(200)],
                                      samples: [HistoryFixtures.sample(100), HistoryFixtures.sample(200)],
                                      checkpoint: StoreFixtures.checkpoint(ticks: 200))
                try await store.flush(id, figures: ProgressFigures(ticks: 350, epoch: 3.5),
                                      metrics: [HistoryFixtures.point(300)],
                                      samples: [HistoryFixtures.sample(300), HistoryFixtures.sample(350)], checkpoint: nil)
                try await store.rewindToCheckpoint(id)
                let record = try #require(try await store.model(id))
                #expect(record.ticks == 200 && record.figures.epoch == 20)
                #expect(try await store.metrics(id, afterStep: 0, limit: 10).map(\.step) == [100, 200])
                #expect(try await store.samples(id, after: 0, limit: 10).map(\.step) == [100, 200])
                try await store.rewindToCheckpoint(id + 99)  // no checkpoint: nothing happens
            }
        }
    }
}
