/// One thread's share of a validation: a contiguous range of the validation
/// streams, scored through its own inference graph with its own carried state.
///
/// The trainer's workers sit idle while it validates, so with several of them
/// the held-out text is scored in as many shares at once. Each column's cost
/// does not depend on the others, so the sum is the single-threaded one up to
/// the order of the additions.
///
/// Unchecked `Sendable`: during a concurrent score each share is touched by
/// its own iteration only, and the network's weights are only read.
final class ValidationShare: @unchecked Sendable {
    let columns: Range<Int>
    private let network: RecurrentNetwork
    private let graph: Graph
    private var grid = SequenceGrid()
    private let state: [LayerState]
    /// The summed cost of the latest window.
    private(set) var cost = 0.0

    init(network: RecurrentNetwork, graph: Graph, columns: Range<Int>) {
        precondition(!graph.recordsBackward, "validation graphs record nothing")
        self.network = network
        self.graph = graph
        self.columns = columns
        state = WindowWorker.makeState(network, width: columns.count)
    }

    /// Scores this share's columns of `window` (all of it when not `sliced`),
    /// carrying the state on to the next window.
    func score(_ window: SequenceGrid, sliced: Bool) {
        FloatingPointMode.withSubnormalsFlushedToZero {
            if sliced { grid.copyColumns(columns, of: window) }
            var unused = RandomSource(seed: 0)
            cost = WindowWorker.run(network, sliced ? grid : window, on: graph, carrying: state, random: &unused)
        }
    }

    /// Scores `window` in every share at once, one of `threads` each; returns the summed cost.
    static func score(_ window: SequenceGrid, in shares: [ValidationShare], threads: WorkerThreads) -> Double {
        if shares.count == 1 {
            shares[0].score(window, sliced: false)
        } else {
            threads.run(shares.count) { index in
                shares[index].score(window, sliced: true)
            }
        }
        return shares.reduce(0) { $0 + $1.cost }
    }
}
