/// One continuous training text (char-rnn style), encoded, and split into a
/// training part and a validation part.
///
/// The split is contiguous: the first `1 − validationFraction` of the text
/// trains, the rest validates; the same text and fraction always give the
/// same split. Every character, newlines included, is a symbol; START (index
/// 0) is fed once at the start of each stream and END never occurs.
public struct TextCorpus: Sendable {
    /// The training characters, encoded.
    public let training: [Int]
    /// The validation characters, encoded (may be empty).
    public let validation: [Int]

    /// Splits `text`, encoded with `vocabulary`. Throws ``TrainingError`` when
    /// the text has a character outside the vocabulary or too little text
    /// remains for training.
    public init(text: String, vocabulary: Vocabulary, validationFraction: Double) throws {
        precondition(validationFraction >= 0 && validationFraction < 1, "validation fraction must be in [0, 1)")
        let encoded: [Int]
        switch vocabulary.encode(text) {
        case .success(let indices): encoded = indices
        case .failure(let unknown): throw TrainingError.unknownCharacter(sentence: 0, unknown)
        }
        let validationCount = Int((Double(encoded.count) * validationFraction).rounded(.down))
        let trainingCount = encoded.count - validationCount
        guard trainingCount >= 2 else { throw TrainingError.noSentences }
        training = Array(encoded[..<trainingCount])
        validation = validationCount >= 2 ? Array(encoded[trainingCount...]) : []
    }
}

/// `B` parallel read positions over an encoded text, each a contiguous stream
/// of `count / B` characters, handing out windows of `T` steps.
struct TextStreams {
    let text: [Int]
    let width: Int
    let streamLength: Int
    /// Position of the next window's first input within each stream.
    private(set) var offset = 0

    init(text: [Int], width: Int) {
        self.text = text
        self.width = max(1, min(width, text.count - 1))
        streamLength = text.count / self.width
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
        let text = self.text, length = streamLength
        grid.reset(width: width)
        for step in 0..<count {
            let position = offset + step
            grid.appendStep(
                inputs: (0..<width).lazy.map { stream in
                    position == 0 ? Vocabulary.boundary : text[stream * length + position - 1]
                },
                targets: (0..<width).lazy.map { stream in text[stream * length + position] })
        }
        offset += count
        return true
    }
}
