import Foundation
import PostgresNIO
import RecurrentStore

extension PostgresModelStore {
    // MARK: ModelCatalog

    /// Rewrites the one row of `store_probe`: a real write, so a server that
    /// cannot write (read-only, disk full, unreachable) fails here.
    public func requireWritable() async throws {
        let logger = self.logger
        try await transaction { connection in
            try await connection.run("""
                INSERT INTO store_probe (id, written_at) VALUES (1, \(StoreClock.now))
                ON CONFLICT (id) DO UPDATE SET written_at = EXCLUDED.written_at
                """, logger: logger)
        }
    }

    /// Inserts the model, its corpus and its first checkpoint in one
    /// transaction; an empty name becomes "model <id>".
    public func insert(_ model: NewModel, status: ModelStatus, checkpoint: Checkpoint) async throws -> ModelRecord {
        let vocabulary = String(decoding: try JSONEncoder().encode(model.vocabulary), as: UTF8.self)
        let sentences = try model.sentences.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        let columns = self.columns, logger = self.logger
        return try await transaction { connection in
            let now = StoreClock.now
            let queuedAt: Double? = status == .queued ? now : nil
            let inserted = try await connection.query("""
                INSERT INTO models (name, status, config, vocabulary, sentence_count, parameter_count, ticks, epoch,
                    learning_rate, sample_temperature, max_ticks, created_at, updated_at, queued_at)
                VALUES (\(model.name), \(status.rawValue), \(model.config.json), \(vocabulary),
                    \(model.corpusEntries), \(model.parameterCount), \(model.ticks), \(model.epoch),
                    \(model.settings.learningRate), \(model.settings.sampleTemperature), \(model.settings.maxTicks),
                    \(now), \(now), \(queuedAt))
                RETURNING id
                """, logger: logger)
            var id: ModelID?
            for try await value in inserted.decode(Int64.self) { id = value }
            guard let id else { throw PostgresStoreFailure.missingRow("the inserted model") }
            if model.name.isEmpty {
                try await connection.run("UPDATE models SET name = \("model \(id)") WHERE id = \(id)", logger: logger)
            }
            if let sentences {
                try await connection.run("INSERT INTO corpora (model_id, sentences) VALUES (\(id), \(sentences))",
                                         logger: logger)
            }
            if let corpusID = model.corpusID {
                try await connection.run("INSERT INTO model_corpora (model_id, corpus_id) VALUES (\(id), \(corpusID))",
                                         logger: logger)
            }
            try await PostgresRows.saveCheckpoint(connection, id: id, checkpoint, logger: logger)
            guard let record = try await Self.model(id, on: connection, columns: columns, logger: logger) else {
                throw PostgresStoreFailure.missingRow("the inserted model")
            }
            return record
        }
    }

    /// The model `id` with its checkpoint's tick and time; nil when there is
    /// none. From ``records`` while it holds the model; a record read is kept
    /// there unless a change came while it was read.
    public func model(_ id: ModelID) async throws -> ModelRecord? {
        if let record = records.record(id) { return record }
        let read = records.beginRead()
        let columns = self.columns, logger = self.logger
        let record = try await withConnection(readOnly: true) { connection in
            try await Self.model(id, on: connection, columns: columns, logger: logger)
        }
        if let record, let read { records.keep(record, read) }
        return record
    }

    static func model(_ id: ModelID, on connection: PostgresConnection, columns: DecodedColumns,
                      logger: Logger) async throws -> ModelRecord? {
        var record: ModelRecord?
        let query: PostgresQuery = "\(unescaped: PostgresRows.selectModels) WHERE models.id = \(id)"
        for try await row in try await connection.query(query, logger: logger) {
            record = try PostgresRows.model(row, columns: columns)
        }
        return record
    }

    /// Newest first; `before` is the id cursor; `status` filters.
    public func models(limit: Int, before: ModelID?, status: ModelStatus?) async throws -> [ModelRecord] {
        var binds = PostgresBindings()
        var conditions: [String] = []
        if let before {
            binds.append(before)
            conditions.append("models.id < $\(binds.count)")
        }
        if let status {
            binds.append(status.rawValue)
            conditions.append("models.status = $\(binds.count)")
        }
        binds.append(limit)
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let query = PostgresQuery(unsafeSQL: "\(PostgresRows.selectModels) \(filter) ORDER BY models.id DESC LIMIT $\(binds.count)",
                                  binds: binds)
        let columns = self.columns, logger = self.logger
        return try await withConnection(readOnly: true) { connection in
            var records: [ModelRecord] = []
            for try await row in try await connection.query(query, logger: logger) {
                records.append(try PostgresRows.model(row, columns: columns))
            }
            return records
        }
    }

    /// Renames the model when `name` is given and stores `settings`.
    public func update(_ id: ModelID, name: String?, settings: MutableSettings) async throws {
        let logger = self.logger
        try await transaction { connection in
            try await connection.run("""
                UPDATE models SET name = COALESCE(\(name), name), learning_rate = \(settings.learningRate),
                    sample_temperature = \(settings.sampleTemperature), max_ticks = \(settings.maxTicks),
                    updated_at = \(StoreClock.now)
                WHERE id = \(id)
                """, logger: logger)
        }
    }

    /// Removes the model; its corpus, checkpoint, best weights, metrics and
    /// samples go with it (`ON DELETE CASCADE`).
    public func delete(_ id: ModelID) async throws {
        let logger = self.logger
        try await transaction { connection in
            try await connection.run("DELETE FROM models WHERE id = \(id)", logger: logger)
        }
    }

    /// How many models have each status (statuses without models are absent).
    public func statusCounts() async throws -> [ModelStatus: Int] {
        let logger = self.logger
        return try await withConnection(readOnly: true) { connection in
            var counts: [ModelStatus: Int] = [:]
            let rows = try await connection.query("SELECT status, COUNT(*) FROM models GROUP BY status", logger: logger)
            for try await (status, count) in rows.decode((String, Int).self) {
                if let status = ModelStatus(rawValue: status) { counts[status] = count }
            }
            return counts
        }
    }

    /// How many models there are.
    public func totalModels() async throws -> Int {
        let logger = self.logger
        return try await withConnection(readOnly: true) { connection in
            var total = 0
            for try await count in try await connection.query("SELECT COUNT(*) FROM models", logger: logger)
                .decode(Int.self) {
                total = count
            }
            return total
        }
    }
}

/// A statement that must return a row returned none (a bug or a concurrent
/// change, not a storage fault).
enum PostgresStoreFailure: Error, CustomStringConvertible {
    case missingRow(String)

    var description: String {
        switch self {
        case .missingRow(let what): "PostgreSQL returned no row for \(what)"
        }
    }
}
