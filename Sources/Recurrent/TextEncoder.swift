#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads UTF-8 bytes, piece by piece, into an ``EncodedText`` in one pass:
/// validating the UTF-8, refusing binary files, building the vocabulary (or
/// checking against a given one) and writing each character's index to one
/// contiguous block, one byte per character while at most 256 symbols are
/// known and two bytes from then on.
///
/// An encoder may also only check and count (`keepsSymbols` false): an
/// upload is checked as it streams to storage, its vocabulary and character
/// count worked out, while nothing of the text stays in memory.
///
/// Pieces may end anywhere, even inside a character (an upload arrives in
/// whatever buffers the network gives). Without a given vocabulary, indices
/// are handed out by first appearance while reading; ``finish()`` then moves
/// the ASCII digits to the front, as ``Vocabulary/init(sentences:)`` orders
/// them, with one pass over the block when that changes anything.
public final class TextEncoder {
    /// Which control characters a text may hold.
    public enum ControlCharacters: Sendable {
        /// Refuses the C0 control characters that file(1) takes as a sign of
        /// binary data: U+0000–U+0006, U+000E–U+001A and U+001C–U+001F.
        /// Tab, line feed, vertical tab, form feed, carriage return, bell,
        /// backspace and escape (terminal colours in logs) are text.
        case refusedAsBinary
        /// Every Unicode scalar is a character (texts that arrived as JSON strings).
        case accepted
    }

    /// Bit `c` is set when control character `c` (below U+0020) marks binary data.
    static let binaryControls: UInt32 = {
        var mask: UInt32 = 0
        for code in Array(0x00...0x06) + Array(0x0E...0x1A) + Array(0x1C...0x1F) { mask |= 1 << UInt32(code) }
        return mask
    }()

    private let fixedVocabulary: Vocabulary?
    private let keepsSymbols: Bool
    private let refusedControls: UInt32
    /// Index of each Basic Multilingual Plane scalar (0: not seen).
    private let planeZero: UnsafeMutablePointer<UInt16>
    /// Index of each scalar beyond the BMP (emoji and the like), which are rarer.
    private var beyondPlaneZero: [UInt32: UInt16] = [:]
    /// Letters by (provisional) index − 1.
    private var letters: [Unicode.Scalar] = []

    private var block: UnsafeMutableRawPointer?
    private var capacity: Int
    private var width: Int
    /// Characters encoded so far.
    public private(set) var characterCount = 0
    /// Bytes taken so far (the ones of an unfinished character included).
    public private(set) var byteCount = 0
    /// The first bytes of a character cut off by the end of a piece.
    private var pending: [UInt8] = []

    /// An encoder that builds the vocabulary from the text (`vocabulary` nil)
    /// or encodes with `vocabulary`, refusing characters it lacks.
    /// `expectedBytes` (the file's size, when known) sizes the block at once.
    /// Without `keepsSymbols` it only checks and counts: ``summary()``, not ``finish()``.
    public init(vocabulary: Vocabulary? = nil, controlCharacters: ControlCharacters = .refusedAsBinary,
                expectedBytes: Int = 0, keepsSymbols: Bool = true) {
        fixedVocabulary = vocabulary
        self.keepsSymbols = keepsSymbols
        refusedControls = controlCharacters == .refusedAsBinary ? Self.binaryControls : 0
        planeZero = .allocate(capacity: 0x10000)
        planeZero.initialize(repeating: 0, count: 0x10000)
        width = SymbolBuffer.bytesPerSymbol(symbolCount: vocabulary?.symbolCount ?? 0)
        // Every character takes at least one byte, so the byte count bounds the
        // characters; pages never written are never made resident.
        capacity = keepsSymbols ? max(4096, expectedBytes) : 1
        block = malloc(capacity * width)
        if block == nil { fatalError("out of memory for a text of \(expectedBytes) bytes") }
        if let vocabulary {
            for (offset, letter) in vocabulary.letters.enumerated() where offset < Int(UInt16.max) {
                store(letter.value, index: UInt16(offset + 1))
            }
        }
        pending.reserveCapacity(4)
    }

    deinit {
        planeZero.deallocate()
        free(block)
    }

    /// Reads the next piece of the text.
    /// - Throws: ``TextReadError`` naming the byte offset of the fault.
    public func append(_ bytes: UnsafeRawBufferPointer) throws(TextReadError) {
        precondition(block != nil, "the encoder has finished")
        let input = bytes.assumingMemoryBound(to: UInt8.self)
        let base = byteCount - pending.count
        var start = 0
        if !pending.isEmpty {
            let missing = Self.sequenceLength(pending[0]) - pending.count
            let taken = min(missing, input.count)
            pending.append(contentsOf: input[..<taken])
            byteCount += taken
            guard taken == missing else { return }
            let whole = pending
            pending.removeAll(keepingCapacity: true)
            _ = try whole.withUnsafeBufferPointer { (piece) throws(TextReadError) -> Int in
                try encode(piece, from: 0, base: base)
            }
            start = taken
        }
        let stopped = try encode(input, from: start, base: byteCount - start)
        pending.append(contentsOf: input[stopped...])
        byteCount += input.count - start
    }

