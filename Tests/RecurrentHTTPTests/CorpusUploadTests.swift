import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import RecurrentHTTP
@testable import RecurrentStore
import RecurrentTestSupport

/// Corpora uploaded on their own (`/api/corpora`) through real HTTP, on a
/// SQLite file and on a PostgreSQL server: streamed storage, the limit, text
/// checks, `corpus_id` training and deletion guarded while in use.
@Suite(.serialized, .postgresServer)
struct CorpusUploadTests {
    /// A text with emoji beyond the Basic Multilingual Plane and accents.
    static var book: String { String(repeating: TestServer.corpus + " 🦊 né 𝄞\n", count: 12) }

    static func upload(_ client: Client, _ bytes: [UInt8]) async throws -> Reply {
        try await client.client.execute(uri: "/api/corpora", method: .post, headers: [.contentType: "text/plain"],
                                        body: ByteBuffer(bytes: bytes)) { response in
            Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
        }
    }

    static func textModel(_ extra: [String: Any]) -> [String: Any] {
        var body: [String: Any] = ["name": "book", "corpus": "text", "generator": "gru", "hidden_sizes": [12],
                                   "letter_size": 4, "batch_size": 4, "seq_length": 16, "val_fraction": 0.1,
                                   "val_interval": 20, "max_ticks": 60, "seed": 3]
        for (key, value) in extra { body[key] = value }
        return body
    }

