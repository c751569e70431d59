/// How to draw a sample from a ``CharacterModel``.
///
/// At each step the next character is chosen from the network's logits in
/// this order:
///
/// 1. **Repetition penalty**: for every distinct character among the last
///    ``repetitionWindow`` characters of the text (the prime included), a
///    positive logit is divided by ``repetitionPenalty`` and a negative one
///    multiplied by it (llama.cpp's rule). END is never penalised.
/// 2. **Excluded characters** (``excluded``) get a logit of −∞: never produced.
/// 3. **Greedy**: with ``greedy``, the largest logit wins; the steps below are skipped.
/// 4. **Top-k**: only the ``topK`` most likely characters stay (0: all).
/// 5. **Top-p**: of those, the smallest set of the most likely whose
///    probability adds up to at least ``topP`` stays (1: all).
/// 6. **Min-p**: of those, characters less likely than ``minP`` times the
///    most likely one are dropped (0: none).
/// 7. **Temperature**: the logits of the characters left are divided by
///    ``temperature`` and one is drawn with their softmax probabilities.
///
/// Steps 4 to 6 see the probabilities at temperature 1, so the set of
/// characters that can be drawn does not depend on the temperature (llama.cpp's
/// order, where temperature comes last). Each draw takes exactly one value from
/// the random generator, so a sample's randomness does not depend on the
/// filters; with every filter off (``topK`` 0, ``topP`` 1, ``minP`` 0, no
/// penalty, nothing excluded) a sample is the plain softmax sample, draw for draw.
///
/// Generation ends at END, when the generated text ends with one of the
/// ``stop`` sequences (which is then left out of the text), or after
/// ``maxLength`` characters.
public struct SamplingOptions: Sendable, Equatable {
    /// Logits are divided by this before the softmax (ignored when greedy).
    public var temperature: Float = 1
    /// Take the most likely character at each step instead of sampling.
    public var greedy = false
    /// The most characters to generate after the prime (100 in the demo).
    public var maxLength = 100
    /// Text the sample continues; every character must be in the vocabulary.
    public var prime = ""
    /// Keep only this many of the most likely characters; 0 keeps all.
    public var topK = 0
    /// Keep the smallest set of most likely characters whose probability adds
    /// up to at least this, in (0, 1]; 1 keeps all.
    public var topP: Float = 1
    /// Drop characters less likely than this times the most likely one, in [0, 1]; 0 keeps all.
    public var minP: Float = 0
    /// Divides positive logits (multiplies negative ones) of characters seen
    /// in the last ``repetitionWindow`` characters; 1 is off.
    public var repetitionPenalty: Float = 1
    /// How many of the latest characters the repetition penalty looks at (llama.cpp's default, 64); 0 is off.
    public var repetitionWindow = 64
    /// Generation ends when the generated text ends with one of these; the
    /// sequence is not part of the text. Only generated characters are
    /// matched, not the prime.
    public var stop: [String] = []
    /// Characters never to produce.
    public var excluded: Set<Unicode.Scalar> = []
    /// Seed of ``CharacterModel/generate(_:count:)``: sample `i` of a call
    /// draws from `RandomSource(seed: seed &+ i)`; nil draws a seed from the
    /// system. ``Sampler`` and ``CharacterModel/sample(_:random:)`` use the
    /// generator they are given instead.
    public var seed: UInt64?
    /// How many most likely alternatives to report beside each generated
    /// character's log-probability; nil reports no per-character details.
    public var logprobs: Int?

    /// Options; the defaults leave every filter off.
    public init(temperature: Float = 1, greedy: Bool = false, maxLength: Int = 100, prime: String = "",
                topK: Int = 0, topP: Float = 1, minP: Float = 0, repetitionPenalty: Float = 1,
                repetitionWindow: Int = 64, stop: [String] = [], excluded: Set<Unicode.Scalar> = [],
                seed: UInt64? = nil, logprobs: Int? = nil) {
        self.temperature = temperature
        self.greedy = greedy
        self.maxLength = maxLength
        self.prime = prime
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.repetitionWindow = repetitionWindow
        self.stop = stop
        self.excluded = excluded
        self.seed = seed
        self.logprobs = logprobs
    }

    /// Whether any step before the temperature changes the distribution: when
    /// not, a draw is the plain softmax sample of the logits.
    var filters: Bool {
        topK > 0 || topP < 1 || minP > 0 || (repetitionPenalty != 1 && repetitionWindow > 0) || !excluded.isEmpty
    }

    /// Throws the first setting out of its range, named as in this type.
    public func validate() throws(InvalidSamplingOption) {
        func fail(_ field: String, _ message: String) -> InvalidSamplingOption {
            InvalidSamplingOption(field: field, message: message)
        }
        guard temperature.isFinite && temperature > 0 else { throw fail("temperature", "must be a positive number") }
        guard maxLength >= 0 else { throw fail("maxLength", "must be at least 0") }
        guard topK >= 0 else { throw fail("topK", "must be at least 0") }
        guard topP.isFinite && topP > 0 && topP <= 1 else { throw fail("topP", "must be in (0, 1]") }
        guard minP.isFinite && minP >= 0 && minP <= 1 else { throw fail("minP", "must be in [0, 1]") }
        guard repetitionPenalty.isFinite && repetitionPenalty > 0 else {
            throw fail("repetitionPenalty", "must be a positive number")
        }
        guard repetitionWindow >= 0 else { throw fail("repetitionWindow", "must be at least 0") }
        guard !stop.contains(where: \.isEmpty) else { throw fail("stop", "must not contain an empty sequence") }
        if let logprobs, logprobs < 0 { throw fail("logprobs", "must be at least 0") }
    }
}

/// A sampling or beam-search setting out of its range.
public struct InvalidSamplingOption: Error, Sendable, Equatable, CustomStringConvertible {
    /// The setting's property name (for example `topP`).
    public let field: String
    /// What is wrong, completing "`field` …".
    public let message: String

    /// An error about the setting `field`.
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field) \(message)" }
}
