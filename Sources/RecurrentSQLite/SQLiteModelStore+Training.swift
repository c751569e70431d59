import Foundation
import GRDB
import RecurrentStore

extension SQLiteModelStore {
    // MARK: CorpusStore

    public func corpus(_ id: ModelID) async throws -> [String]? {
        try await read { db in try CorpusRow.fetchOne(db, key: id) }?.decoded()
    }

    // MARK: CheckpointStore

    public func checkpoint(_ id: ModelID) async throws -> Checkpoint? {
        try await read { db in try CheckpointRow.fetchOne(db, key: id)?.checkpoint }
    }

    public func saveBest(_ id: ModelID, _ best: BestWeights) async throws {
        try await write { db in
            guard try ModelRow.exists(db, key: id) else { return }
            try BestWeightsRow(modelID: id, best).insert(db, onConflict: .replace)
        }
    }

    public func bestWeights(_ id: ModelID) async throws -> BestWeights? {
        try await read { db in try BestWeightsRow.fetchOne(db, key: id)?.best }
    }

    // MARK: TrainingHistoryStore

    public func flush(_ id: ModelID, figures: ProgressFigures, metrics: [MetricPoint], samples: [SampleEntry],
                      checkpoint: Checkpoint?) async throws {
        try await write { db in
            _ = try ModelRow.filter(key: id).updateAll(db, ModelRow.assignments(figures, now: StoreClock.now))
            for point in metrics { try MetricRow(modelID: id, point).insert(db) }
            for sample in samples { try SampleRow(modelID: id, sample).insert(db) }
            if let checkpoint { try CheckpointRow.save(db, id: id, checkpoint) }
        }
    }

    public func metrics(_ id: ModelID, afterStep: Int, limit: Int) async throws -> [MetricPoint] {
        try await read { db in
            try MetricRow
                .filter(HistoryColumns.modelID == id && HistoryColumns.step > afterStep)
                .order(HistoryColumns.step, HistoryColumns.id)
                .limit(limit)
                .fetchAll(db).map(\.point)
        }
    }

    public func samples(_ id: ModelID, after: Int64, limit: Int) async throws -> [SampleEntry] {
        try await read { db in
            try SampleRow
                .filter(HistoryColumns.modelID == id && HistoryColumns.id > after)
                .order(HistoryColumns.id)
                .limit(limit)
                .fetchAll(db).map(\.entry)
        }
    }

    public func lastSampleID(_ id: ModelID) async throws -> Int64 {
        try await read { db in
            try Int64.fetchOne(db, SampleRow.filter(HistoryColumns.modelID == id).select(max(HistoryColumns.id))) ?? 0
        }
    }

    public func rowCounts(_ id: ModelID) async throws -> [String: Int] {
        try await read { db in
            [
                ModelRow.databaseTableName: try ModelRow.filter(key: id).fetchCount(db),
                CorpusRow.databaseTableName: try CorpusRow.filter(key: id).fetchCount(db),
                CheckpointRow.databaseTableName: try CheckpointRow.filter(key: id).fetchCount(db),
                BestWeightsRow.databaseTableName: try BestWeightsRow.filter(key: id).fetchCount(db),
                MetricRow.databaseTableName: try MetricRow.filter(HistoryColumns.modelID == id).fetchCount(db),
                SampleRow.databaseTableName: try SampleRow.filter(HistoryColumns.modelID == id).fetchCount(db),
            ]
        }
    }

    // MARK: JobQueueStore

    public func setStatus(_ id: ModelID, _ status: ModelStatus, error: String?) async throws {
        try await write { db in
            let now = StoreClock.now
            var assignments = [
                ModelRow.Columns.status.set(to: status.rawValue),
                ModelRow.Columns.error.set(to: error),
                ModelRow.Columns.updatedAt.set(to: now),
            ]
            // `queued_at` orders the queue: it records when the model joined it.
            if status == .queued { assignments.append(ModelRow.Columns.queuedAt.set(to: now)) }
            _ = try ModelRow.filter(key: id).updateAll(db, assignments)
        }
    }

    public func interruptedModels() async throws -> [ModelID] {
        try await read { db in
            let running = ModelRow.Columns.status == ModelStatus.running.rawValue
            return try ModelID.fetchAll(db, ModelRow
                .select(ModelRow.Columns.id)
                .filter([ModelStatus.running.rawValue, ModelStatus.queued.rawValue].contains(ModelRow.Columns.status))
                .order(running.desc, ModelRow.Columns.queuedAt, ModelRow.Columns.id))
        }
    }

    public func rewindToCheckpoint(_ id: ModelID) async throws {
        try await write { db in
            guard let checkpoint = try CheckpointRow.fetchOne(db, key: id) else { return }
            let later = HistoryColumns.modelID == id && HistoryColumns.step > checkpoint.ticks
            _ = try MetricRow.filter(later).deleteAll(db)
            _ = try SampleRow.filter(later).deleteAll(db)
            _ = try ModelRow.filter(key: id).updateAll(db, [
                ModelRow.Columns.ticks.set(to: checkpoint.ticks),
                ModelRow.Columns.epoch.set(to: checkpoint.epoch),
                ModelRow.Columns.updatedAt.set(to: StoreClock.now),
            ])
        }
    }
}
