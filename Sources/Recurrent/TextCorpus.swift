/// One continuous training text (char-rnn style), encoded, and split into a
/// training part and a validation part.
///
/// The split is contiguous: the first `1 − validationFraction` of the text
/// trains, the rest validates; the same text and fraction always give the
/// same split. Every character, newlines included, is a symbol; START (index
/// 0) is fed once at the start of each stream and END never occurs. Both
/// parts are views of one ``SymbolBuffer``: splitting copies nothing.
public struct TextCorpus: Sendable {
    /// The training characters, encoded.
    public let training: EncodedSymbols
    /// The validation characters, encoded (may be empty).
    public let validation: EncodedSymbols

    /// Splits `text`, encoded with `vocabulary`. Throws ``TrainingError`` when
    /// the text has a character outside the vocabulary or too little text
    /// remains for training.
    public init(text: String, vocabulary: Vocabulary, validationFraction: Double) throws {
        let encoded: EncodedText
        do throws(TextReadError) {
            encoded = try EncodedText(text, vocabulary: vocabulary)
        } catch {
            guard case let .unknownCharacter(character, _, offset) = error else {
                throw TrainingError.noSentences   // empty: nothing to train on
            }
            throw TrainingError.unknownCharacter(sentence: 0, Vocabulary.UnknownCharacter(character: character, offset: offset))
        }
        try self.init(symbols: encoded.symbols.all, validationFraction: validationFraction)
    }

    /// Splits an encoded text (its vocabulary must be the model's). Throws
    /// ``TrainingError/noSentences`` when too little text remains for training.
    public init(encoded: EncodedText, validationFraction: Double) throws {
        try self.init(symbols: encoded.symbols.all, validationFraction: validationFraction)
    }

    private init(symbols: EncodedSymbols, validationFraction: Double) throws {
        precondition(validationFraction >= 0 && validationFraction < 1, "validation fraction must be in [0, 1)")
        let validationCount = Int((Double(symbols.count) * validationFraction).rounded(.down))
        let trainingCount = symbols.count - validationCount
        guard trainingCount >= 2 else { throw TrainingError.noSentences }
        let split = symbols.startIndex + trainingCount
        training = symbols[symbols.startIndex..<split]
        validation = validationCount >= 2 ? symbols[split..<symbols.endIndex] : symbols[split..<split]
    }
}

/// `B` parallel read positions over an encoded text, each a contiguous stream
/// of `count / B` characters, handing out windows of `T` steps.
struct TextStreams {
    let text: EncodedSymbols
    let width: Int
    let streamLength: Int
    /// Position of the next window's first input within each stream.
    private(set) var offset = 0

    init(text: EncodedSymbols, width: Int) {
        self.text = text
        self.width = max(1, min(width, text.count - 1))
        streamLength = text.count / self.width
    }

    /// Streams over indices given as an array (tests, small texts).
    init(text: [Int], width: Int) {
        self.init(text: SymbolBuffer(indices: text).all, width: width)
    }

    /// Whether the next window starts a new pass (states should restart).
    var atStart: Bool { offset == 0 }

    /// Moves the next window's start to `position` within every stream (clamped
    /// to the streams' length).
    mutating func seek(to position: Int) {
        offset = max(0, min(position, streamLength))
    }

    /// Fills `grid` with the next window of at most `steps` steps and moves on;
    /// returns false (and rewinds) when the streams are used up.
    mutating func nextWindow(into grid: inout SequenceGrid, steps: Int) -> Bool {
        // Each stream predicts its `streamLength` characters, the first one
        // from START.
        let remaining = streamLength - offset
        guard remaining > 0 else {
            offset = 0
            return false
        }
        let count = min(steps, remaining)
        let width = self.width, length = streamLength, offset = self.offset
        grid.reset(width: width)
        text.withSymbols { symbols in
            for step in 0..<count {
                let position = offset + step
                grid.appendStep(
                    inputs: (0..<width).lazy.map { stream in
                        position == 0 ? Vocabulary.boundary : symbols[stream * length + position - 1]
                    },
                    targets: (0..<width).lazy.map { stream in symbols[stream * length + position] })
            }
        }
        self.offset += count
        return true
    }
}
