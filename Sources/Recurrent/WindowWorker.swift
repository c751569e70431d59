import Dispatch

/// One share of a text-training tick: a contiguous range of the window's
/// streams (columns), run forward and backward by its own ``WindowPass`` with
/// its own carried state.
///
/// With several workers a tick is data-parallel: each worker takes a slice of
/// the batch on its own thread with single-threaded BLAS, and the replicas'
/// gradients are added into the model's before one solver step. The first
/// worker trains the model's own network; the others train replicas whose
/// weights are copied from it at the start of every tick, so every worker
/// sees the same weights. The sum of the slices' gradients is the batch's
/// gradient (the cost is a sum over predictions), up to the order of float
/// additions.
final class WindowWorker {
    /// The model's network (first worker) or a replica of it.
    let network: RecurrentNetwork
    let isReplica: Bool
    /// Trains each window layer by layer.
    let windowPass: WindowPass
    /// This worker's slice of the window (unused by a lone worker, which
    /// reads the whole window in place).
    var grid = SequenceGrid()
    /// Hidden (and cell) state carried between windows, one column per stream of the slice.
    var carried: [LayerState]
    /// The streams (columns of the window) this worker trains.
    let columns: Range<Int>
    /// Dropout's generator (reseeded from the trainer's every tick).
    var random: RandomSource
    /// The summed cost of the latest window.
    private(set) var cost = 0.0

    init(network: RecurrentNetwork, isReplica: Bool, columns: Range<Int>, random: RandomSource) {
        self.network = network
        self.isReplica = isReplica
        self.columns = columns
        self.random = random
        carried = WindowWorker.makeState(network, width: columns.count)
        windowPass = WindowPass(network: network)
    }

    static func makeState(_ network: RecurrentNetwork, width: Int) -> [LayerState] {
        network.layers.map {
            LayerState(hidden: Matrix(rows: $0.hiddenSize, columns: width),
                       cell: $0.hasCell ? Matrix(rows: $0.hiddenSize, columns: width) : nil)
        }
    }

    /// Copies `slice` (each layer's state for some streams) into `whole`'s
    /// columns from `first` on.
    static func copyColumns(of slice: [LayerState], into whole: [LayerState], at first: Int) {
        for (part, all) in zip(slice, whole) {
            copy(part.hidden, columns: 0..<part.hidden.columns, into: all.hidden, at: first)
            if let cell = part.cell, let allCell = all.cell { copy(cell, columns: 0..<cell.columns, into: allCell, at: first) }
        }
    }

    /// Copies `whole`'s `columns` of every layer's state into `slice`.
    static func copyColumns(from whole: [LayerState], columns: Range<Int>, into slice: [LayerState]) {
        for (all, part) in zip(whole, slice) {
            copy(all.hidden, columns: columns, into: part.hidden, at: 0)
            if let allCell = all.cell, let cell = part.cell { copy(allCell, columns: columns, into: cell, at: 0) }
        }
    }

    private static func copy(_ source: Matrix, columns: Range<Int>, into target: Matrix, at first: Int) {
        for row in 0..<source.rows {
            (target.values + row * target.columns + first)
                .update(from: source.values + row * source.columns + columns.lowerBound, count: columns.count)
        }
    }

    /// Forgets the carried state (the streams start over).
    func resetState() {
        for layer in carried {
            layer.hidden.zeroValues()
            layer.cell?.zeroValues()
        }
    }

    /// Forward and backward of this worker's slice of `window`; gradients
    /// accumulate in `network`.
    func train(_ window: SequenceGrid, dropout: Float, sliced: Bool, precision: ProductPrecision = .float32) {
        // Per thread, and scoped: workers run on the trainer's helper threads.
        FloatingPointMode.withSubnormalsFlushedToZero {
            if sliced { grid.copyColumns(columns, of: window) }
            cost = windowPass.train(sliced ? grid : window, carrying: carried, dropout: dropout, random: &random,
                                    precision: precision)
        }
    }

    /// Copies the model's weights into this replica before a tick.
    func synchronize(with model: RecurrentNetwork) {
        network.copyWeights(from: model)
    }

    /// Adds this replica's gradients into the model's and clears its own.
    func moveGradients(into model: RecurrentNetwork) {
        for (mine, theirs) in zip(network.parameters, model.parameters) {
            let source = mine.matrix.gradients, target = theirs.matrix.gradients
            for index in 0..<mine.matrix.count { target[index] += source[index] }
            mine.matrix.zeroGradients()
        }
    }

    /// Runs one window through the graph from the carried state (a leaf of
    /// the graph: no gradient flows into earlier windows) and carries the
    /// final state on. Validation scores windows this way, without backward.
    static func run(_ network: RecurrentNetwork, _ window: SequenceGrid, on graph: Graph, carrying state: [LayerState],
                    dropout: Float = 0, random: inout RandomSource) -> Double {
        graph.reset()
        var states = state.map { LayerState(hidden: graph.constant(copying: $0.hidden), cell: $0.cell.map(graph.constant(copying:))) }
        let cost = network.run(window, on: graph, states: &states, dropout: dropout, random: &random)
        for (keep, final) in zip(state, states) {
            keep.hidden.copyValues(from: final.hidden)
            if let cell = keep.cell, let finalCell = final.cell { cell.copyValues(from: finalCell) }
        }
        return cost
    }
}