    /// The text read, once every piece has been given.
    /// - Throws: ``TextReadError/invalidUTF8(byteOffset:)`` for a character
    ///   cut off by the end, ``TextReadError/empty`` for no characters.
    public func finish() throws(TextReadError) -> EncodedText {
        guard let block else { preconditionFailure("the encoder has finished") }
        precondition(keepsSymbols, "an encoder that only counts has no text to give")
        if !pending.isEmpty { throw .invalidUTF8(byteOffset: byteCount - pending.count) }
        guard characterCount > 0 else { throw .empty }
        let vocabulary = fixedVocabulary ?? orderedVocabulary(block)
        let bytes = max(1, characterCount * width)
        let kept = realloc(block, bytes) ?? block   // shrinking: mremap, no copy
        self.block = nil
        return EncodedText(vocabulary: vocabulary, symbols: SymbolBuffer(adopting: kept, count: characterCount, bytesPerSymbol: width),
                           byteCount: byteCount)
    }

    /// What was read, for an encoder that only checks and counts (or any other).
    public struct Summary: Sendable, Equatable {
        /// The characters, in ``Vocabulary/init(sentences:)``'s order unless a vocabulary was given.
        public var vocabulary: Vocabulary
        /// Characters (Unicode scalars) read.
        public var characterCount: Int
        /// UTF-8 bytes read.
        public var byteCount: Int
    }

    /// The vocabulary and counts of the text read, once every piece has been given.
    /// - Throws: as ``finish()``.
    public func summary() throws(TextReadError) -> Summary {
        precondition(block != nil, "the encoder has finished")
        if !pending.isEmpty { throw .invalidUTF8(byteOffset: byteCount - pending.count) }
        guard characterCount > 0 else { throw .empty }
        return Summary(vocabulary: fixedVocabulary ?? Vocabulary(letters: orderedLetters), characterCount: characterCount,
                       byteCount: byteCount)
    }

    // MARK: The pass

    /// Encodes the whole characters of `input` from `start`; returns where an
    /// unfinished one begins (`input.count` when none). `base` is `input[0]`'s offset.
    private func encode(_ input: UnsafeBufferPointer<UInt8>, from start: Int, base: Int) throws(TextReadError) -> Int {
        // Locals rather than properties inside the loop: no exclusivity checks per byte.
        var count = characterCount
        defer { characterCount = count }
        var block = self.block.unsafelyUnwrapped, capacity = self.capacity, width = self.width
        let planeZero = self.planeZero, refused = refusedControls, keeps = keepsSymbols
        var position = start
        while position < input.count {
            let lead = input[position]
            var scalar = UInt32(lead), length = 1
            if lead >= 0x80 {
                length = Self.sequenceLength(lead)
                guard length > 0 else { throw .invalidUTF8(byteOffset: base + position) }
                guard position + length <= input.count else { break }
                guard let decoded = Self.decode(input, at: position, length: length) else {
                    throw .invalidUTF8(byteOffset: base + position)
                }
                scalar = decoded
            } else if scalar < 0x20 && (refused >> scalar) & 1 == 1 {
                throw .notText(byteOffset: base + position, character: Unicode.Scalar(UInt8(scalar)))
            }
            var index = scalar < 0x10000 ? planeZero[Int(scalar)] : beyondPlaneZero[scalar] ?? 0
            if index == 0 {
                characterCount = count   // what widening copies
                index = try newLetter(scalar, byteOffset: base + position, characterOffset: count)
                block = self.block.unsafelyUnwrapped
                width = self.width
            }
            if !keeps {
                count += 1
                position += length
                continue
            }
            if count == capacity {
                grow(to: count)
                block = self.block.unsafelyUnwrapped
                capacity = self.capacity
            }
            if width == 1 {
                block.storeBytes(of: UInt8(truncatingIfNeeded: index), toByteOffset: count, as: UInt8.self)
            } else {
                block.storeBytes(of: index, toByteOffset: count &* 2, as: UInt16.self)
            }
            count += 1
            position += length
        }
        return position
    }

    /// Bytes of the sequence `lead` begins: 1 to 4, or 0 for a byte that cannot lead.
    @inline(__always)
    static func sequenceLength(_ lead: UInt8) -> Int {
        switch lead {
        case 0x00..<0x80: 1
        case 0xC2..<0xE0: 2
        case 0xE0..<0xF0: 3
        case 0xF0..<0xF5: 4
        default: 0   // continuation bytes, overlong two-byte leads, past U+10FFFF
        }
    }

