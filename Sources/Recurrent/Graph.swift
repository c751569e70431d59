/// An expression graph with reverse-mode automatic differentiation.
///
/// Every operation computes its output at once and, when the graph records
/// backward steps, appends one entry to a tape. ``backward()`` replays the tape
/// in reverse and **accumulates** (`+=`) into the inputs' gradients, as the
/// original library does. A graph built with `recordsBackward: false` records
/// nothing and is meant for inference.
///
/// Output matrices come from a pool owned by the graph. ``reset()`` empties the
/// tape and hands the same matrices out again in the same order, so a training
/// loop that resets one graph each step allocates nothing once warm. A matrix
/// returned by an operation is valid until the next ``reset()``.
///
/// The operations live in one file per family (`Graph+Arithmetic.swift`,
/// `Graph+Activations.swift`, ...), each forward beside its backward.
public final class Graph {
    /// Whether operations record backward steps.
    public let recordsBackward: Bool

    // Touched by every operation; never accessed overlappingly, so without
    // the run-time exclusivity checks (a tenth of the small demos' time).
    @exclusivity(unchecked) private var tape: [Operation] = []
    @exclusivity(unchecked) private var pool: [Matrix] = []
    @exclusivity(unchecked) private var poolCursor = 0
    /// Row indices of gather operations, referenced from the tape by offset.
    @exclusivity(unchecked) private var indexStore: [Int] = []
    /// Deferred weight-gradient updates of single-column steps.
    private let outerProducts = OuterProductQueue()
    /// Packed weights for the products of an inference graph whose weights
    /// stay fixed (batched sampling, beam search); nil while training.
    var frozenWeights: FrozenWeights?

    /// A graph; pass `recordsBackward: false` for inference.
    public init(recordsBackward: Bool = true) {
        self.recordsBackward = recordsBackward
    }

    /// Forgets the recorded tape and recycles every output matrix.
    public func reset() {
        tape.removeAll(keepingCapacity: true)
        indexStore.removeAll(keepingCapacity: true)
        poolCursor = 0
    }

    /// Number of recorded backward steps.
    public var recordedSteps: Int { tape.count }

    /// Bytes of values and gradients held by the pool of output matrices.
    public var pooledBytes: Int { pool.reduce(0) { $0 + 2 * $1.count * MemoryLayout<Float>.size } }

    /// A matrix for an operation's output: reused from the pool when the shape
    /// matches, with zeroed gradients so that backward can accumulate into it.
    func makeMatrix(rows: Int, columns: Int) -> Matrix {
        if poolCursor < pool.count {
            let candidate = pool[poolCursor]
            if candidate.rows == rows && candidate.columns == columns {
                poolCursor += 1
                if recordsBackward { candidate.zeroGradients() }
                return candidate
            }
            let fresh = Matrix(rows: rows, columns: columns)
            pool[poolCursor] = fresh
            poolCursor += 1
            return fresh
        }
        let fresh = Matrix(rows: rows, columns: columns)
        pool.append(fresh)
        poolCursor += 1
        return fresh
    }

    /// A zero matrix from the pool (for example an initial hidden state).
    public func zeros(rows: Int, columns: Int = 1) -> Matrix {
        let matrix = makeMatrix(rows: rows, columns: columns)
        matrix.zeroValues()
        return matrix
    }

    /// A pooled copy of `source`'s values, a leaf of this graph (its gradient
    /// is not passed on to `source`).
    public func constant(copying source: Matrix) -> Matrix {
        let matrix = makeMatrix(rows: source.rows, columns: source.columns)
        matrix.copyValues(from: source)
        return matrix
    }

    /// Appends `operation`'s backward step to the tape, if the graph records.
    @inline(__always)
    func record(_ operation: Operation) {
        if recordsBackward { tape.append(operation) }
    }

    /// Keeps `indices` for a recorded operation and returns where they start.
    func storeIndices(_ indices: UnsafeBufferPointer<Int>) -> Int {
        let start = indexStore.count
        indexStore.append(contentsOf: indices)
        return start
    }

    /// Runs every recorded backward step in reverse order.
    public func backward() {
        var position = tape.count - 1
        while position >= 0 {
            tape[position].backward(indices: indexStore, outerProducts: outerProducts)
            position -= 1
        }
        outerProducts.flush()
    }
}
