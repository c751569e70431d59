/// Training settings that may change between ticks (the demo's sliders).
public struct TrainingSettings: Sendable, Equatable {
    /// Solver step size.
    public var learningRate: Float = 0.01
    /// L2 regularisation strength.
    public var regc: Float = 1e-6
    /// Gradients are clipped to `[-clipval, clipval]`.
    public var clipval: Float = 5
    /// Sequences per tick; 1 is the demo's one sentence per tick.
    public var batchSize = 1
    /// Inverted-dropout rate on the inputs of layers above the first and of the
    /// decoder; 0 (the default) turns it off. Never applied when sampling or
    /// evaluating.
    public var dropout: Float = 0
    /// The operands' format in text training's layer products (step
    /// products, input projections, weight gradients); float32 by default. Sentence
    /// training ignores it and keeps the original library's float arithmetic.
    public var productPrecision = ProductPrecision.float32

    /// The learning rate text-corpus training starts from unless told
    /// otherwise: char-rnn's 0.002. The demo's 0.01 suits its small models
    /// but not larger ones on a text: LSTM [128,128] with 32 streams of 64
    /// steps diverged, or stalled at a perplexity in the hundreds, for three
    /// seeds out of four within 300 ticks at 0.01, and reached 1.85 to 1.88
    /// for all four at 0.002.
    public static let textDefaultLearningRate = 0.002

    /// The solver text-corpus training starts with unless told otherwise.
    /// RMSProp as the original library has it (cache decay 0.999, starting
    /// from zero) takes first steps up to 30 times the rate in every weight
    /// and stays above it for about a thousand ticks; LSTM [512,512] at
    /// 0.002 was at validation loss 4.4 to 6.6 after 200 ticks on 1.1 MB of
    /// English, where Adam reached 2.2 to 2.5.
    public static let textDefaultOptimizer = Optimizer.adam

    /// The learning rate text-corpus training starts from unless told
    /// otherwise, for layers of `hiddenSizes`: with Adam 0.002 × √(512 /
    /// widest layer), at most 0.004, to two significant digits; with RMSProp
    /// ``textDefaultLearningRate``. Narrower models want larger steps, up to
    /// a point. With Adam on 1.1 MB of English (validation loss after a fixed
    /// number of ticks): LSTM [512,512] 2.18 at 0.003 and 2.31 to 2.47 at
    /// 0.002 after 200 ticks; [128,128] 2.15 at 0.005 and 2.43 at 0.002 after
    /// 600; [20,20] 2.06 at 0.004, 2.08 at 0.002 and about 2.12 at 0.01 after
    /// 40 000 (at 0.01 it led for the first few thousand ticks only).
    public static func textDefaultLearningRate(hiddenSizes: [Int], optimizer: Optimizer) -> Double {
        guard optimizer == .adam else { return textDefaultLearningRate }
        let widest = Double(max(1, hiddenSizes.max() ?? 1))
        let rate = min(0.004, textDefaultLearningRate * (512 / widest).squareRoot())
        // Two digits: divided by a power of ten, so 0.0028 prints as such.
        let digits = pow(10, 1 - log10(rate).rounded(.down))
        return (rate * digits).rounded() / digits
    }

    /// Settings; the defaults are the original demo's.
    public init(learningRate: Float = 0.01, regc: Float = 1e-6, clipval: Float = 5, batchSize: Int = 1, dropout: Float = 0,
                productPrecision: ProductPrecision = .float32) {
        self.learningRate = learningRate
        self.regc = regc
        self.clipval = clipval
        self.batchSize = batchSize
        self.dropout = dropout
        self.productPrecision = productPrecision
    }
}

/// What one training tick measured.
public struct TickResult: Sendable, Equatable {
    /// Σ −ln p over the tick's predictions.
    public var cost: Double
    /// Predictions made (`n + 1` per sentence of `n` characters).
    public var predictions: Int
    /// Fraction of gradient elements the solver clipped.
    public var clippedFraction: Float

