/// Settings of text-corpus training that stay fixed for a run.
public struct TextTrainingOptions: Sendable, Equatable {
    /// Steps of truncated backpropagation through time per window.
    public var sequenceLength = 64
    /// Fraction of the text held out for validation.
    public var validationFraction = 0.05
    /// Validate every this many ticks (0: never).
    public var validationInterval = 200
    /// At most this many validation characters are scored each time (the
    /// validation text's beginning), to bound the time a validation takes.
    public var validationLimit = 200_000
    /// The learning rate is multiplied by this at the end of every epoch (1: off).
    public var learningRateDecay: Float = 1

    public init(sequenceLength: Int = 64, validationFraction: Double = 0.05, validationInterval: Int = 200,
                validationLimit: Int = 200_000, learningRateDecay: Float = 1) {
        self.sequenceLength = sequenceLength
        self.validationFraction = validationFraction
        self.validationInterval = validationInterval
        self.validationLimit = validationLimit
        self.learningRateDecay = learningRateDecay
    }
}

/// A validation result.
public struct ValidationResult: Sendable, Equatable {
    /// The tick after which it was measured.
    public let step: Int
    /// Nats per predicted validation character.
    public let loss: Double
    /// Characters scored.
    public let predictions: Int
    /// `exp(loss)`.
    public var perplexity: Double { exp(loss) }
}

/// Trains a ``CharacterModel`` on one continuous text as char-rnn does: the
/// training text is cut into `batchSize` parallel streams, each tick trains a
/// window of `sequenceLength` steps of all streams at once, and the hidden
/// state carries from one window to the next (truncated backpropagation
/// through time). Validation runs every `validationInterval` ticks; the best
/// weights by validation loss are kept.
public final class TextTrainer: @unchecked Sendable {
    public let model: CharacterModel
    public let solver: Solver
    /// Settings used by the next tick (`batchSize` is fixed at creation).
    public var settings: TrainingSettings
    public let options: TextTrainingOptions
    public let corpus: TextCorpus
    /// The generator for dropout.
    public var random: RandomSource
    /// Ticks run so far.
    public var ticks = 0
    /// Completed passes over the training text.
    public private(set) var completedEpochs = 0
    /// The latest validation, if any.
    public private(set) var latestValidation: ValidationResult?
    /// The validation with the lowest loss so far.
    public private(set) var bestValidation: ValidationResult?
    /// A copy of the weights at ``bestValidation``.
    public private(set) var bestModel: CharacterModel?

    private var streams: TextStreams
    private var grid = SequenceGrid()
    private let graph = Graph()
    private let validationGraph = Graph(recordsBackward: false)
    /// Hidden (and cell) state carried between windows, one set per stream.
    private var carried: [LayerState]

    public init(model: CharacterModel, corpus: TextCorpus, solver: Solver = Solver(),
                settings: TrainingSettings = TrainingSettings(batchSize: 32), options: TextTrainingOptions = TextTrainingOptions(),
                random: RandomSource) {
        precondition(options.sequenceLength >= 1, "sequence length must be positive")
        self.model = model
        self.solver = solver
        self.settings = settings
        self.options = options
        self.corpus = corpus
        self.random = random
        streams = TextStreams(text: corpus.training, width: settings.batchSize)
        carried = Self.makeState(model.network, width: streams.width)
    }

    private static func makeState(_ network: RecurrentNetwork, width: Int) -> [LayerState] {
        network.layers.map {
            LayerState(hidden: Matrix(rows: $0.hiddenSize, columns: width),
                       cell: $0.hasCell ? Matrix(rows: $0.hiddenSize, columns: width) : nil)
        }
    }

    /// Sequences trained side by side.
    public var batchSize: Int { streams.width }

    /// Passes over the training text so far, with the current pass's fraction.
    public var epoch: Double {
        Double(completedEpochs) + Double(streams.offset) / Double(max(1, streams.streamLength))
    }

    /// One tick: the next window of every stream forward and backward, one
    /// solver step, and a validation when one is due.
    @discardableResult
    public func tick() -> TickResult {
        FloatingPointMode.flushSubnormalsToZero()
        if !streams.nextWindow(into: &grid, steps: options.sequenceLength) {
            completedEpochs += 1
            settings.learningRate *= options.learningRateDecay
            _ = streams.nextWindow(into: &grid, steps: options.sequenceLength)
        }
        if grid.steps > 0 && streams.offset == grid.steps { zero(carried) }
        let cost = runWindow(grid, on: graph, carrying: carried, dropout: settings.dropout, random: &random)
        graph.backward()
        let clipped = solver.step(model.network.parameters, learningRate: settings.learningRate,
                                  regc: settings.regc, clipval: settings.clipval)
        ticks += 1
        if options.validationInterval > 0 && ticks % options.validationInterval == 0 { validate() }
        return TickResult(cost: cost, predictions: grid.width * grid.steps, clippedFraction: clipped)
    }

    /// Scores the validation text (up to ``TextTrainingOptions/validationLimit``
    /// characters) without dropout, records it and keeps the best weights.
    @discardableResult
    public func validate() -> ValidationResult? {
        guard !corpus.validation.isEmpty else { return nil }
        FloatingPointMode.flushSubnormalsToZero()
        let text = Array(corpus.validation.prefix(options.validationLimit))
        var validationStreams = TextStreams(text: text, width: min(batchSize, max(1, text.count / 2)))
        let state = Self.makeState(model.network, width: validationStreams.width)
        var validationGrid = SequenceGrid()
        var cost = 0.0, predictions = 0
        var unused = RandomSource(seed: 0)
        while validationStreams.nextWindow(into: &validationGrid, steps: options.sequenceLength) {
            cost += runWindow(validationGrid, on: validationGraph, carrying: state, random: &unused)
            predictions += validationGrid.width * validationGrid.steps
        }
        let result = ValidationResult(step: ticks, loss: cost / Double(max(1, predictions)), predictions: predictions)
        latestValidation = result
        if bestValidation.map({ result.loss < $0.loss }) ?? true {
            bestValidation = result
            if let bestModel {
                bestModel.network.copyWeights(from: model.network)
            } else {
                bestModel = model.copy()
            }
        }
        return result
    }

    /// Runs one window from the carried state (a leaf of the graph: no
    /// gradient flows into earlier windows) and carries the final state on.
    private func runWindow(_ window: SequenceGrid, on graph: Graph, carrying state: [LayerState],
                           dropout: Float = 0, random: inout RandomSource) -> Double {
        graph.reset()
        var states = state.map { LayerState(hidden: graph.constant(copying: $0.hidden), cell: $0.cell.map(graph.constant(copying:))) }
        let cost = model.network.run(window, on: graph, states: &states, dropout: dropout, random: &random)
        for (keep, final) in zip(state, states) {
            keep.hidden.copyValues(from: final.hidden)
            if let cell = keep.cell, let finalCell = final.cell { cell.copyValues(from: finalCell) }
        }
        return cost
    }

    private func zero(_ state: [LayerState]) {
        for layer in state {
            layer.hidden.zeroValues()
            layer.cell?.zeroValues()
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
