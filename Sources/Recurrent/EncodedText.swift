#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A training text read once from UTF-8 and kept as one or two bytes per
/// character (see ``SymbolBuffer``), with its vocabulary.
///
/// Build one from a file (``init(contentsOfFile:vocabulary:controlCharacters:)``),
/// from bytes in memory, from a `String`, or piece by piece with a
/// ``TextEncoder`` (an upload, a database's chunks).
public struct EncodedText: Sendable {
    /// The characters, in ``Vocabulary/init(sentences:)``'s order unless a
    /// vocabulary was given.
    public let vocabulary: Vocabulary
    /// Each character's index.
    public let symbols: SymbolBuffer
    /// UTF-8 bytes read.
    public let byteCount: Int

    /// Characters (Unicode scalars) in the text.
    public var count: Int { symbols.count }

    init(vocabulary: Vocabulary, symbols: SymbolBuffer, byteCount: Int) {
        self.vocabulary = vocabulary
        self.symbols = symbols
        self.byteCount = byteCount
    }

    /// Reads UTF-8 `bytes`, building the vocabulary (`vocabulary` nil) or
    /// encoding with the one given.
    /// - Throws: ``TextReadError`` with the byte offset of the fault.
    public init(utf8 bytes: UnsafeRawBufferPointer, vocabulary: Vocabulary? = nil,
                controlCharacters: TextEncoder.ControlCharacters = .refusedAsBinary) throws(TextReadError) {
        let encoder = TextEncoder(vocabulary: vocabulary, controlCharacters: controlCharacters, expectedBytes: bytes.count)
        try encoder.append(bytes)
        self = try encoder.finish()
    }

    /// Encodes `text`, whose every scalar is a character (control characters
    /// included, as texts sent in JSON may hold them).
    public init(_ text: String, vocabulary: Vocabulary? = nil) throws(TextReadError) {
        var text = text
        text.makeContiguousUTF8()
        let result = text.utf8.withContiguousStorageIfAvailable { bytes -> Result<EncodedText, TextReadError> in
            do throws(TextReadError) {
                return .success(try EncodedText(utf8: UnsafeRawBufferPointer(bytes), vocabulary: vocabulary,
                                                controlCharacters: .accepted))
            } catch {
                return .failure(error)
            }
        }
        self = try result.unsafelyUnwrapped.get()
    }

    /// Pieces a file is read in: small next to any text worth streaming, large
    /// enough that system calls cost nothing.
    public static let readSize = 1 << 20

    /// Reads the file at `path` in pieces of ``readSize`` bytes (not
    /// memory-mapped, whose pages would count in the resident memory as well
    /// as the encoded copy), building the vocabulary or encoding with `vocabulary`.
    /// Pipes and devices (`/dev/stdin`) work too.
    /// - Throws: ``TextReadError`` with the byte offset of the fault, or
    ///   ``TextReadError/unreadable(path:reason:)``.
    public init(contentsOfFile path: String, vocabulary: Vocabulary? = nil,
                controlCharacters: TextEncoder.ControlCharacters = .refusedAsBinary) throws(TextReadError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var status = stat()
        let size = fstat(descriptor, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG ? Int(status.st_size) : 0
        if (status.st_mode & S_IFMT) == S_IFDIR { throw .unreadable(path: path, reason: "it is a directory") }
        let encoder = TextEncoder(vocabulary: vocabulary, controlCharacters: controlCharacters, expectedBytes: size)
        let piece = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.readSize, alignment: 16)
        defer { piece.deallocate() }
        while true {
            let got = read(descriptor, piece.baseAddress, piece.count)
            if got < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if got == 0 { break }
            try encoder.append(UnsafeRawBufferPointer(rebasing: piece[..<got]))
        }
        self = try encoder.finish()
    }
}
