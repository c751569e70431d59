/// Why a sample ended, in Ollama's words (the service's `done_reason`);
/// ``FinishReason`` tells END from a stop sequence.
public enum StopReason: String, Sendable, Codable {
    /// The model predicted END, or the text reached a stop sequence.
    case stop
    /// The maximum length was reached.
    case length
}

/// Generates a sample one character at a time, as the original demo predicts:
/// feed START and the prime, then each produced character; stop at END, at a
/// stop sequence or at the maximum length. ``SamplingOptions`` describes how
/// each character is chosen.
///
/// With stop sequences, characters that may begin one are handed out only
/// once they turn out not to, so ``next()`` never returns part of a stop sequence.
public final class Sampler {
    /// The model sampled from.
    public let model: CharacterModel
    /// The settings of this sample.
    public let options: SamplingOptions
    private let batch: SampleBatch
    /// Characters handed out by ``next()``.
    private var handedOut = 0

    /// A sampler drawing from `random`; throws ``Vocabulary/UnknownCharacter``
    /// for a prime with characters outside the vocabulary.
    public init(model: CharacterModel, options: SamplingOptions, random: RandomSource) throws {
        self.model = model
        self.options = options
        batch = try SampleBatch(model: model, options: options, randoms: [random])
    }

    /// A sampler drawing from ``SamplingOptions/seed``, or from the system's
    /// entropy without one: the sample ``CharacterModel/generate(_:count:)``
    /// gives with the same options.
    public convenience init(model: CharacterModel, options: SamplingOptions) throws {
        var system = SystemRandomNumberGenerator()
        try self.init(model: model, options: options, random: RandomSource(seed: options.seed ?? system.next()))
    }

    private var track: SampleTrack { batch.tracks[0] }

    /// Why generation ended; nil while it can go on.
    public var stopReason: StopReason? { finishReason?.stopReason }

    /// Why generation ended, telling END from a stop sequence; nil while it can go on.
    public var finishReason: FinishReason? { handedOut == track.released ? track.finish : nil }

    /// Characters generated so far (the prime not included).
    public var generated: Int { handedOut }

    /// The random generator's state after the characters drawn so far.
    public var randomState: RandomSource { track.random }

    /// The next character, or nil when the sample has ended (see ``stopReason``).
    public func next() -> Unicode.Scalar? {
        while handedOut == track.released {
            if batch.isFinished { return nil }
            batch.step()
        }
        handedOut += 1
        return track.generated[handedOut - 1]
    }

    /// Generates to the end and returns the prime followed by the sample.
    public func run() -> String {
        var text = String.UnicodeScalarView()
        text.append(contentsOf: options.prime.unicodeScalars)
        while let scalar = next() { text.append(scalar) }
        return String(text)
    }

    /// The whole sample with its log-probabilities, once ``next()`` has returned nil.
    public var result: GeneratedSample? {
        finishReason == nil ? nil : track.result(prime: options.prime)
    }
}

extension CharacterModel {
    /// One sample, the prime included.
    public func sample(_ options: SamplingOptions = SamplingOptions(), random: inout RandomSource) throws -> String {
        let sampler = try Sampler(model: self, options: options, random: random)
        let text = sampler.run()
        random = sampler.randomState
        return text
    }
}
