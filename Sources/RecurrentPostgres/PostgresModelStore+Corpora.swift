import Foundation
import NIOCore
import PostgresNIO
import RecurrentStore

/// Uploaded corpora on PostgreSQL, where every worker of a cluster reaches
/// them: a row in `uploaded_corpora` and the bytes in `corpus_chunks` rows
/// of about 1 MiB each (`bytea`, stored uncompressed out of line), written
/// in one transaction that also holds the row: an upload cut short, a
/// failed check or a node killed midway rolls back, and nothing was ever
/// visible. Chunked `bytea` rather than large objects: chunks go with their
/// corpus by `ON DELETE CASCADE` (large objects need unlinking of their
/// own), and they are read back in order with the row sequence's
/// back-pressure, one chunk in memory at a time.
extension PostgresModelStore {
    /// An upload or a read of a large corpus may take far longer than any
    /// other call; the server's idle timeout ends a stalled client sooner.
    static let corpusCallLimit: Duration = .seconds(24 * 3600)

    public func storeCorpus<Pieces: AsyncSequence>(_ pieces: Pieces, describe: @escaping @Sendable () throws -> CorpusContents)
        async throws -> UploadedCorpus where Pieces.Element == [UInt8] {
        let handoff = PieceHandoff(), logger = self.logger
        // The transaction runs in its own task and takes the pieces this
        // task reads from the request, one at a time.
        let writing = Task {
            try await transaction(operationTimeout: Self.corpusCallLimit) { connection -> UploadedCorpus in
                do {
                    let now = StoreClock.now
                    var id: CorpusID?
                    let inserted = try await connection.query("""
                        INSERT INTO uploaded_corpora (byte_count, character_count, vocabulary, checksum, created_at)
                        VALUES (0, 0, '[]', '', \(now)) RETURNING id
                        """, logger: logger)
                    for try await value in inserted.decode(Int64.self) { id = value }
                    guard let id else { throw PostgresStoreFailure.missingRow("the inserted corpus") }
                    var digest = CorpusDigest(), byteCount = 0, sequence = 0
                    while let piece = try await handoff.next() {
                        digest.update(piece)
                        byteCount += piece.count
                        try await connection.run("""
                            INSERT INTO corpus_chunks (corpus_id, seq, bytes) VALUES (\(id), \(sequence), \(ByteBuffer(bytes: piece)))
                            """, logger: logger)
                        sequence += 1
                    }
                    let contents = try describe()
                    let vocabulary = String(decoding: try JSONEncoder().encode(contents.vocabulary), as: UTF8.self)
                    let checksum = digest.hex()
                    try await connection.run("""
                        UPDATE uploaded_corpora SET byte_count = \(byteCount), character_count = \(contents.characterCount),
                            vocabulary = \(vocabulary), checksum = \(checksum) WHERE id = \(id)
                        """, logger: logger)
                    return UploadedCorpus(id: id, byteCount: byteCount, characterCount: contents.characterCount,
                                          vocabulary: contents.vocabulary, checksum: checksum, createdAt: now)
                } catch {
                    handoff.abandon(error)
                    throw error
                }
            }
        }
        do {
            for try await piece in pieces { try await handoff.send(piece) }
            handoff.finish()
        } catch {
            handoff.finish(error)
            _ = try? await writing.value
            throw error
        }
        return try await writing.value
    }

    public func uploadedCorpus(_ id: CorpusID) async throws -> UploadedCorpus? {
        try await uploadedCorpora(where: "WHERE id = \(id)", limit: 1).first
    }

    public func uploadedCorpora(limit: Int, before: CorpusID?) async throws -> [UploadedCorpus] {
        try await uploadedCorpora(where: before.map { "WHERE id < \($0)" } ?? "", limit: limit)
    }

    /// Rows of `uploaded_corpora` matching `condition` (built from integers only), newest first.
    private func uploadedCorpora(where condition: String, limit: Int) async throws -> [UploadedCorpus] {
        let logger = self.logger
        return try await withConnection(readOnly: true) { connection in
            var corpora: [UploadedCorpus] = []
            let rows = try await connection.query("""
                SELECT id, byte_count, character_count, vocabulary, checksum, created_at FROM uploaded_corpora
                \(unescaped: condition) ORDER BY id DESC LIMIT \(limit)
                """, logger: logger)
            for try await (id, bytes, characters, vocabulary, checksum, created)
                in rows.decode((Int64, Int, Int, String, String, Double).self) {
                corpora.append(UploadedCorpus(id: id, byteCount: bytes, characterCount: characters,
                                              vocabulary: try JSONDecoder().decode([String].self, from: Data(vocabulary.utf8)),
                                              checksum: checksum, createdAt: created))
            }
            return corpora
        }
    }

    public func deleteUploadedCorpus(_ id: CorpusID) async throws {
        let logger = self.logger
        try await transaction { connection in
            // Locks the corpus's row, so no model can start using it meanwhile.
            var exists = false
            for try await _ in try await connection.query("SELECT id FROM uploaded_corpora WHERE id = \(id) FOR UPDATE",
                                                          logger: logger).decode(Int64.self) {
                exists = true
            }
            guard exists else { return }
            var users: [ModelID] = []
            for try await model in try await connection.query(
                "SELECT model_id FROM model_corpora WHERE corpus_id = \(id) ORDER BY model_id", logger: logger).decode(Int64.self) {
                users.append(model)
            }
            guard users.isEmpty else { throw StoreError.corpusInUse(id, models: users) }
            try await connection.run("DELETE FROM uploaded_corpora WHERE id = \(id)", logger: logger)
        }
    }

    public func readUploadedCorpus(_ id: CorpusID, _ consume: @escaping @Sendable (UnsafeRawBufferPointer) throws -> Void) async throws {
        guard let record = try await uploadedCorpus(id) else { throw StoreError.corruptCorpus(id, reason: "its record is gone") }
        let logger = self.logger
        let checksum = try await withConnection(readOnly: true, operationTimeout: Self.corpusCallLimit) { connection -> String in
            var digest = CorpusDigest()
            let rows = try await connection.query("SELECT bytes FROM corpus_chunks WHERE corpus_id = \(id) ORDER BY seq",
                                                  logger: logger)
            for try await chunk in rows.decode(ByteBuffer.self) {
                try chunk.withUnsafeReadableBytes { bytes in
                    digest.update(bytes)
                    try consume(bytes)
                }
            }
            return digest.hex()
        }
        guard checksum == record.checksum else {
            throw StoreError.corruptCorpus(id, reason: "its chunks no longer match its SHA-256 checksum")
        }
    }

    public func uploadedCorpusID(of model: ModelID) async throws -> CorpusID? {
        let logger = self.logger
        return try await withConnection(readOnly: true) { connection in
            var found: CorpusID?
            for try await id in try await connection.query("SELECT corpus_id FROM model_corpora WHERE model_id = \(model)",
                                                           logger: logger).decode(Int64.self) {
                found = id
            }
            return found
        }
    }
}
