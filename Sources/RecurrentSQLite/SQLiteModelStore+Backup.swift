import Foundation
import GRDB
import RecurrentStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension SQLiteModelStore {
    /// The folder that holds the uploaded corpora of the database at
    /// `databasePath`: beside it, named for it (`recurrent.sqlite` →
    /// `recurrent-corpora`).
    public static func corporaFolder(of databasePath: String) -> String {
        CorpusFiles(databasePath: databasePath).folder
    }

    /// A consistent copy of the live database at `destination` (created,
    /// or overwritten), taken with SQLite's online backup API within one read
    /// transaction while jobs keep writing: the copy is the database as it
    /// was at one commit. The uploaded corpora that copy names go to the
    /// destination's own corpora folder (`copy.sqlite` → `copy-corpora/`),
    /// hard-linked where the file system allows (a corpus file never changes
    /// once written) and copied otherwise. Returns what the copy holds.
    ///
    /// Throws ``StoreError/unavailable(reason:detail:)`` when the corpora
    /// folder already exists, or when a corpus a copied model trains on was
    /// deleted while the backup ran (run it again).
    @discardableResult
    public func backup(to destination: String) throws -> BackupSummary {
        let copies = CorpusFiles(databasePath: destination)
        guard !FileManager.default.fileExists(atPath: copies.folder) else {
            throw StoreError.unavailable(reason: "the backup's corpora folder \(copies.folder) already exists", detail: nil)
        }
        do {
            let target = try DatabaseQueue(path: destination)
            try pool.backup(to: target)
            let corpora = try copyCorpora(named: target, into: copies)
            let models = try target.read { db in try ModelRow.fetchCount(db) }
            try target.close()
            let size = try FileManager.default.attributesOfItem(atPath: destination)[.size] as? Int ?? 0
            return BackupSummary(models: models, bytes: size, corpora: corpora.count, corpusBytes: corpora.bytes)
        } catch let error as DatabaseError {
            throw SQLiteFault.storeError(error)
        }
    }

    /// Links or copies the file of every uploaded corpus `target` names into
    /// `copies`, durably. A corpus deleted since the copy was taken (its file
    /// gone) is dropped from `target` when no copied model trains on it.
    private func copyCorpora(named target: DatabaseQueue, into copies: CorpusFiles) throws -> (count: Int, bytes: Int) {
        let rows = try target.read { db in try UploadedCorpusRow.fetchAll(db) }
        guard !rows.isEmpty else { return (0, 0) }
        do {
            try FileManager.default.createDirectory(atPath: copies.folder, withIntermediateDirectories: false)
        } catch {
            throw StoreError.unavailable(reason: "cannot create the backup's corpora folder \(copies.folder)",
                                        detail: "\(error)")
        }
        var count = 0, bytes = 0
        for row in rows {
            let source = files.path(row.fileName), copy = copies.path(row.fileName)
            guard FileManager.default.fileExists(atPath: source) else {
                try dropDeletedCorpus(row, from: target)
                continue
            }
            if link(source, copy) != 0 {
                do {
                    try FileManager.default.copyItem(atPath: source, toPath: copy)
                } catch {
                    throw StoreError.unavailable(reason: "cannot copy the uploaded corpus \(source) to \(copy)",
                                                detail: "\(error)")
                }
                try Self.sync(copy)
            }
            count += 1
            bytes += row.byteCount
        }
        try Self.sync(copies.folder)
        return (count, bytes)
    }

    private func dropDeletedCorpus(_ row: UploadedCorpusRow, from target: DatabaseQueue) throws {
        guard let id = row.id else { return }
        let users = try target.read { db in
            try ModelID.fetchAll(db, sql: "SELECT model_id FROM model_corpora WHERE corpus_id = ?", arguments: [id])
        }
        guard users.isEmpty else {
            throw StoreError.unavailable(reason: "uploaded corpus \(id) was deleted while the backup ran", detail: "run it again")
        }
        _ = try target.write { db in try UploadedCorpusRow.deleteOne(db, key: id) }
    }

    /// `fsync` of a file or folder, so the copy survives a crash.
    private static func sync(_ path: String) throws {
        guard fsyncPath(path) else {
            throw StoreError.unavailable(reason: "cannot sync \(path)", detail: String(cString: strerror(errno)))
        }
    }
}

/// Outside the store, whose `close()` would hide the C function.
private func fsyncPath(_ path: String) -> Bool {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    return fsync(descriptor) == 0
}
