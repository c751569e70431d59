import Foundation

/// An uploaded corpus's id in the store.
public typealias CorpusID = Int64

/// A training text uploaded on its own (`POST /api/corpora`), kept as its
/// UTF-8 bytes, which models of text corpora may train on by id.
public struct UploadedCorpus: Sendable, Equatable {
    public var id: CorpusID
    /// Bytes of UTF-8.
    public var byteCount: Int
    /// Characters (Unicode scalars).
    public var characterCount: Int
    /// The vocabulary's characters in index order (index 1 first).
    public var vocabulary: [String]
    /// SHA-256 of the bytes, lowercase hexadecimal; checked whenever the
    /// bytes are read back.
    public var checksum: String
    public var createdAt: Double

    public init(id: CorpusID, byteCount: Int, characterCount: Int, vocabulary: [String], checksum: String, createdAt: Double) {
        self.id = id
        self.byteCount = byteCount
        self.characterCount = characterCount
        self.vocabulary = vocabulary
        self.checksum = checksum
        self.createdAt = createdAt
    }
}

/// What the uploader learned of the bytes once they were all in: asked
/// for after the last piece, before anything becomes visible.
public struct CorpusContents: Sendable, Equatable {
    public var characterCount: Int
    public var vocabulary: [String]

    public init(characterCount: Int, vocabulary: [String]) {
        self.characterCount = characterCount
        self.vocabulary = vocabulary
    }
}

/// Uploaded corpora: stored as they stream in, read back in pieces, never
/// held whole in memory by the store.
public protocol UploadedCorpusStore: Sendable {
    /// Stores the bytes `pieces` yields, as they arrive, then records the
    /// corpus with what `describe` says of it. Nothing is visible until the
    /// bytes are all stored durably and the record written: when `pieces`
    /// or `describe` throws, storage fails, or the process dies midway,
    /// no corpus is left behind (and a later start removes any leftovers).
    func storeCorpus<Pieces: AsyncSequence>(_ pieces: Pieces, describe: @escaping @Sendable () throws -> CorpusContents)
        async throws -> UploadedCorpus where Pieces.Element == [UInt8]
    func uploadedCorpus(_ id: CorpusID) async throws -> UploadedCorpus?
    /// Newest first; `before` is the id cursor (corpora with smaller ids).
    func uploadedCorpora(limit: Int, before: CorpusID?) async throws -> [UploadedCorpus]
    /// Removes the corpus; ``StoreError/corpusInUse(_:models:)`` while a model trains on it.
    func deleteUploadedCorpus(_ id: CorpusID) async throws
    /// Gives the corpus's bytes to `consume` in pieces (about 1 MiB), in
    /// order, then checks them against the checksum: a corpus that no longer
    /// matches fails with ``StoreError/corruptCorpus(_:)``.
    func readUploadedCorpus(_ id: CorpusID, _ consume: @escaping @Sendable (UnsafeRawBufferPointer) throws -> Void) async throws
    /// The uploaded corpus model `model` trains on; nil when its corpus is its own (or it has none).
    func uploadedCorpusID(of model: ModelID) async throws -> CorpusID?
}