    /// The scalar of the `length`-byte sequence at `position`, or nil when a
    /// continuation byte is wrong, the form is overlong or it is a surrogate.
    @inline(__always)
    static func decode(_ input: UnsafeBufferPointer<UInt8>, at position: Int, length: Int) -> UInt32? {
        let lead = input[position], second = input[position + 1]
        guard second & 0xC0 == 0x80 else { return nil }
        switch length {
        case 2:
            return UInt32(lead & 0x1F) << 6 | UInt32(second & 0x3F)
        case 3:
            let third = input[position + 2]
            guard third & 0xC0 == 0x80,
                  lead != 0xE0 || second >= 0xA0,     // overlong
                  lead != 0xED || second < 0xA0       // surrogates
            else { return nil }
            return UInt32(lead & 0x0F) << 12 | UInt32(second & 0x3F) << 6 | UInt32(third & 0x3F)
        default:
            let third = input[position + 2], fourth = input[position + 3]
            guard third & 0xC0 == 0x80, fourth & 0xC0 == 0x80,
                  lead != 0xF0 || second >= 0x90,     // overlong
                  lead != 0xF4 || second < 0x90       // past U+10FFFF
            else { return nil }
            return UInt32(lead & 0x07) << 18 | UInt32(second & 0x3F) << 12 | UInt32(third & 0x3F) << 6 | UInt32(fourth & 0x3F)
        }
    }

    // MARK: Rare steps

    /// A character met for the first time: its index, or the error when the
    /// vocabulary is given or full. Switches to two bytes at the 256th symbol.
    private func newLetter(_ scalar: UInt32, byteOffset: Int, characterOffset: Int) throws(TextReadError) -> UInt16 {
        let letter = Unicode.Scalar(scalar).unsafelyUnwrapped   // decode() never yields surrogates
        if fixedVocabulary != nil {
            throw .unknownCharacter(letter, byteOffset: byteOffset, characterOffset: characterOffset)
        }
        guard letters.count < Int(UInt16.max) else { throw .tooManyCharacters(byteOffset: byteOffset) }
        letters.append(letter)
        let index = UInt16(letters.count)
        store(scalar, index: index)
        if width == 1 && Int(index) > Int(UInt8.max) { widen() }
        return index
    }

    private func store(_ scalar: UInt32, index: UInt16) {
        if scalar < 0x10000 { planeZero[Int(scalar)] = index } else { beyondPlaneZero[scalar] = index }
    }

    /// From one byte per character to two, copying what is encoded so far.
    private func widen() {
        guard keepsSymbols else { return }
        guard let old = block, let wide = malloc(capacity * 2) else { fatalError("out of memory widening a text") }
        let narrow = old.assumingMemoryBound(to: UInt8.self), target = wide.assumingMemoryBound(to: UInt16.self)
        for position in 0..<characterCount { target[position] = UInt16(narrow[position]) }
        free(old)
        block = wide
        width = 2
    }

    /// Doubles the block (only when the expected size was unknown or too small).
    private func grow(to count: Int) {
        capacity = max(2 * capacity, count + 1)
        guard let grown = realloc(block, capacity * width) else { fatalError("out of memory for a text of \(count) characters") }
        block = grown
    }

    /// The letters in ``Vocabulary/init(sentences:)``'s order.
    private var orderedLetters: [Unicode.Scalar] {
        let isDigit: (Unicode.Scalar) -> Bool = { ("0"..."9").contains($0) }
        return letters.filter(isDigit).sorted() + letters.filter { !isDigit($0) }
    }

    /// The vocabulary in ``Vocabulary/init(sentences:)``'s order (ASCII digits
    /// first, ascending, then by first appearance), renumbering the block to it.
    private func orderedVocabulary(_ block: UnsafeMutableRawPointer) -> Vocabulary {
        let ordered = orderedLetters
        guard ordered != letters else { return Vocabulary(letters: letters) }
        var renumbered = [UInt16](repeating: 0, count: letters.count + 1)
        for (offset, letter) in ordered.enumerated() {
            let provisional = letter.value < 0x10000 ? planeZero[Int(letter.value)] : beyondPlaneZero[letter.value] ?? 0
            renumbered[Int(provisional)] = UInt16(offset + 1)
        }
        renumbered.withUnsafeBufferPointer { table in
            if width == 1 {
                let symbols = block.assumingMemoryBound(to: UInt8.self)
                for position in 0..<characterCount { symbols[position] = UInt8(truncatingIfNeeded: table[Int(symbols[position])]) }
            } else {
                let symbols = block.assumingMemoryBound(to: UInt16.self)
                for position in 0..<characterCount { symbols[position] = table[Int(symbols[position])] }
            }
        }
        return Vocabulary(letters: ordered)
    }
}
