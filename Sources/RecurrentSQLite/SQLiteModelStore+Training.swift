import Foundation
import GRDB
import RecurrentStore

extension SQLiteModelStore {
    // MARK: CorpusStore

    public func corpus(_ id: ModelID) async throws -> [String]? {
        let text = try await read { db in
            try String.fetchOne(db, sql: "SELECT sentences FROM corpora WHERE model_id = ?", arguments: [id])
        }
        return try text.map { try JSONDecoder().decode([String].self, from: Data($0.utf8)) }
    }

    // MARK: CheckpointStore

    public func checkpoint(_ id: ModelID) async throws -> Checkpoint? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM checkpoints WHERE model_id = ?", arguments: [id])
                .map(SQLiteRows.checkpoint)
        }
    }

    public func saveBest(_ id: ModelID, _ best: BestWeights) async throws {
        try await write { db in
            guard try Int.fetchOne(db, sql: "SELECT 1 FROM models WHERE id = ?", arguments: [id]) != nil else { return }
            try db.execute(sql: """
                INSERT OR REPLACE INTO best_weights (model_id, weights, step, validation_loss) VALUES (?, ?, ?, ?)
                """, arguments: [id, best.weights, best.step, best.validationLoss])
        }
    }

    public func bestWeights(_ id: ModelID) async throws -> BestWeights? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT weights, step, validation_loss FROM best_weights WHERE model_id = ?",
                             arguments: [id])
                .map { BestWeights(weights: $0["weights"], step: $0["step"], validationLoss: $0["validation_loss"]) }
        }
    }

    // MARK: TrainingHistoryStore

    public func flush(_ id: ModelID, figures: ProgressFigures, metrics: [MetricPoint], samples: [SampleEntry],
                      checkpoint: Checkpoint?) async throws {
        try await write { db in
            try db.execute(sql: """
                UPDATE models SET ticks = ?, epoch = ?, latest_perplexity = ?, median_perplexity = ?, ticks_per_sec = ?,
                    chars_per_sec = ?, last_tick_at = ?, clipped_ratio = ?, greedy_text = COALESCE(?, greedy_text),
                    validation_loss = ?, best_validation_loss = ?, best_step = ?, updated_at = ? WHERE id = ?
                """, arguments: [figures.ticks, figures.epoch, figures.latestPerplexity.finiteOrNil,
                                 figures.medianPerplexity.finiteOrNil, figures.ticksPerSecond, figures.charactersPerSecond,
                                 figures.lastTickAt, figures.clippedRatio, figures.greedyText,
                                 figures.validationLoss.finiteOrNil, figures.bestValidationLoss.finiteOrNil,
                                 figures.bestStep, StoreClock.now, id])
            for point in metrics {
                try db.execute(sql: """
                    INSERT INTO metrics (model_id, step, median_perplexity, mean_loss, learning_rate, ticks_per_sec, time,
                        validation_loss)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [id, point.step, point.medianPerplexity, point.meanLoss, point.learningRate,
                                     point.ticksPerSecond, point.time, point.validationLoss.finiteOrNil])
            }
            for sample in samples {
                try db.execute(sql: """
                    INSERT INTO samples (model_id, step, kind, temperature, text, time) VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [id, sample.step, sample.kind.rawValue, sample.temperature, sample.text, sample.time])
            }
            if let checkpoint { try SQLiteRows.saveCheckpoint(db, id: id, checkpoint) }
        }
    }

    public func metrics(_ id: ModelID, afterStep: Int, limit: Int) async throws -> [MetricPoint] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM metrics WHERE model_id = ? AND step > ? ORDER BY step, id LIMIT ?
                """, arguments: [id, afterStep, limit]).map(SQLiteRows.metric)
        }
    }

    public func samples(_ id: ModelID, after: Int64, limit: Int) async throws -> [SampleEntry] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM samples WHERE model_id = ? AND id > ? ORDER BY id LIMIT ?
                """, arguments: [id, after, limit]).map(SQLiteRows.sample)
        }
    }

    public func rowCounts(_ id: ModelID) async throws -> [String: Int] {
        try await read { db in
            var counts: [String: Int] = [:]
            for (table, column) in [("models", "id"), ("corpora", "model_id"), ("checkpoints", "model_id"),
                                    ("metrics", "model_id"), ("samples", "model_id")] {
                counts[table] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE \(column) = ?", arguments: [id]) ?? 0
            }
            return counts
        }
    }

    // MARK: JobQueueStore

    public func setStatus(_ id: ModelID, _ status: ModelStatus, error: String?) async throws {
        try await write { db in
            let now = StoreClock.now
            try db.execute(sql: """
                UPDATE models SET status = ?, error = ?, updated_at = ?,
                    queued_at = CASE WHEN ? = 'queued' THEN ? ELSE queued_at END WHERE id = ?
                """, arguments: [status.rawValue, error, now, status.rawValue, now, id])
        }
    }

    public func interruptedModels() async throws -> [ModelID] {
        try await read { db in
            try Int64.fetchAll(db, sql: """
                SELECT id FROM models WHERE status IN ('running', 'queued')
                ORDER BY status = 'running' DESC, queued_at, id
                """)
        }
    }

    public func rewindToCheckpoint(_ id: ModelID) async throws {
        try await write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT ticks, epoch FROM checkpoints WHERE model_id = ?", arguments: [id]) else { return }
            let ticks: Int = row["ticks"]
            let epoch: Double = row["epoch"]
            try db.execute(sql: "DELETE FROM metrics WHERE model_id = ? AND step > ?", arguments: [id, ticks])
            try db.execute(sql: "DELETE FROM samples WHERE model_id = ? AND step > ?", arguments: [id, ticks])
            try db.execute(sql: "UPDATE models SET ticks = ?, epoch = ?, updated_at = ? WHERE id = ?",
                           arguments: [ticks, epoch, StoreClock.now, id])
        }
    }
}
