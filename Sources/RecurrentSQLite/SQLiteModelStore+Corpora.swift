import Foundation
import GRDB
import RecurrentStore

/// A row of `uploaded_corpora`: the record of a corpus file (see ``CorpusFiles``).
struct UploadedCorpusRow: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "uploaded_corpora"

    var id: CorpusID?
    var fileName: String
    var byteCount: Int
    var characterCount: Int
    /// The vocabulary's characters as a JSON array.
    var vocabulary: String
    var checksum: String
    var createdAt: Double

    enum CodingKeys: String, CodingKey {
        case id, vocabulary, checksum
        case fileName = "file_name", byteCount = "byte_count", characterCount = "character_count", createdAt = "created_at"
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    func record() throws -> UploadedCorpus {
        UploadedCorpus(id: id ?? 0, byteCount: byteCount, characterCount: characterCount,
                       vocabulary: try JSONDecoder().decode([String].self, from: Data(vocabulary.utf8)),
                       checksum: checksum, createdAt: createdAt)
    }
}

extension SQLiteModelStore {
    public func storeCorpus<Pieces: AsyncSequence>(_ pieces: Pieces, describe: @escaping @Sendable () throws -> CorpusContents)
        async throws -> UploadedCorpus where Pieces.Element == [UInt8] {
        let writer = try await CorpusFileWriter.begin(in: files)
        do {
            for try await piece in pieces { try await writer.append(piece) }
            let contents = try describe()
            try await writer.complete()
            let vocabulary = String(decoding: try JSONEncoder().encode(contents.vocabulary), as: UTF8.self)
            let row = UploadedCorpusRow(id: nil, fileName: writer.name, byteCount: writer.byteCount,
                                        characterCount: contents.characterCount, vocabulary: vocabulary,
                                        checksum: writer.digest.hex(), createdAt: StoreClock.now)
            return try await write { db in
                var inserted = row
                try inserted.insert(db)
                return try inserted.record()
            }
        } catch {
            await writer.discard()
            throw error
        }
    }

    public func uploadedCorpus(_ id: CorpusID) async throws -> UploadedCorpus? {
        try await read { db in try UploadedCorpusRow.fetchOne(db, key: id)?.record() }
    }

    public func uploadedCorpora(limit: Int, before: CorpusID?) async throws -> [UploadedCorpus] {
        try await read { db in
            var request = UploadedCorpusRow.all()
            if let before { request = request.filter(Column("id") < before) }
            return try request.order(Column("id").desc).limit(limit).fetchAll(db).map { try $0.record() }
        }
    }

    public func deleteUploadedCorpus(_ id: CorpusID) async throws {
        let name = try await write { db -> String? in
            guard let row = try UploadedCorpusRow.fetchOne(db, key: id) else { return nil }
            let users = try ModelID.fetchAll(db, sql: "SELECT model_id FROM model_corpora WHERE corpus_id = ? ORDER BY model_id",
                                             arguments: [id])
            guard users.isEmpty else { throw StoreError.corpusInUse(id, models: users) }
            _ = try UploadedCorpusRow.deleteOne(db, key: id)
            return row.fileName
        }
        // After the commit: a crash before the unlink leaves a file no row
        // names, which the next start removes.
        if let name { unlink(files.path(name)) }
    }

    public func readUploadedCorpus(_ id: CorpusID, _ consume: @escaping @Sendable (UnsafeRawBufferPointer) throws -> Void) async throws {
        guard let row = try await read({ db in try UploadedCorpusRow.fetchOne(db, key: id) }) else {
            throw StoreError.corruptCorpus(id, reason: "its record is gone")
        }
        let checksum: String
        do {
            checksum = try await files.readAll(row.fileName, consume)
        } catch let error as StoreError {
            throw FileManager.default.fileExists(atPath: files.path(row.fileName))
                ? error : StoreError.corruptCorpus(id, reason: "its file \(files.path(row.fileName)) is missing")
        }
        guard checksum == row.checksum else {
            throw StoreError.corruptCorpus(id, reason: "its file no longer matches its SHA-256 checksum")
        }
    }

    public func uploadedCorpusID(of model: ModelID) async throws -> CorpusID? {
        try await read { db in
            try CorpusID.fetchOne(db, sql: "SELECT corpus_id FROM model_corpora WHERE model_id = ?", arguments: [model])
        }
    }

    /// The names of every recorded corpus file (what a start keeps).
    static func corpusFileNames(_ pool: DatabasePool) throws -> Set<String> {
        try pool.read { db in Set(try String.fetchAll(db, sql: "SELECT file_name FROM uploaded_corpora")) }
    }
}