    /// Nats per prediction.
    public var loss: Double { predictions == 0 ? 0 : cost / Double(predictions) }
    /// `exp(loss)`.
    public var perplexity: Double { exp(loss) }
}

/// Trains a ``CharacterModel`` on sentences (as in the original library): each tick picks
/// `batchSize` sentences uniformly at random, runs them forward as the columns
/// of one batch (shorter ones masked), backward, and makes one solver step.
///
/// All working memory (graph outputs, index buffers) is allocated on the first
/// ticks and reused afterwards.
public final class CharacterTrainer: @unchecked Sendable {
    /// The model being trained, updated in place.
    public let model: CharacterModel
    /// The solver that applies each tick's gradients, with its state.
    public let solver: Solver
    /// Settings used by the next tick.
    public var settings: TrainingSettings
    /// The generator for sentence choice and dropout.
    @exclusivity(unchecked) public var random: RandomSource
    /// Ticks run so far.
    public var ticks = 0
    /// The training sentences, encoded.
    public let sentences: [[Int]]

    private let graph = Graph()
    @exclusivity(unchecked) private var grid = SequenceGrid()

    /// A trainer; throws ``TrainingError`` when there is no sentence or a
    /// sentence has a character outside the model's vocabulary.
    public init(model: CharacterModel, sentences: [String], solver: Solver = Solver(),
                settings: TrainingSettings = TrainingSettings(), random: RandomSource) throws {
        var encoded: [[Int]] = []
        for (number, sentence) in sentences.enumerated() {
            switch model.vocabulary.encode(sentence) {
            case .success(let indices): encoded.append(indices)
            case .failure(let unknown): throw TrainingError.unknownCharacter(sentence: number, unknown)
            }
        }
        guard !encoded.isEmpty else { throw TrainingError.noSentences }
        self.model = model
        self.solver = solver
        self.settings = settings
        self.random = random
        self.sentences = encoded
    }

    /// Passes over the data so far: `ticks · batchSize / sentences`.
    public var epoch: Double { Double(ticks * settings.batchSize) / Double(sentences.count) }

    /// One tick: sample a batch, forward, backward, solver step.
    @discardableResult
    public func tick() -> TickResult {
        FloatingPointMode.withSubnormalsFlushedToZero { trainOneTick() }
    }

    private func trainOneTick() -> TickResult {
        let batchSize = max(1, settings.batchSize)
        var chosen: [[Int]] = []
        chosen.reserveCapacity(batchSize)
        for _ in 0..<batchSize { chosen.append(sentences[random.nextIndex(below: sentences.count)]) }
        let (cost, predictions) = accumulateGradients(chosen)
        let clipped = solver.step(model.network.parameters, learningRate: settings.learningRate,
                                  regc: settings.regc, clipval: settings.clipval)
        ticks += 1
        return TickResult(cost: cost, predictions: predictions, clippedFraction: clipped)
    }

    /// Forward and backward over `batch` (encoded sentences, one per column):
    /// adds the gradient of the summed cost to every parameter's gradient and
    /// returns the cost and number of predictions. No solver step.
    public func accumulateGradients(_ batch: [[Int]]) -> (cost: Double, predictions: Int) {
        grid.fill(sentences: batch)
        graph.reset()
        var states = model.network.zeroState(graph, batch: batch.count)
        let cost = model.network.run(grid, on: graph, states: &states, dropout: settings.dropout, random: &random)
        graph.backward()
        return (cost, grid.predictions)
    }
}

/// Why training data was refused.
public enum TrainingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Every sentence was empty.
    case noSentences
    /// Sentence `sentence` (from 0) has a character the model's vocabulary lacks.
    case unknownCharacter(sentence: Int, Vocabulary.UnknownCharacter)
    /// An encoded text's vocabulary is not the model's.
    case vocabularyMismatch

    /// A sentence for a person, naming the sentence at fault.
    public var description: String {
        switch self {
        case .noSentences: "the training text has no sentence (every line is empty after trimming)"
        case let .unknownCharacter(sentence, unknown): "sentence \(sentence + 1): \(unknown)"
        case .vocabularyMismatch: "the text was encoded with another vocabulary than the model's"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
