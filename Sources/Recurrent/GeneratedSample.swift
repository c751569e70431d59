/// Why a sample ended, telling END from a stop sequence.
public enum FinishReason: String, Sendable, Codable, CaseIterable {
    /// The model produced END.
    case end
    /// The text reached one of the stop sequences (left out of the text).
    case stop
    /// The maximum length was reached.
    case length

    /// The coarser ``StopReason`` (Ollama's `done_reason`): a natural end,
    /// END or a stop sequence, is `stop`.
    public var stopReason: StopReason { self == .length ? .length : .stop }
}

/// One character's log-probability under the model: `ln p` of the network's
/// own softmax at temperature 1, before any penalty or filter (what
/// ``CharacterModel/evaluate(sentences:)`` scores), whatever distribution
/// the character was drawn from.
public struct CharacterLogprob: Sendable, Equatable {
    /// The character; nil for END.
    public var character: Unicode.Scalar?
    /// `ln p`, at most 0.
    public var logprob: Double

    /// A character (nil for END) with its log-probability.
    public init(character: Unicode.Scalar?, logprob: Double) {
        self.character = character
        self.logprob = logprob
    }
}

/// A generated character with its log-probability and the most likely
/// alternatives at that step.
public struct GeneratedToken: Sendable, Equatable {
    /// The character produced (nil: END, the last token of a sample that ended there).
    public var chosen: CharacterLogprob
    /// The most likely characters at that step, most likely first
    /// (``SamplingOptions/logprobs`` of them, END included as nil).
    public var top: [CharacterLogprob]

    /// A step's chosen character and its most likely alternatives.
    public init(chosen: CharacterLogprob, top: [CharacterLogprob]) {
        self.chosen = chosen
        self.top = top
    }
}

/// A finished sample or beam-search result.
public struct GeneratedSample: Sendable, Equatable {
    /// The prime followed by the generated characters (a stop sequence left out).
    public var text: String
    /// The sum of the generated characters' log-probabilities under the model
    /// (temperature 1, no filters), END's included when the sample ended
    /// there: for an unprimed sample that ended at END, minus the cost
    /// ``CharacterModel/evaluate(sentences:)`` gives its text.
    public var logprob: Double
    /// Why generation ended.
    public var finishReason: FinishReason
    /// Each generated character (then END, when it ended there) with its
    /// log-probability and alternatives; nil unless ``SamplingOptions/logprobs`` was set.
    public var tokens: [GeneratedToken]?

    /// A finished sample.
    public init(text: String, logprob: Double, finishReason: FinishReason, tokens: [GeneratedToken]?) {
        self.text = text
        self.logprob = logprob
        self.finishReason = finishReason
        self.tokens = tokens
    }
}