    @Test(arguments: StoreKind.allCases) func uploadTrainAndDelete(store: StoreKind) async throws {
        let server = try await TestServer(store: store)
        try await server.run { client in
            let bytes = Array(Self.book.utf8)
            let uploaded = try await Self.upload(client, bytes)
            try #require(uploaded.status == .created, "\(uploaded.text)")
            let corpus = uploaded.json
            let id = try #require(corpus["id"] as? Int)
            #expect(uploaded.headers[.location] == "/api/corpora/\(id)")
            #expect(corpus["bytes"] as? Int == bytes.count)
            #expect(corpus["characters"] as? Int == Self.book.unicodeScalars.count)
            var digest = CorpusDigest()
            digest.update(bytes)
            #expect(corpus["sha256"] as? String == digest.hex())
            let vocabulary = try #require(corpus["vocabulary"] as? [String])
            #expect(vocabulary.contains("🦊") && vocabulary.contains("𝄞") && vocabulary.count == Set(Self.book.unicodeScalars).count)
            #expect(try await client.get("/api/corpora/\(id)").json["sha256"] as? String == digest.hex())
            let listed = try await client.get("/api/corpora").json["corpora"] as? [[String: Any]] ?? []
            #expect(listed.map { $0["id"] as? Int } == [id])

            // A model on the uploaded corpus trains the weights the same text sent as `text` trains.
            let fromUpload = try await client.create(Self.textModel(["corpus_id": id]))
            let fromText = try await client.create(Self.textModel(["text": Self.book]))
            for model in [fromUpload, fromText] {
                let done = try await client.waitForModel(model, timeout: 60) { status($0) == "succeeded" || status($0) == "failed" }
                #expect(status(done) == "succeeded", "\(done)")
                #expect(done["vocabulary"] as? [String] == vocabulary)
                #expect(done["has_corpus"] as? Bool == true)
                if model == fromUpload { #expect(done["corpus_id"] as? Int == id) } else { #expect(done["corpus_id"] is NSNull) }
            }
            let listedModels = try await client.get("/api/models").json["models"] as? [[String: Any]] ?? []
            #expect(listedModels.first { $0["id"] as? Int == fromUpload }?["corpus_id"] as? Int == id, "the list shows it too")
            let exported = try await [fromUpload, fromText].asyncMap { model in
                try #require(try JSONSerialization.jsonObject(with: Data(try await client.get("/api/models/\(model)/export").text.utf8))
                             as? [String: Any])
            }
            let weights = exported.map { ($0["model"] as? [String: Any]).map { NSDictionary(dictionary: $0) } }
            #expect(weights[0] != nil && weights[0] == weights[1], "the uploaded corpus trains the same weights as the text")

            // In use: 409 naming the model; once the model is gone, it deletes.
            let refused = try await client.request(.delete, "/api/corpora/\(id)")
            #expect(refused.status == .conflict && refused.errorCode == "corpus_in_use", "\(refused.text)")
            #expect(refused.error["message"].map { "\($0)".contains("\(fromUpload)") } == true)
            #expect(try await client.get("/api/corpora/\(id)").status == .ok)
            #expect(try await client.request(.delete, "/api/models/\(fromUpload)").status == .noContent)
            #expect(try await client.request(.delete, "/api/corpora/\(id)").status == .noContent)
            let gone = try await client.get("/api/corpora/\(id)")
            #expect(gone.status == .notFound && gone.errorCode == "corpus_not_found" && gone.errorField == "id")
        }
        if store == .sqlite { #expect(try Self.corpusFiles(server).isEmpty, "the deleted corpus's file is gone") }
    }

    /// Files in the SQLite store's corpus folder.
    static func corpusFiles(_ server: TestServer) throws -> [String] {
        let folder = server.folder.appendingPathComponent("data/recurrent-corpora").path
        return (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    }

    /// A corpus file changed on disk after its upload no longer matches its
    /// SHA-256: the job that reads it fails and says why.
    @Test func aCorpusChangedOnDiskFailsItsJob() async throws {
        let server = try await TestServer(store: .sqlite)
        try await server.run { client in
            let uploaded = try await Self.upload(client, Array(Self.book.utf8))
            let id = try #require(uploaded.json["id"] as? Int, "\(uploaded.text)")
            let name = try #require(try Self.corpusFiles(server).first)
            let path = server.folder.appendingPathComponent("data/recurrent-corpora/\(name)")
            var bytes = try Data(contentsOf: path)
            // Two different ASCII bytes swapped: the same size and characters, another text.
            let second = try #require((11..<bytes.count).first { bytes[$0] != bytes[10] && bytes[$0] < 0x80 })
            (bytes[10], bytes[second]) = (bytes[second], bytes[10])
            try bytes.write(to: path)
            let model = try await client.create(Self.textModel(["corpus_id": id]))
            let failed = try await client.waitForModel(model, timeout: 30) { status($0) == "failed" }
            #expect((failed["error"] as? String)?.contains("no longer matches its SHA-256 checksum") == true, "\(failed)")
        }
    }

    /// The encoded text of an uploaded corpus counts in a model's memory budget.
    @Test func anUploadedCorpusCountsInTheMemoryBudget() async throws {
        let server = try await TestServer(store: .sqlite, limits: { $0.memoryBudgetBytes = 8 << 20 })
        try await server.run { client in
            let small = try #require(try await Self.upload(client, Array(Self.book.utf8)).json["id"] as? Int)
            let large = try #require(try await Self.upload(client, Array(repeating: UInt8(ascii: "a"), count: 9 << 20)).json["id"] as? Int)
            _ = try await client.create(Self.textModel(["corpus_id": small, "start": false]))
            let refused = try await client.post("/api/models", Self.textModel(["corpus_id": large, "start": false]))
            #expect(refused.status == .unprocessableContent && refused.errorCode == "memory_budget" && refused.errorField == "corpus_id",
                    "\(refused.text)")
            #expect((refused.error["message"] as? String)?.contains("encoded text takes \(9 << 20) bytes") == true, "\(refused.text)")
        }
    }

    @Test(arguments: StoreKind.allCases) func refusalsStoreNothing(store: StoreKind) async throws {
        let server = try await TestServer(store: store, limits: { $0.maxUploadBytes = 4096 })
        try await server.run { client in
            let tooLarge = try await Self.upload(client, Array(repeating: 0x61, count: 5000))
            #expect(tooLarge.status == .contentTooLarge && tooLarge.errorCode == "corpus_too_large", "\(tooLarge.text)")
            let cases: [([UInt8], String, String)] = [
                (Array("abc".utf8) + [0xFF] + Array("def".utf8), "invalid_text", "byte offset 3"),
                (Array("ELF".utf8) + [0x00, 0x01], "not_text", "byte offset 3"),
                (Array("héllo wörld ".utf8) + [0xE2, 0x82], "invalid_text", "byte offset 14"),
                ([], "empty_corpus", "byte offset 0"),
            ]
            for (bytes, code, offset) in cases {
                let reply = try await Self.upload(client, bytes)
                #expect(reply.status == .unprocessableContent && reply.errorCode == code && reply.errorField == "body", "\(reply.text)")
                #expect((reply.error["message"] as? String)?.contains(offset) == true, "\(reply.text)")
            }
            #expect((try await client.get("/api/corpora").json["corpora"] as? [Any])?.isEmpty == true)

            // corpus_id: only for text corpora, alone, and existing.
            let ok = try await Self.upload(client, Array(Self.book.prefix(3000).utf8))
            let id = try #require(ok.json["id"] as? Int, "\(ok.text)")
            let refusals: [([String: Any], Int, String)] = [
                (Self.textModel(["corpus_id": id, "text": "abc abc"]), 422, "invalid_value"),
                (Self.textModel(["corpus_id": id, "corpus": "sentences"]), 422, "invalid_value"),
                (Self.textModel(["corpus_id": id + 100]), 422, "corpus_not_found"),
                (Self.textModel(["corpus_id": "one"]), 400, "invalid_type"),
            ]
            for (body, code, error) in refusals {
                let reply = try await client.post("/api/models", body)
                #expect(Int(reply.status.code) == code && reply.errorCode == error && reply.errorField == "corpus_id", "\(reply.text)")
            }
            #expect(try await client.get("/api/models").json["models"] as? [Any] != nil)
            #expect((try await client.get("/api/models").json["models"] as? [Any])?.isEmpty == true)
        }
        if store == .sqlite { #expect(try Self.corpusFiles(server).count == 1, "only the accepted upload has a file") }
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
