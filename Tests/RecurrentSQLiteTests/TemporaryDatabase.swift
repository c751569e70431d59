import Foundation
import GRDB
import Recurrent
import RecurrentSQLite
import RecurrentStore
import Testing

/// A temporary folder for database files, removed when the test ends.
final class TemporaryDatabase {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("recurrent-sqlite-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    func path(_ name: String = "store.sqlite") -> String { folder.appendingPathComponent(name).path }

    /// A store on `name` in this folder (created when missing).
    func store(_ name: String = "store.sqlite") throws -> SQLiteModelStore {
        try SQLiteModelStore(path: path(name))
    }

    /// `PRAGMA integrity_check`'s answer for the database file at `path` ("ok" when sound).
    static func integrityCheck(_ path: String) throws -> String {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }
}

/// Small values to store.
enum Fixture {
    static func model(_ name: String = "m", sentences: [String]? = ["the cat", "a dog"], ticks: Int = 0) -> NewModel {
        NewModel(name: name, config: .demo, vocabulary: ["a", "c", "d", "e", "g", "h", "o", "t", " "], sentences: sentences,
                 parameterCount: 1234, settings: MutableSettings(learningRate: 0.02, sampleTemperature: 0.8, maxTicks: 5000),
                 ticks: ticks)
    }

    static func checkpoint(ticks: Int = 0, epoch: Double = 0, byte: UInt8 = 1) -> Checkpoint {
        Checkpoint(weights: Data(repeating: byte, count: 64), randomState: [1, 2, 3, UInt64.max], ticks: ticks, epoch: epoch,
                   firstLoss: 3.5, time: StoreClock.now)
    }

    static func figures(ticks: Int, greedy: String? = nil) -> ProgressFigures {
        ProgressFigures(ticks: ticks, epoch: Double(ticks) / 100, latestPerplexity: 12.5, medianPerplexity: 13,
                        ticksPerSecond: 900, charactersPerSecond: 9000, lastTickAt: StoreClock.now, clippedRatio: 0.1,
                        greedyText: greedy, learningRate: 0.02, validationLoss: 2.5, bestValidationLoss: 2.4, bestStep: ticks)
    }

    static func metric(step: Int) -> MetricPoint {
        MetricPoint(step: step, medianPerplexity: 10, meanLoss: 2.3, learningRate: 0.02, ticksPerSecond: 900,
                    time: StoreClock.now, validationLoss: 2.2)
    }

    static func sample(step: Int, kind: SampleEntry.Kind = .sample) -> SampleEntry {
        SampleEntry(step: step, kind: kind, temperature: kind == .sample ? 0.8 : nil, text: "the cat \(step)",
                    time: StoreClock.now)
    }
}
