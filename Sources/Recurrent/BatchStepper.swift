/// Feeds a network a batch of sequences one step at a time without recording
/// gradients: each sequence is a column of the layers' states, so one
/// matrix-matrix product per layer serves all of them.
///
/// Between steps the columns can be dropped, reordered or duplicated
/// (``select(columns:)``): finished samples leave the batch, beam search
/// continues its best hypotheses. Like ``InferenceStepper`` it keeps two
/// graphs that take turns, so the state of one step stays valid while the
/// next is computed, and it allocates nothing once the batch size is stable.
///
/// The weights must not change while a stepper lives: its graphs multiply by
/// packed copies of them (``FrozenWeights``), made on the first batched step.
final class BatchStepper {
    let network: RecurrentNetwork
    private let graphs = [Graph(recordsBackward: false), Graph(recordsBackward: false)]
    private var turn = 0
    private var states: [LayerState]
    /// Columns of the current state that the next step starts from, if not all in order.
    private var selection: [Int]?
    /// Sequences in the batch.
    private(set) var batch: Int
    /// The network's step wants a generator; without dropout it draws nothing.
    private var unused = RandomSource(seed: 0)

    /// A stepper for `batch` sequences starting from zero states.
    init(network: RecurrentNetwork, batch: Int = 1) {
        precondition(batch >= 1)
        self.network = network
        self.batch = batch
        let frozen = FrozenWeights()
        for graph in graphs { graph.frozenWeights = frozen }
        states = network.zeroState(graphs[1], batch: batch)
    }

    /// Makes the next step start from column `columns[j]` of the current
    /// state for sequence `j`; the batch becomes `columns.count` sequences.
    func select(columns: [Int]) {
        precondition(!columns.isEmpty && columns.allSatisfy { $0 >= 0 && $0 < batch }, "select: bad columns")
        selection = selection.map { previous in columns.map { previous[$0] } } ?? columns
        batch = columns.count
    }

    /// Feeds one input per sequence and returns the logits, `(V+1) x batch`,
    /// valid until the step after next.
    func feed(_ inputs: [Int]) -> Matrix {
        precondition(inputs.count == batch, "feed: \(inputs.count) inputs for a batch of \(batch)")
        let graph = graphs[turn]
        turn ^= 1
        graph.reset()
        if let selection {
            for index in states.indices {
                states[index].hidden = Self.gather(states[index].hidden, columns: selection, into: graph)
                states[index].cell = states[index].cell.map { Self.gather($0, columns: selection, into: graph) }
            }
            self.selection = nil
        }
        return inputs.withUnsafeBufferPointer { network.step(graph, inputs: $0, states: &states, random: &unused) }
    }

    /// A pooled matrix of `source`'s chosen columns.
    private static func gather(_ source: Matrix, columns: [Int], into graph: Graph) -> Matrix {
        let width = columns.count, sourceWidth = source.columns
        let out = graph.makeMatrix(rows: source.rows, columns: width)
        columns.withUnsafeBufferPointer { columns in
            for row in 0..<source.rows {
                let from = source.values + row * sourceWidth, to = out.values + row * width
                for (column, sourceColumn) in columns.enumerated() { to[column] = from[sourceColumn] }
            }
        }
        return out
    }
}
