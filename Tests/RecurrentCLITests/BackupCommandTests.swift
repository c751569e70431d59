import Foundation
import GRDB
import Testing

/// The database a `recurrent serve` leaves after SIGTERM, and `recurrent
/// backup` of a live one.
@Suite(.serialized)
struct BackupCommandTests {
    typealias Server = ServeRestartTests.Server

    /// Each model's id and ticks, read straight from a database file.
    static func storedTicks(_ path: String) throws -> [Int: Int] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, ticks FROM models").map {
                (Int($0["id"] as Int64), $0["ticks"] as Int)
            })
        }
    }

    static func integrityCheck(_ path: String) throws -> String {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }

    static var smallModel: [String: Any] {
        ["sentences": Workspace.sentences, "hidden_sizes": [8], "letter_size": 3, "seed": 5]
    }

    @Test func afterSigtermTheMainFileAloneHoldsEveryModel() throws {
        let workspace = try Workspace()
        try FileManager.default.createDirectory(atPath: workspace.path("public"), withIntermediateDirectories: true)
        let server = try Server(in: workspace, extra: ["--checkpoint-seconds", "3600"])
        let training = try #require(try server.request("POST", "/api/models", Self.smallModel).1["id"] as? Int)
        let waiting = try #require(try server.request("POST", "/api/models", Self.smallModel).1["id"] as? Int)
        try server.waitFor("training") { (try server.model(training)["ticks"] as? Int ?? 0) > 200 }
        let seen = try #require(try server.model(training)["ticks"] as? Int)
        server.kill(SIGTERM)
        #expect(server.process.terminationStatus == 0, "\(server.log)")

        // Only the main file: no -wal, no -shm.
        let copy = try Workspace()
        try FileManager.default.createDirectory(atPath: copy.path("public"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: copy.path("data"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: workspace.path("data/service.sqlite"), toPath: copy.path("data/service.sqlite"))
        #expect(try Self.integrityCheck(copy.path("data/service.sqlite")) == "ok")
        let stored = try Self.storedTicks(copy.path("data/service.sqlite"))
        #expect(Set(stored.keys) == [training, waiting])
        // The shutdown checkpointed the job at least where it was last seen.
        #expect((stored[training] ?? 0) >= seen)

        let again = try Server(in: copy, extra: ["--checkpoint-seconds", "3600"])
        defer { again.kill(SIGKILL) }
        let resumed = try again.model(training)
        #expect(resumed["checkpoint_ticks"] as? Int == stored[training])
        #expect((resumed["ticks"] as? Int ?? 0) >= seen)
        #expect(resumed["status"] as? String == "running")
        #expect(try again.model(waiting)["status"] as? String == "queued")
        try again.waitFor("training to continue") { (try again.model(training)["ticks"] as? Int ?? 0) > seen + 100 }
    }

    @Test func backupOfATrainingServiceIsSoundAndResumes() throws {
        let workspace = try Workspace()
        try FileManager.default.createDirectory(atPath: workspace.path("public"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: workspace.path("backups"), withIntermediateDirectories: true)
        let server = try Server(in: workspace)
        let id = try #require(try server.request("POST", "/api/models", Self.smallModel).1["id"] as? Int)
        try server.waitFor("a checkpoint") { (try server.model(id)["checkpoint_ticks"] as? Int ?? 0) >= 100 }

        let output = try workspace.run("backup", "--database", "data/service.sqlite", "--to", "backups/copy.sqlite")
        // Still training while and after the copy was taken. The API's tick
        // count is published every half second, so it may trail what a flush
        // already stored: the first count that changes after the copy is at
        // least the job's true count when the copy was taken.
        let seenAtBackup = try #require(try server.model(id)["ticks"] as? Int)
        try server.waitFor("a progress report after the backup") {
            (try server.model(id)["ticks"] as? Int ?? 0) != seenAtBackup
        }
        let ticksAfterBackup = try #require(try server.model(id)["ticks"] as? Int)
        #expect(try server.model(id)["status"] as? String == "running")
        server.kill(SIGKILL)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stderr.isEmpty, "\(output.stderr)")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: workspace.path("backups/copy.sqlite"))[.size] as? Int)
        #expect(output.stdoutLines == ["backed up 1 model from data/service.sqlite to backups/copy.sqlite (\(size) bytes)"])
        #expect(try Self.integrityCheck(workspace.path("backups/copy.sqlite")) == "ok")
        let held = try #require(try Self.storedTicks(workspace.path("backups/copy.sqlite"))[id])
        #expect(held > 0 && held <= ticksAfterBackup)

        let restored = try Server(in: workspace, arguments: [
            "serve", "--port", "0", "--database", workspace.path("backups/copy.sqlite"), "--public", workspace.path("public"),
            "--checkpoint-seconds", "1", "--max-jobs", "1",
        ])
        defer { restored.kill(SIGKILL) }
        #expect(try restored.model(id)["status"] as? String == "running")
        try restored.waitFor("the restored job to train past the backup") {
            (try restored.model(id)["ticks"] as? Int ?? 0) > held + 100
        }
    }

    /// Uploads `text` as a corpus (`POST /api/corpora`, text/plain); returns its id.
    static func upload(_ text: String, to server: Server) throws -> Int {
        let (status, data, _) = try server.send("POST", "/api/corpora", Data(text.utf8), headers: ["Content-Type": "text/plain"])
        #expect(status == 201, "\(String(decoding: data, as: UTF8.self))")
        let body = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return try #require(body?["id"] as? Int)
    }

    @Test func backupCarriesUploadedCorporaAndTheCopyTrainsOnThem() throws {
        let workspace = try Workspace()
        try FileManager.default.createDirectory(atPath: workspace.path("public"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: workspace.path("backups"), withIntermediateDirectories: true)
        let server = try Server(in: workspace)
        let text = String(repeating: Workspace.sentences.joined(separator: ". ") + ". ", count: 40)
        let used = try Self.upload(text, to: server)
        let unused = try Self.upload("a corpus no model trains on\n", to: server)
        let model: [String: Any] = ["corpus": "text", "corpus_id": used, "generator": "gru", "hidden_sizes": [12],
                                    "letter_size": 4, "batch_size": 4, "seq_length": 16, "val_fraction": 0.1, "seed": 3]
        let (status, created) = try server.request("POST", "/api/models", model)
        #expect(status == 201, "\(created)")
        let id = try #require(created["id"] as? Int)
        try server.waitFor("a checkpoint") { (try server.model(id)["checkpoint_ticks"] as? Int ?? 0) >= 20 }

        let output = try workspace.run("backup", "--database", "data/service.sqlite", "--to", "backups/copy.sqlite")
        server.kill(SIGKILL)
        #expect(output.status == 0, "\(output.stderr)")
        let line = try #require(output.stdoutLines.first)
        #expect(line.hasPrefix("backed up 1 model and 2 uploaded corpora from data/service.sqlite to backups/copy.sqlite"), "\(line)")
        #expect(line.contains("corpora in \(workspace.path("backups/copy-corpora"))"), "\(line)")
        // The same files, byte for byte, and the originals still in place.
        let originals = try FileManager.default.contentsOfDirectory(atPath: workspace.path("data/service-corpora")).sorted()
        let copies = try FileManager.default.contentsOfDirectory(atPath: workspace.path("backups/copy-corpora")).sorted()
        #expect(originals.count == 2 && copies == originals)
        for name in copies {
            let copy = try workspace.data("backups/copy-corpora/" + name)
            #expect(copy == (try workspace.data("data/service-corpora/" + name)), "\(name)")
        }
        let held = try #require(try Self.storedTicks(workspace.path("backups/copy.sqlite"))[id])

        // A service on the copy lists both corpora and trains on the used one.
        let restored = try Server(in: workspace, arguments: [
            "serve", "--port", "0", "--database", workspace.path("backups/copy.sqlite"), "--public", workspace.path("public"),
            "--checkpoint-seconds", "1", "--max-jobs", "1",
        ])
        defer { restored.kill(SIGKILL) }
        let listed = try restored.request("GET", "/api/corpora").1["corpora"] as? [[String: Any]] ?? []
        #expect(Set(listed.compactMap { $0["id"] as? Int }) == [used, unused])
        try restored.waitFor("the restored job to train past the backup") {
            (try restored.model(id)["ticks"] as? Int ?? 0) > held + 40
        }
        let after = try restored.model(id)
        #expect(after["status"] as? String == "running", "\(after)")
    }

    @Test func usageErrors() throws {
        let workspace = try Workspace()
        try FileManager.default.createDirectory(atPath: workspace.path("data"), withIntermediateDirectories: true)
        // A real database to copy from.
        let created = try DatabaseQueue(path: workspace.path("data/real.sqlite"))
        try created.write { db in try db.execute(sql: "CREATE TABLE t (x)") }
        try created.close()
        try workspace.write("exists.sqlite", "")
        try FileManager.default.createDirectory(atPath: workspace.path("old-corpora"), withIntermediateDirectories: true)
        let cases: [(arguments: [String], message: String)] = [
            (["backup", "--database", "missing.sqlite", "--to", "copy.sqlite"], "does not exist"),
            (["backup", "--database", "data", "--to", "copy.sqlite"], "is a directory"),
            (["backup", "--database", "corpus.txt", "--to", "copy.sqlite"], "cannot be opened"),
            (["backup", "--database", "data/real.sqlite", "--to", "exists.sqlite"], "already exists"),
            (["backup", "--database", "data/real.sqlite", "--to", "old.sqlite"], "corpora folder"),
            (["backup", "--database", "data/real.sqlite", "--to", "nowhere/copy.sqlite"], "does not exist"),
            (["backup", "--database", "data/real.sqlite", "--to", "corpus.txt/copy.sqlite"], "does not exist"),
            (["backup", "--database", "data/real.sqlite"], "--to"),
            (["backup", "--to", "copy.sqlite"], "--database"),
        ]
        for (arguments, message) in cases {
            let output = try workspace.run(arguments)
            expectUsageError(output, arguments)
            #expect(output.stderr.contains(message), "\(arguments): \(output.stderr)")
        }
        // Nothing was written, nor the database created.
        #expect(!FileManager.default.fileExists(atPath: workspace.path("copy.sqlite")))
        #expect(!FileManager.default.fileExists(atPath: workspace.path("missing.sqlite")))
        #expect(try workspace.data("exists.sqlite").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: workspace.path("old.sqlite")))
        #expect(FileManager.default.fileExists(atPath: workspace.path("old-corpora")))
        #expect(try String(contentsOfFile: workspace.path("corpus.txt"), encoding: .utf8).contains("the cat sat"))
    }
}
