import RecurrentStore

/// An uploaded corpus as the API shows it.
struct CorpusResponse: Encodable, Sendable {
    var id: Int64
    var bytes: Int
    var characters: Int
    var vocabulary: [String]
    var sha256: String
    var createdAt: String?

    enum CodingKeys: String, CodingKey {
        case id, bytes, characters, vocabulary, sha256
        case createdAt = "created_at"
    }

    init(_ corpus: UploadedCorpus) {
        id = corpus.id
        bytes = corpus.byteCount
        characters = corpus.characterCount
        vocabulary = corpus.vocabulary
        sha256 = corpus.checksum
        createdAt = APITime.string(corpus.createdAt)
    }
}

/// `GET /api/corpora`: a page of corpora, newest first.
struct CorpusListResponse: Encodable, Sendable {
    var corpora: [CorpusResponse]
    /// The `after` of the next page; null on the last.
    var nextAfter: Int64?

    enum CodingKeys: String, CodingKey {
        case corpora
        case nextAfter = "next_after"
    }
}
