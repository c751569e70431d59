import Foundation
import GRDB
import Recurrent
import RecurrentSQLite
import RecurrentStore
import Synchronization
import Testing

/// The database file after a clean close, and online backups while a job writes.
struct DurabilityTests {
    @Test func afterCloseTheMainFileAloneHoldsEveryModel() async throws {
        let folder = try TemporaryDatabase()
        let store = try folder.store()
        var expected: [ModelID: Int] = [:]
        for index in 1...3 {
            let model = try await store.insert(Fixture.model("m\(index)"), status: .running, checkpoint: Fixture.checkpoint())
            for round in 1...5 {
                let ticks = index * 1000 + round * 10
                try await store.flush(model.id, figures: Fixture.figures(ticks: ticks), metrics: [Fixture.metric(step: ticks)],
                                      samples: [Fixture.sample(step: ticks)],
                                      checkpoint: round == 5 ? Fixture.checkpoint(ticks: ticks) : nil)
            }
            expected[model.id] = index * 1000 + 50
        }
        try await store.close()

        // Only the main file, without its -wal and -shm.
        let copy = try TemporaryDatabase()
        try FileManager.default.copyItem(atPath: folder.path(), toPath: copy.path("copy.sqlite"))
        #expect(!FileManager.default.fileExists(atPath: copy.path("copy.sqlite-wal")))
        #expect(try TemporaryDatabase.integrityCheck(copy.path("copy.sqlite")) == "ok")
        let reopened = try copy.store("copy.sqlite")
        let models = try await reopened.models(limit: 10, before: nil, status: nil)
        #expect(Dictionary(uniqueKeysWithValues: models.map { ($0.id, $0.ticks) }) == expected)
        for model in models {
            #expect(model.checkpointTicks == model.ticks)
            #expect(try await reopened.metrics(model.id, afterStep: 0, limit: 100).count == 5)
            #expect(try await reopened.samples(model.id, after: 0, limit: 100).count == 5)
        }
        try await reopened.close()
    }

    @Test func backupWhileFlushesGoOnIsConsistent() async throws {
        let folder = try TemporaryDatabase()
        let store = try folder.store()
        let model = try await store.insert(Fixture.model(), status: .running, checkpoint: Fixture.checkpoint())
        let stop = StopFlag()
        // A job's writes: every flush moves the ticks on and records one
        // metric at that step, with a checkpoint every tenth.
        let writer = Task {
            var ticks = 0
            while !stop.isSet {
                ticks += 10
                try await store.flush(model.id, figures: Fixture.figures(ticks: ticks), metrics: [Fixture.metric(step: ticks)],
                                      samples: [Fixture.sample(step: ticks)],
                                      checkpoint: ticks % 100 == 0 ? Fixture.checkpoint(ticks: ticks) : nil)
            }
            return ticks
        }
        try await Task.sleep(for: .milliseconds(200))
        var summaries: [BackupSummary] = []
        for index in 1...3 {
            summaries.append(try store.backup(to: folder.path("backup-\(index).sqlite")))
            try await Task.sleep(for: .milliseconds(50))
        }
        stop.set()
        let written = try await writer.value
        try await store.close()

        for (index, summary) in summaries.enumerated() {
            let path = folder.path("backup-\(index + 1).sqlite")
            #expect(summary.models == 1)
            #expect(summary.bytes == (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int))
            #expect(try TemporaryDatabase.integrityCheck(path) == "ok")
            // The copy is the database at one commit: the model's ticks, its
            // history and its checkpoint agree.
            let copy = try SQLiteModelStore(path: path)
            let copied = try #require(try await copy.model(model.id))
            let steps = try await copy.metrics(model.id, afterStep: 0, limit: 100_000).map(\.step)
            #expect(copied.ticks > 0 && copied.ticks <= written)
            #expect(steps == Array(stride(from: 10, through: copied.ticks, by: 10)))
            #expect(try await copy.samples(model.id, after: 0, limit: 100_000).count == steps.count)
            #expect(copied.checkpointTicks == copied.ticks / 100 * 100)
            try await copy.close()
        }
    }
}

/// Tells a writing task to stop.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}
