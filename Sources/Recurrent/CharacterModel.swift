/// A character-level language model: a vocabulary and a recurrent network
/// (as in the original library).
///
/// Loss is reported in nats per prediction: a sentence of `n` characters makes
/// `n + 1` predictions (each character, then END), `loss = cost / (n + 1)` and
/// `perplexity = exp(loss)`. (The original reported `2^(Σ −log2 p / (n − 1))`.)
public final class CharacterModel: @unchecked Sendable {
    /// The characters the model knows.
    public let vocabulary: Vocabulary
    /// The network: embedding, recurrent layers and decoder.
    public let network: RecurrentNetwork

    /// A freshly initialised model for `vocabulary`.
    public convenience init(vocabulary: Vocabulary, generator: Generator = .lstm, hiddenSizes: [Int] = [20, 20],
                            letterSize: Int = 5, random: inout RandomSource) {
        self.init(vocabulary: vocabulary,
                  network: RecurrentNetwork(generator: generator, symbolCount: vocabulary.symbolCount,
                                            letterSize: letterSize, hiddenSizes: hiddenSizes, random: &random))
    }

    /// A model over an existing network, whose symbol count must be `V + 1`.
    public init(vocabulary: Vocabulary, network: RecurrentNetwork) {
        precondition(network.symbolCount == vocabulary.symbolCount, "network and vocabulary sizes differ")
        self.vocabulary = vocabulary
        self.network = network
    }

    /// The kind of recurrent layer.
    public var generator: Generator { network.generator }
    /// The hidden size of each layer, first to last.
    public var hiddenSizes: [Int] { network.hiddenSizes }
    /// The size of each character's embedding.
    public var letterSize: Int { network.letterSize }

    /// A deep copy (weights only), for example a snapshot to sample from while
    /// the original keeps training.
    public func copy() -> CharacterModel {
        let twin = RecurrentNetwork(generator: generator, symbolCount: network.symbolCount,
                                    letterSize: letterSize, hiddenSizes: hiddenSizes)
        twin.copyWeights(from: network)
        return CharacterModel(vocabulary: vocabulary, network: twin)
    }

    /// The cost (Σ −ln p over the `n + 1` predictions) of an encoded sentence,
    /// without recording gradients.
    public func cost(ofEncoded sentence: [Int]) -> Double {
        let stepper = InferenceStepper(network: network)
        var cost = 0.0
        for position in -1..<sentence.count {
            let input = position < 0 ? Vocabulary.boundary : sentence[position]
            let target = position == sentence.count - 1 ? Vocabulary.boundary : sentence[position + 1]
            let probabilities = stepper.feed(input)
            // At most −ln of the smallest normal Float: a probability rounded
            // to 0 would make the whole evaluation infinite.
            cost -= log(max(Double(probabilities[target]), Double(Float.leastNormalMagnitude)))
        }
        return cost
    }

    /// Evaluates sentences as `recurrent evaluate` and the service do: sentences
    /// with characters outside the vocabulary are skipped and counted.
    public func evaluate(sentences: [String]) -> Evaluation {
        var evaluation = Evaluation()
        for sentence in sentences {
            guard case .success(let encoded) = vocabulary.encode(sentence) else {
                evaluation.skipped += 1
                continue
            }
            evaluation.sentences += 1
            evaluation.predictions += encoded.count + 1
            evaluation.totalCost += cost(ofEncoded: encoded)
        }
        return evaluation
    }

    /// Evaluates the sentences of a training text (split as for training).
    public func evaluate(text: String) -> Evaluation {
        evaluate(sentences: Sentences.split(text))
    }

    /// The `topK` most likely next characters after `context` (START is fed
    /// first; END appears as `nil`), most likely first.
    public func nextCharacterProbabilities(after context: String, topK: Int = 10) throws -> [(character: Unicode.Scalar?, probability: Float)] {
        let encoded = try vocabulary.encode(context).get()
        let stepper = InferenceStepper(network: network)
        var probabilities = stepper.feed(Vocabulary.boundary)
        for index in encoded { probabilities = stepper.feed(index) }
        let ranked = probabilities.enumerated().sorted { $0.element > $1.element }.prefix(max(0, topK))
        return ranked.map { ($0.offset == Vocabulary.boundary ? nil : vocabulary.letter(at: $0.offset), $0.element) }
    }
}

/// The totals of an evaluation.
public struct Evaluation: Sendable, Equatable, Codable {
    /// Sentences evaluated.
    public var sentences = 0
    /// Sentences skipped for characters outside the vocabulary.
    public var skipped = 0
    /// Predictions made: `n + 1` per sentence of `n` characters.
    public var predictions = 0
    /// Σ −ln p over every prediction.
    public var totalCost = 0.0

    /// An empty evaluation: nothing scored yet.
    public init() {}

    /// `totalCost / predictions` (0 when nothing was evaluated).
    public var meanLoss: Double { predictions == 0 ? 0 : totalCost / Double(predictions) }
    /// `exp(meanLoss)`.
    public var perplexity: Double { exp(meanLoss) }

    enum CodingKeys: String, CodingKey {
        case sentences, skipped, predictions
        case totalCost = "total_cost"
        case meanLoss = "mean_loss"
        case perplexity
    }

    /// Writes the counts, the total cost, and the derived mean loss and perplexity
    /// (snake-case keys, as the service's JSON has them).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sentences, forKey: .sentences)
        try container.encode(skipped, forKey: .skipped)
        try container.encode(predictions, forKey: .predictions)
        try container.encode(totalCost, forKey: .totalCost)
        try container.encode(meanLoss, forKey: .meanLoss)
        try container.encode(perplexity, forKey: .perplexity)
    }

    /// Reads what ``encode(to:)`` wrote; the mean loss and perplexity are derived again.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sentences = try container.decode(Int.self, forKey: .sentences)
        skipped = try container.decode(Int.self, forKey: .skipped)
        predictions = try container.decode(Int.self, forKey: .predictions)
        totalCost = try container.decode(Double.self, forKey: .totalCost)
    }
}

/// Feeds a network one input at a time without recording gradients, in
/// constant memory: two graphs take turns, so the state from the previous step
/// stays valid while the next is computed.
public final class InferenceStepper {
    /// The network: embedding, recurrent layers and decoder.
    public let network: RecurrentNetwork
    private let graphs = [Graph(recordsBackward: false), Graph(recordsBackward: false)]
    private var turn = 0
    private var states: [LayerState]

    /// A stepper that starts from the network's zero state.
    public init(network: RecurrentNetwork) {
        self.network = network
        states = network.zeroState(graphs[1], batch: 1)
    }

    /// Feeds `input` and returns the logits of the next character, `(V+1) x 1`,
    /// valid until the next call.
    public func feedLogits(_ input: Int) -> Matrix {
        let graph = graphs[turn]
        turn ^= 1
        graph.reset()
        return network.step(graph, input: input, states: &states)
    }

    /// Feeds `input` and returns the next character's probabilities.
    public func feed(_ input: Int, temperature: Float = 1) -> [Float] {
        Softmax.probabilities(feedLogits(input), temperature: temperature)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
