/// Why bytes could not be read as a training text. Each case names the byte
/// offset (from 0) where reading stopped, so a person can find the spot.
public enum TextReadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes at `byteOffset` are not valid UTF-8 (a bad lead or
    /// continuation byte, an overlong form, a surrogate, a value past
    /// U+10FFFF, or a sequence cut off by the end).
    case invalidUTF8(byteOffset: Int)
    /// A control character typical of binary files (see
    /// ``TextEncoder/ControlCharacters/refusedAsBinary``) at `byteOffset`.
    case notText(byteOffset: Int, character: Unicode.Scalar)
    /// No bytes at all.
    case empty
    /// A character the given vocabulary lacks, at `byteOffset`, which is
    /// character number `characterOffset` (from 0).
    case unknownCharacter(Unicode.Scalar, byteOffset: Int, characterOffset: Int)
    /// More distinct characters than two bytes can index (65 535), the
    /// 65 536th at `byteOffset`.
    case tooManyCharacters(byteOffset: Int)
    /// The file could not be opened or read.
    case unreadable(path: String, reason: String)

    /// A sentence for a person, with the offset.
    public var description: String {
        switch self {
        case .invalidUTF8(let offset):
            "not valid UTF-8 at byte offset \(offset)"
        case let .notText(offset, character):
            "not a text file: control character \(Self.code(character)) at byte offset \(offset)"
        case .empty:
            "empty: no characters at byte offset 0"
        case let .unknownCharacter(character, byteOffset, characterOffset):
            "character \(Self.shown(character))(\(Self.code(character))) at byte offset \(byteOffset) "
                + "(character \(characterOffset)) is not in the model's vocabulary"
        case .tooManyCharacters(let offset):
            "more than 65535 distinct characters (the 65536th at byte offset \(offset))"
        case let .unreadable(path, reason):
            "'\(path)' cannot be read: \(reason)"
        }
    }

    /// `U+0041`-style.
    static func code(_ character: Unicode.Scalar) -> String {
        let hex = String(character.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    /// The character quoted and followed by a space when it prints as itself; nothing otherwise.
    static func shown(_ character: Unicode.Scalar) -> String {
        let properties = character.properties
        let invisible = properties.isWhitespace || properties.generalCategory == .control || properties.generalCategory == .format
        return invisible ? "" : "'\(character)' "
    }
}
