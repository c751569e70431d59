/// The characters a model knows, indexed `1...V`; index 0 is START as an input
/// and END as a target (as in the original library).
///
/// A character here is one Unicode scalar: every scalar round-trips through the
/// model JSON, and the text of a sentence is the sequence of its scalars (an
/// emoji made of several scalars is several characters).
public struct Vocabulary: Sendable, Equatable {
    /// The characters in index order: `letters[i - 1]` has index `i`.
    public let letters: [Unicode.Scalar]
    private let indices: [Unicode.Scalar: Int]

    /// The index of START (as an input) and END (as a target).
    public static let boundary = 0

    /// A vocabulary with these characters at indices `1...letters.count`.
    public init(letters: [Unicode.Scalar]) {
        self.letters = letters
        var indices: [Unicode.Scalar: Int] = [:]
        for (offset, letter) in letters.enumerated() { indices[letter] = offset + 1 }
        self.indices = indices
    }

    /// The vocabulary of `sentences` in the original's order: ASCII digits
    /// first in ascending order, then every other character by first
    /// appearance (what iterating a JavaScript object of counts gives).
    public init(sentences: [String]) {
        var seen = Set<Unicode.Scalar>()
        var ordered: [Unicode.Scalar] = []
        for sentence in sentences {
            for scalar in sentence.unicodeScalars where seen.insert(scalar).inserted { ordered.append(scalar) }
        }
        let digits = ordered.filter { ("0"..."9").contains($0) }.sorted()
        self.init(letters: digits + ordered.filter { !("0"..."9").contains($0) })
    }

    /// `V`, the number of characters.
    public var count: Int { letters.count }
    /// `V + 1`: the network's input and output size.
    public var symbolCount: Int { letters.count + 1 }

    /// The index of `letter`, or nil when it is not in the vocabulary.
    public func index(of letter: Unicode.Scalar) -> Int? { indices[letter] }

    /// The character at `index` (1...V).
    public func letter(at index: Int) -> Unicode.Scalar { letters[index - 1] }

    /// The indices of `text`'s characters, or the first unknown character.
    public func encode(_ text: String) -> Result<[Int], UnknownCharacter> {
        var encoded: [Int] = []
        encoded.reserveCapacity(text.unicodeScalars.count)
        for (offset, scalar) in text.unicodeScalars.enumerated() {
            guard let index = indices[scalar] else { return .failure(UnknownCharacter(character: scalar, offset: offset)) }
            encoded.append(index)
        }
        return .success(encoded)
    }

    /// A text's character that the vocabulary lacks.
    public struct UnknownCharacter: Error, Sendable, Equatable, CustomStringConvertible {
        /// The character the vocabulary lacks.
        public let character: Unicode.Scalar
        /// Position in the text, counted in characters (Unicode scalars).
        public let offset: Int
        /// A sentence for a person, with the character and its offset.
        public var description: String {
            "character \(String(character).debugDescription) (U+\(String(character.value, radix: 16, uppercase: true))) at position \(offset) is not in the model's vocabulary"
        }
    }
}

/// Turning a training text into sentences (as in the original library).
public enum Sentences {
    /// Splits `text` on newlines, trims each line and drops the empty ones.
    public static func split(_ text: String) -> [String] {
        text.split(omittingEmptySubsequences: true, whereSeparator: { $0.isNewline })
            .map { $0.trimmingCharacters() }
            .filter { !$0.isEmpty }
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> String {
        let scalars = unicodeScalars
        var start = scalars.startIndex, end = scalars.endIndex
        while start < end, scalars[start].properties.isWhitespace { start = scalars.index(after: start) }
        while end > start, scalars[scalars.index(before: end)].properties.isWhitespace { end = scalars.index(before: end) }
        return String(scalars[start..<end])
    }
}
