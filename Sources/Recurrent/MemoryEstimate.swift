/// How much memory training a network of a given shape takes, worked out
/// before anything is allocated, so that a service can refuse a configuration
/// that would not fit its budget.
public struct MemoryEstimate: Sendable, Equatable, CustomStringConvertible {
    /// Weights, gradients, solver state and two more copies of the weights
    /// (a snapshot for sampling and the best-so-far weights), plus the
    /// weights and gradients of each extra data-parallel worker's replica.
    public let parameterBytes: Int
    /// The graph's working memory for one tick: every intermediate value and
    /// gradient of `steps` time steps of `batchSize` sequences.
    public let workingBytes: Int
    /// Text windows: each worker's packed copies of every layer's recurrent
    /// weights, one for the forward and one for the backward products (see `WindowPass`).
    public let packedBytes: Int

    /// Everything together.
    public var totalBytes: Int { parameterBytes + workingBytes + packedBytes }

    /// The total and its parts in megabytes, for a person.
    public var description: String {
        "about \(Self.megabytes(totalBytes)) (\(Self.megabytes(parameterBytes)) for parameters and solver state, "
            + "\(Self.megabytes(workingBytes)) working memory)"
    }

    static func megabytes(_ bytes: Int) -> String {
        let value = Double(bytes) / 1_048_576
        return value < 10 ? "\((value * 10).rounded() / 10) MB" : "\(Int(value.rounded())) MB"
    }

    /// The estimate for training `generator` with these sizes on batches of
    /// `batchSize` sequences of up to `steps` steps (the longest sentence plus
    /// one, or the window length of a text corpus), with `workers`
    /// data-parallel workers (``TextTrainingOptions/workers``). `textWindows`
    /// says that the training runs on a text corpus (``TextTrainer``), where
    /// each worker also keeps packed recurrent weights.
    public init(generator: Generator, symbolCount: Int, letterSize: Int, hiddenSizes: [Int],
                batchSize: Int, steps: Int, optimizer: Optimizer = .rmsprop, workers: Int = 1, textWindows: Bool = false) {
        let float = MemoryLayout<Float>.size
        let parameters = RecurrentNetwork.parameterCount(generator: generator, symbolCount: symbolCount,
                                                         letterSize: letterSize, hiddenSizes: hiddenSizes)
        let solverCopies = optimizer == .adam ? 2 : 1
        parameterBytes = parameters * float * (2 + solverCopies + 2 + 2 * max(0, workers - 1))
        // Per time step and sequence, in floats, before doubling for gradients:
        // the embedding, each layer's gates and scratch and state, the logits.
        var perStep = letterSize + symbolCount
        for size in hiddenSizes {
            switch generator {
            case .lstm: perStep += 4 * size * 2 + 3 * size
            case .gru: perStep += 3 * size * 2 + 3 * size
            case .rnn: perStep += 2 * size
            }
        }
        // The initial states.
        let initial = hiddenSizes.reduce(0) { $0 + $1 * (generator == .lstm ? 2 : 1) }
        workingBytes = 2 * (perStep * max(1, steps) + initial) * float * batchSize
        if textWindows {
            let blocks = WindowPass.stepProductBlocks(generator)
            let perWorker = hiddenSizes.reduce(0) { total, size in
                total + blocks.reduce(0) { sum, count in
                    sum + PackedWeights.bytes(rows: count * size, columns: size) + PackedWeights.bytes(rows: size, columns: count * size)
                }
            }
            packedBytes = max(1, workers) * perWorker
        } else {
            packedBytes = 0
        }
    }
}
