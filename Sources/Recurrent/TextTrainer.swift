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
    /// Threads that share each tick, each training a slice of the streams
    /// (data parallelism; at most one per 8 streams), and each validation. Run them with
    /// single-threaded BLAS (`BLASThreads.set(1)`): they are the parallelism.
    /// With dropout, the random masks depend on this number.
    public var workers = 1

    /// Options; the defaults are char-rnn's, with one worker.
    public init(sequenceLength: Int = 64, validationFraction: Double = 0.05, validationInterval: Int = 200,
                validationLimit: Int = 200_000, learningRateDecay: Float = 1, workers: Int = 1) {
        self.sequenceLength = sequenceLength
        self.validationFraction = validationFraction
        self.validationInterval = validationInterval
        self.validationLimit = validationLimit
        self.learningRateDecay = learningRateDecay
        self.workers = workers
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
    /// The model being trained, updated in place.
    public let model: CharacterModel
    /// The solver that applies each tick's gradients, with its state.
    public let solver: Solver
    /// Settings used by the next tick (`batchSize` is fixed at creation).
    public var settings: TrainingSettings
    /// The settings fixed for the run.
    public let options: TextTrainingOptions
    /// The encoded text and its training and validation parts.
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
    /// Inference graphs for validation, one per share (see ``ValidationShare``).
    private(set) var validationGraphs: [Graph] = []
    /// The tick's workers, each with its slice of the streams and its carried
    /// state; the first trains the model's network itself.
    private var workers: [WindowWorker]
    /// Where the workers past the first run (the calling thread runs the first).
    private let threads = WorkerThreads()

    /// Streams a worker needs at least, so slices stay wide enough for BLAS to pay.
    public static let minimumStreamsPerWorker = 8

    /// A trainer of `model` on `corpus`: `settings.batchSize` streams, each
    /// window `options.sequenceLength` steps, with `random` for dropout masks
    /// and the streams' starting points.
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
        var random = random
        workers = Self.slices(of: streams.width, atMost: options.workers).enumerated().map { index, columns in
            WindowWorker(network: index == 0 ? model.network : model.copy().network, isReplica: index > 0,
                         columns: columns, random: RandomSource(seed: random.next()))
        }
    }

    /// `width` streams cut into at most `count` contiguous slices of at least
    /// ``minimumStreamsPerWorker`` streams each (one slice if too narrow).
    static func slices(of width: Int, atMost count: Int) -> [Range<Int>] {
        let count = max(1, min(count, width / minimumStreamsPerWorker))
        return (0..<count).map { index in (index * width / count)..<((index + 1) * width / count) }
    }

    /// Threads sharing each tick (``TextTrainingOptions/workers``, limited by the streams).
    public var workerCount: Int { workers.count }

    /// Sequences trained side by side.
    public var batchSize: Int { streams.width }

    /// Changes the threads sharing each tick to `count` (limited by the
    /// streams, as at creation), between ticks: a service job's share of the
    /// machine follows the jobs running beside it. The streams' carried state
    /// moves to the new slices, so training goes on as before up to the order
    /// of float additions; with dropout the masks change, as they depend on
    /// the number of workers.
    public func setWorkerCount(_ count: Int) {
        let slices = Self.slices(of: streams.width, atMost: count)
        guard slices != workers.map(\.columns) else { return }
        let network = model.network
        // Every stream's carried state side by side, then cut anew.
        let whole = WindowWorker.makeState(network, width: streams.width)
        for worker in workers {
            WindowWorker.copyColumns(of: worker.carried, into: whole, at: worker.columns.lowerBound)
        }
        var seeds = random
        workers = slices.enumerated().map { index, columns in
            let worker = WindowWorker(network: index == 0 ? network : model.copy().network, isReplica: index > 0,
                                      columns: columns, random: RandomSource(seed: seeds.next()))
            WindowWorker.copyColumns(from: whole, columns: columns, into: worker.carried)
            return worker
        }
    }

    /// Passes over the training text so far, with the current pass's fraction.
    public var epoch: Double {
        Double(completedEpochs) + Double(streams.offset) / Double(max(1, streams.streamLength))
    }

    /// Continues a run that stopped at `epoch` (its ``epoch`` then, as a
    /// checkpoint records it): the completed passes count again, and the
    /// streams move to the window where it stopped. The hidden state starts
    /// from zero, and the learning rate is left to the caller (a run's decayed
    /// rate may have been saved, or may need working out again).
    public func resume(atEpoch epoch: Double) {
        guard epoch.isFinite, epoch > 0 else { return }
        let passes = epoch.rounded(.down)
        completedEpochs = Int(min(passes, Double(Int32.max)))
        // Windows start at multiples of the window length: round to the nearest.
        let length = max(1, options.sequenceLength)
        let position = ((epoch - passes) * Double(streams.streamLength) / Double(length)).rounded() * Double(length)
        streams.seek(to: Int(position))
        workers.forEach { $0.resetState() }
    }

    /// One tick: the next window of every stream forward and backward, one
    /// solver step, and a validation when one is due.
    @discardableResult
    public func tick() -> TickResult {
        FloatingPointMode.withSubnormalsFlushedToZero { trainOneTick() }
    }

    private func trainOneTick() -> TickResult {
        if !streams.nextWindow(into: &grid, steps: options.sequenceLength) {
            completedEpochs += 1
            settings.learningRate *= options.learningRateDecay
            _ = streams.nextWindow(into: &grid, steps: options.sequenceLength)
        }
        if grid.steps > 0 && streams.offset == grid.steps { workers.forEach { $0.resetState() } }
        let dropout = settings.dropout, precision = settings.productPrecision
        let cost: Double
        if workers.count == 1 {
            workers[0].random = random
            workers[0].train(grid, dropout: dropout, sliced: false, precision: precision)
            random = workers[0].random
            cost = workers[0].cost
        } else {
            for worker in workers { worker.random = RandomSource(seed: random.next()) }
            let window = grid, network = model.network
            threads.run(workers.count) { index in
                // Each replica copies the model's weights on its own thread;
                // nothing writes them until the solver step after the join.
                if workers[index].isReplica { workers[index].synchronize(with: network) }
                workers[index].train(window, dropout: dropout, sliced: true, precision: precision)
            }
            for worker in workers where worker.isReplica { worker.moveGradients(into: model.network) }
            cost = workers.reduce(0) { $0 + $1.cost }
        }
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
        return FloatingPointMode.withSubnormalsFlushedToZero { scoreValidation() }
    }

    private func scoreValidation() -> ValidationResult {
        let text = corpus.validation.prefix(options.validationLimit)
        var validationStreams = TextStreams(text: text, width: min(batchSize, max(1, text.count / 2)))
        // As many shares as training has workers (they are idle meanwhile), each wide enough for BLAS.
        let slices = Self.slices(of: validationStreams.width, atMost: workers.count)
        while validationGraphs.count < slices.count { validationGraphs.append(Graph(recordsBackward: false)) }
        let shares = slices.enumerated().map { index, columns in
            ValidationShare(network: model.network, graph: validationGraphs[index], columns: columns)
        }
        var window = SequenceGrid()
        var cost = 0.0, predictions = 0
        while validationStreams.nextWindow(into: &window, steps: options.sequenceLength) {
            cost += ValidationShare.score(window, in: shares, threads: threads)
            predictions += window.width * window.steps
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
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
