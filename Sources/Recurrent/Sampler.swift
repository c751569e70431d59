/// How to draw a sample from a ``CharacterModel``.
public struct SamplingOptions: Sendable, Equatable {
    /// Logits are divided by this before the softmax (ignored when greedy).
    public var temperature: Float = 1
    /// Take the most likely character at each step instead of sampling.
    public var greedy = false
    /// The most characters to generate after the prime (100 in the demo).
    public var maxLength = 100
    /// Text the sample continues; every character must be in the vocabulary.
    public var prime = ""

    public init(temperature: Float = 1, greedy: Bool = false, maxLength: Int = 100, prime: String = "") {
        self.temperature = temperature
        self.greedy = greedy
        self.maxLength = maxLength
        self.prime = prime
    }
}

/// Why a sample ended.
public enum StopReason: String, Sendable, Codable {
    /// The model predicted END.
    case stop
    /// The maximum length was reached.
    case length
}

/// Generates a sample one character at a time (SPEC section 4's prediction):
/// feed START and the prime, then each produced character; stop at END or at
/// the maximum length.
public final class Sampler {
    public let model: CharacterModel
    public let options: SamplingOptions
    /// Why generation ended; nil while it can go on.
    public private(set) var stopReason: StopReason?
    /// Characters generated so far (the prime not included).
    public private(set) var generated = 0
    private let stepper: InferenceStepper
    private var random: RandomSource
    private var nextInput: Int
    private var probabilities: [Float]

    /// A sampler; throws ``Vocabulary/UnknownCharacter`` for a prime with
    /// characters outside the vocabulary.
    public init(model: CharacterModel, options: SamplingOptions, random: RandomSource) throws {
        precondition(options.temperature > 0 && options.temperature.isFinite, "temperature must be positive")
        self.model = model
        self.options = options
        self.random = random
        stepper = InferenceStepper(network: model.network)
        let prime = try model.vocabulary.encode(options.prime).get()
        probabilities = [Float](repeating: 0, count: model.vocabulary.symbolCount)
        nextInput = Vocabulary.boundary
        for index in prime {
            _ = stepper.feedLogits(nextInput)
            nextInput = index
        }
    }

    /// The random generator's state after the characters drawn so far.
    public var randomState: RandomSource { random }

    /// The next character, or nil when the sample has ended (see ``stopReason``).
    public func next() -> Unicode.Scalar? {
        guard stopReason == nil else { return nil }
        guard generated < options.maxLength else {
            stopReason = .length
            return nil
        }
        let logits = stepper.feedLogits(nextInput)
        let index = probabilities.withUnsafeMutableBufferPointer { buffer -> Int in
            let count = buffer.count
            if options.greedy {
                Softmax.probabilities(logits, into: buffer.baseAddress!)
                return Softmax.argmax(buffer.baseAddress!, count: count)
            }
            Softmax.probabilities(logits, temperature: options.temperature, into: buffer.baseAddress!)
            return Softmax.sample(buffer.baseAddress!, count: count, random: &random)
        }
        if index == Vocabulary.boundary {
            stopReason = .stop
            return nil
        }
        generated += 1
        nextInput = index
        return model.vocabulary.letter(at: index)
    }

    /// Generates to the end and returns the prime followed by the sample.
    public func run() -> String {
        var text = String.UnicodeScalarView()
        text.append(contentsOf: options.prime.unicodeScalars)
        while let scalar = next() { text.append(scalar) }
        return String(text)
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
