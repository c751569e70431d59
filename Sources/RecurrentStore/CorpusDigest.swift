import Crypto

/// SHA-256 of a corpus's bytes, taken piece by piece as they are written and
/// again as they are read back: a corpus cut short or changed on disk (a
/// crash mid-write, a bad block, a hand edit) no longer matches its record.
///
/// SHA-256 (swift-crypto over BoringSSL, with the CPU's SHA instructions
/// where it has them) rather than a CRC: it costs about as little per byte
/// here, and a checksum that names the content lets a person compare a
/// stored corpus with a file (`sha256sum`).
public struct CorpusDigest: Sendable {
    private var hasher = SHA256()

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
    }

    public mutating func update(_ bytes: [UInt8]) {
        hasher.update(data: bytes)
    }

    /// The digest so far as lowercase hexadecimal.
    public func hex() -> String {
        hasher.finalize().map { byte in
            let digits = Array("0123456789abcdef".utf8)
            return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
        }.joined()
    }
}
