import Foundation
import GRDB
import RecurrentStore

/// The embedded store: one SQLite file in WAL mode through a `DatabasePool`,
/// so status reads never wait for a job's writes. Every model's rows hang off
/// `models` with `ON DELETE CASCADE`, so deleting a model removes everything
/// it owns. Every call runs on GRDB's own threads, never on the caller's.
public final class SQLiteModelStore: ModelStore {
    let pool: DatabasePool
    /// Decoded configs and vocabularies of the models this store has read.
    private let columns = DecodedColumns()
    public let isReadOnly: Bool
    public let path: String

    /// Opens (creating when missing) the database at `path` and migrates it.
    public init(path: String) throws {
        self.path = path
        do {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            (pool, isReadOnly) = try Self.open(path: path, configuration: Self.configuration())
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.cannotOpen("cannot open the database \(path): \(error)")
        }
    }

    static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        // In WAL mode NORMAL never corrupts the database and survives a
        // process crash; it only skips the fsync of every commit, which would
        // otherwise cost each flush a disk round trip.
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        return configuration
    }

    private static func open(path: String, configuration: Configuration) throws -> (DatabasePool, Bool) {
        do {
            let pool = try DatabasePool(path: path, configuration: configuration)
            try SQLiteMigrations.migrator.migrate(pool)
            return (pool, false)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_READONLY {
            // A file the service may not write still serves reads: every
            // write then fails as a storage fault.
            var readOnly = configuration
            readOnly.readonly = true
            let pool = try DatabasePool(path: path, configuration: readOnly)
            guard try pool.read({ db in try SQLiteMigrations.migrator.hasCompletedMigrations(db) }) else {
                throw StoreError.cannotOpen("the database \(path) is read-only and older than this version: "
                                            + "make it writable once so it can be migrated")
            }
            return (pool, true)
        }
    }

    // MARK: Access

    /// A read on GRDB's reader threads; database errors become store errors.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await pool.read(body) } catch { throw SQLiteFault.storeError(error) }
    }

    /// A write transaction on GRDB's writer thread; database errors become store errors.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await pool.write(body) } catch { throw SQLiteFault.storeError(error) }
    }

    /// Checkpoints the write-ahead log into the main file and truncates it,
    /// then closes the pool: after a clean stop the `.sqlite` file alone
    /// holds everything (a copy of it loses nothing).
    public func close() async throws {
        if !isReadOnly {
            do {
                try await pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
            } catch {
                throw SQLiteFault.storeError(error)
            }
        }
        try pool.close()
    }

    /// A consistent copy of the live database at `destination`, taken with
    /// SQLite's online backup API while jobs keep writing.
    public func backup(to destination: String) throws {
        let target = try DatabaseQueue(path: destination)
        try pool.backup(to: target)
        try target.close()
    }

    // MARK: ModelCatalog

    static let selectModels = SQLiteRows.selectModels

    public func requireWritable() async throws {
        try await write { db in
            // Rewrites the header's user_version with its own value: a real one-page write.
            let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            try db.execute(sql: "PRAGMA user_version = \(version)")
        }
    }

    public func insert(_ model: NewModel, status: ModelStatus, checkpoint: Checkpoint) async throws -> ModelRecord {
        let vocabulary = String(decoding: try JSONEncoder().encode(model.vocabulary), as: UTF8.self)
        let sentences = try model.sentences.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        let columns = self.columns
        return try await write { db in
            let now = StoreClock.now
            try db.execute(sql: """
                INSERT INTO models (name, status, config, vocabulary, sentence_count, parameter_count, ticks, epoch,
                    learning_rate, sample_temperature, max_ticks, created_at, updated_at, queued_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [model.name, status.rawValue, model.config.json, vocabulary, model.sentences?.count ?? 0,
                                 model.parameterCount, model.ticks, model.epoch, model.settings.learningRate,
                                 model.settings.sampleTemperature, model.settings.maxTicks, now, now,
                                 status == .queued ? now : nil])
            let id = db.lastInsertedRowID
            if model.name.isEmpty {
                try db.execute(sql: "UPDATE models SET name = ? WHERE id = ?", arguments: ["model \(id)", id])
            }
            if let sentences {
                try db.execute(sql: "INSERT INTO corpora (model_id, sentences) VALUES (?, ?)", arguments: [id, sentences])
            }
            try SQLiteRows.saveCheckpoint(db, id: id, checkpoint)
            let row = try Row.fetchOne(db, sql: "\(Self.selectModels) WHERE models.id = ?", arguments: [id])!
            return try SQLiteRows.model(row, columns: columns)
        }
    }

    public func model(_ id: ModelID) async throws -> ModelRecord? {
        let columns = self.columns
        // A cached statement: preparing (and authorizing) it again on every
        // status read showed in profiles.
        return try await read { db in
            try Row.fetchOne(try db.cachedStatement(sql: "\(Self.selectModels) WHERE models.id = ?"), arguments: [id])
                .map { try SQLiteRows.model($0, columns: columns) }
        }
    }

    public func models(limit: Int, before: ModelID?, status: ModelStatus?) async throws -> [ModelRecord] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let before {
            conditions.append("models.id < ?")
            _ = arguments.append(contentsOf: [before])
        }
        if let status {
            conditions.append("models.status = ?")
            _ = arguments.append(contentsOf: [status.rawValue])
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        _ = arguments.append(contentsOf: [limit])
        let columns = self.columns, query = arguments
        return try await read { db in
            try Row.fetchAll(db, sql: "\(Self.selectModels) \(filter) ORDER BY models.id DESC LIMIT ?", arguments: query)
                .map { try SQLiteRows.model($0, columns: columns) }
        }
    }

    public func update(_ id: ModelID, name: String?, settings: MutableSettings) async throws {
        try await write { db in
            if let name { try db.execute(sql: "UPDATE models SET name = ? WHERE id = ?", arguments: [name, id]) }
            try db.execute(sql: """
                UPDATE models SET learning_rate = ?, sample_temperature = ?, max_ticks = ?, updated_at = ? WHERE id = ?
                """, arguments: [settings.learningRate, settings.sampleTemperature, settings.maxTicks, StoreClock.now, id])
        }
    }

    public func delete(_ id: ModelID) async throws {
        try await write { db in try db.execute(sql: "DELETE FROM models WHERE id = ?", arguments: [id]) }
    }

    public func statusCounts() async throws -> [ModelStatus: Int] {
        try await read { db in
            var counts: [ModelStatus: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS count FROM models GROUP BY status") {
                if let status = ModelStatus(rawValue: row["status"]) { counts[status] = row["count"] }
            }
            return counts
        }
    }

    public func totalModels() async throws -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM models") ?? 0 }
    }
}
