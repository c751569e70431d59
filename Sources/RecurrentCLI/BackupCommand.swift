import ArgumentParser
import Foundation
import RecurrentSQLite

/// `recurrent backup`: a consistent copy of a service's database, taken with
/// SQLite's online backup API, safe while `recurrent serve` trains on it.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy a service's SQLite database consistently, even while `recurrent serve` trains on it.",
        discussion: """
            The copy is the database as it was at one commit: every model with its checkpoint, \
            history and samples. Uploaded corpora go to the copy's own corpora folder \
            (copy.sqlite → copy-corpora/), hard-linked where possible. A service started on \
            the copy resumes its jobs from their checkpoints. Neither the destination nor its \
            corpora folder may exist yet. Prints one line: the models (and corpora) copied \
            and the size of the copy.
            """
    )

    @Option(help: ArgumentHelp("The service's SQLite database file.", valueName: "path"))
    var database: String

    @Option(help: ArgumentHelp("The new file to write the copy to (must not exist).", valueName: "file"))
    var to: String

    func run() throws {
        try Self.checkSource(database)
        try Self.checkDestination(to)
        let store: SQLiteModelStore
        do {
            store = try SQLiteModelStore(path: database)
        } catch {
            throw CommandError.usage("database '\(database)' cannot be opened: \(error)")
        }
        do {
            let summary = try store.backup(to: to)
            let models = "\(summary.models) model\(summary.models == 1 ? "" : "s")"
            if summary.corpora == 0 {
                print("backed up \(models) from \(database) to \(to) (\(summary.bytes) bytes)")
            } else {
                let corpora = "\(summary.corpora) uploaded corp\(summary.corpora == 1 ? "us" : "ora")"
                print("backed up \(models) and \(corpora) from \(database) to \(to) (\(summary.bytes) bytes; "
                      + "corpora in \(SQLiteModelStore.corporaFolder(of: to)), \(summary.corpusBytes) bytes)")
            }
        } catch {
            // Both were checked to be new: nothing of the user's is removed.
            try? FileManager.default.removeItem(atPath: to)
            try? FileManager.default.removeItem(atPath: SQLiteModelStore.corporaFolder(of: to))
            throw CommandError.failure("backup of '\(database)' to '\(to)' failed: \(error)")
        }
        // The store is not closed with `close()`: its checkpoint of the
        // write-ahead log would wait for the live service's writes. Its
        // connections close when it is released.
    }

    /// The database must be an existing file: opening a missing one would create it.
    static func checkSource(_ path: String) throws(CommandError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .usage("database '\(path)' does not exist")
        }
        guard !isDirectory.boolValue else { throw .usage("database '\(path)' is a directory") }
        guard FileManager.default.isReadableFile(atPath: path) else { throw .usage("database '\(path)' cannot be read") }
    }

    /// The destination must be new, in an existing writable folder: a backup never overwrites.
    static func checkDestination(_ path: String) throws(CommandError) {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw .usage("--to '\(path)' already exists; a backup never overwrites a file")
        }
        let corpora = SQLiteModelStore.corporaFolder(of: path)
        guard !FileManager.default.fileExists(atPath: corpora) else {
            throw .usage("--to '\(path)': its corpora folder '\(corpora)' already exists; a backup never overwrites a file")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .usage("--to '\(path)': directory '\(folder)' does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw .usage("--to '\(path)': directory '\(folder)' is not writable")
        }
    }
}
