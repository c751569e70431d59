import Hummingbird
import NIOCore
import Recurrent
import RecurrentStore
import Synchronization

/// A corpus upload's request body as pieces of about 1 MiB for the store,
/// checked as they pass: the size against the limit (413 once past it,
/// having read at most the limit plus one network buffer) and the text by
/// the engine's ``TextEncoder`` (valid UTF-8, not binary, not empty), which
/// also counts the characters and builds the vocabulary without keeping the
/// text. Nothing is held but the piece being gathered.
struct CorpusUploadBody: AsyncSequence, Sendable {
    typealias Element = [UInt8]

    /// Bytes gathered before a piece goes to storage.
    static let pieceSize = 1 << 20

    let body: RequestBody
    let limit: Int
    let check: UploadCheck

    func makeAsyncIterator() -> Iterator {
        Iterator(body: body.makeAsyncIterator(), limit: limit, check: check)
    }

    struct Iterator: AsyncIteratorProtocol {
        var body: RequestBody.AsyncIterator
        let limit: Int
        let check: UploadCheck
        var finished = false

        mutating func next() async throws -> [UInt8]? {
            guard !finished else { return nil }
            var piece: [UInt8] = []
            piece.reserveCapacity(CorpusUploadBody.pieceSize)
            while piece.count < CorpusUploadBody.pieceSize {
                guard let buffer = try await body.next() else {
                    finished = true
                    break
                }
                guard check.byteCount + piece.count + buffer.readableBytes <= limit else {
                    throw APIError(.contentTooLarge, code: "corpus_too_large",
                                   "the corpus is larger than the upload limit of \(limit) bytes", field: "body")
                }
                buffer.withUnsafeReadableBytes { piece.append(contentsOf: $0) }
            }
            guard !piece.isEmpty else { return nil }
            try check.take(piece)
            return piece
        }
    }
}

/// The text check of one upload: the encoder, shared by the body's iterator
/// and the store's `describe` (one after the other, never at once).
final class UploadCheck: Sendable {
    private let encoder = Mutex(EncoderBox())

    /// Unchecked: the encoder is only reached through the mutex.
    private struct EncoderBox: @unchecked Sendable {
        let encoder = TextEncoder(keepsSymbols: false)
    }

    /// Bytes checked so far.
    var byteCount: Int { encoder.withLock { $0.encoder.byteCount } }

    func take(_ piece: [UInt8]) throws {
        let failure = encoder.withLock { box -> TextReadError? in
            piece.withUnsafeBytes { bytes -> TextReadError? in
                do throws(TextReadError) {
                    try box.encoder.append(bytes)
                    return nil
                } catch {
                    return error
                }
            }
        }
        if let failure { throw Self.refusal(failure) }
    }

    /// What the store records once every piece is in.
    func contents() throws -> CorpusContents {
        let summary = encoder.withLock { box -> Result<TextEncoder.Summary, TextReadError> in
            do throws(TextReadError) {
                return .success(try box.encoder.summary())
            } catch {
                return .failure(error)
            }
        }
        switch summary {
        case .success(let summary):
            return CorpusContents(characterCount: summary.characterCount, vocabulary: summary.vocabulary.letters.map { String($0) })
        case .failure(let error):
            throw Self.refusal(error)
        }
    }

    /// A text the engine refuses, as a 422 naming the body and the byte offset.
    static func refusal(_ error: TextReadError) -> APIError {
        let code = switch error {
        case .empty: "empty_corpus"
        case .notText: "not_text"
        default: "invalid_text"
        }
        return APIError(.unprocessableContent, code: code, "the corpus is \(error)", field: "body")
    }
}
