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
    /// The folder of uploaded corpora next to the database.
    let files: CorpusFiles

    /// Opens (creating when missing) the database at `path` and migrates it.
    public init(path: String) throws {
        self.path = path
        files = CorpusFiles(databasePath: path)
        do {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            (pool, isReadOnly) = try Self.open(path: path, configuration: Self.configuration())
            // Uploads and deletes a crash cut short leave files no row names.
            if !isReadOnly { files.removeLeftovers(keeping: try Self.corpusFileNames(pool)) }
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
                _ = try await pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
            } catch {
                throw SQLiteFault.storeError(error)
            }
        }
        try pool.close()
    }

    // MARK: ModelCatalog

    public func requireWritable() async throws {
        try await write { db in
            // Rewrites the header's user_version with its own value: a real one-page write.
            let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            try db.execute(sql: "PRAGMA user_version = \(version)")
        }
    }

    public func insert(_ model: NewModel, status: ModelStatus, checkpoint: Checkpoint) async throws -> ModelRecord {
        let columns = self.columns
        return try await write { db in
            var row = try ModelRow(model, status: status, now: StoreClock.now)
            try row.insert(db)
            guard let id = row.id else { throw StoreError.unavailable(reason: "the model was not inserted", detail: nil) }
            if model.name.isEmpty {
                row.name = "model \(id)"
                try row.update(db, columns: [ModelRow.Columns.name])
            }
            if let sentences = model.sentences {
                try CorpusRow(modelID: id, sentences: sentences).insert(db)
            }
            if let corpusID = model.corpusID {
                try db.execute(sql: "INSERT INTO model_corpora (model_id, corpus_id) VALUES (?, ?)", arguments: [id, corpusID])
            }
            try CheckpointRow.save(db, id: id, checkpoint)
            return try row.record(checkpointTicks: checkpoint.ticks, checkpointAt: checkpoint.time, columns: columns,
                                  corpusID: model.corpusID)
        }
    }

    public func model(_ id: ModelID) async throws -> ModelRecord? {
        let columns = self.columns
        return try await read { db in
            try ModelListingRow.one(id).fetchOne(db)?.record(columns: columns)
        }
    }

    public func models(limit: Int, before: ModelID?, status: ModelStatus?) async throws -> [ModelRecord] {
        let columns = self.columns
        return try await read { db in
            var request = ModelListingRow.all()
            if let before { request = request.filter(ModelRow.Columns.id < before) }
            if let status { request = request.filter(ModelRow.Columns.status == status.rawValue) }
            return try request.order(ModelRow.Columns.id.desc).limit(limit).fetchAll(db)
                .map { try $0.record(columns: columns) }
        }
    }

    public func update(_ id: ModelID, name: String?, settings: MutableSettings) async throws {
        try await write { db in
            var assignments = [
                ModelRow.Columns.learningRate.set(to: settings.learningRate),
                ModelRow.Columns.sampleTemperature.set(to: settings.sampleTemperature),
                ModelRow.Columns.maxTicks.set(to: settings.maxTicks),
                ModelRow.Columns.updatedAt.set(to: StoreClock.now),
            ]
            if let name { assignments.append(ModelRow.Columns.name.set(to: name)) }
            _ = try ModelRow.filter(key: id).updateAll(db, assignments)
        }
    }

    public func delete(_ id: ModelID) async throws {
        try await write { db in _ = try ModelRow.deleteOne(db, key: id) }
    }

    public func statusCounts() async throws -> [ModelStatus: Int] {
        try await read { db in
            let request = ModelRow.select(ModelRow.Columns.status, SQL("COUNT(*)").forKey("count"))
                .group(ModelRow.Columns.status)
            var counts: [ModelStatus: Int] = [:]
            for row in try Row.fetchAll(db, request) {
                if let status = ModelStatus(rawValue: row["status"]) { counts[status] = row["count"] }
            }
            return counts
        }
    }

    public func totalModels() async throws -> Int {
        try await read { db in try ModelRow.fetchCount(db) }
    }
}
