import Recurrent
import RecurrentStore

/// A model's uploaded corpus, read from the store in pieces into the
/// engine's encoded text on the job's thread: the job holds one or two bytes
/// a character and the pieces in flight, never the text as a string.
enum UploadedCorpusReader {
    static func encodedText(_ id: CorpusID, vocabulary: Vocabulary, store: any ModelStore) throws -> EncodedText {
        let size = try Background.wait { try await store.uploadedCorpus(id) }?.byteCount ?? 0
        let encoder = SharedEncoder(TextEncoder(vocabulary: vocabulary, expectedBytes: size))
        try Background.wait { try await store.readUploadedCorpus(id) { bytes in try encoder.append(bytes) } }
        return try encoder.finish()
    }
}

/// The encoder the store's reading task feeds while the job's thread waits
/// for it: one side at a time, so unchecked `Sendable`.
private final class SharedEncoder: @unchecked Sendable {
    private let encoder: TextEncoder

    init(_ encoder: TextEncoder) { self.encoder = encoder }

    func append(_ bytes: UnsafeRawBufferPointer) throws { try encoder.append(bytes) }
    func finish() throws -> EncodedText { try encoder.finish() }
}
