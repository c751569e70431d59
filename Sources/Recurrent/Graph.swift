#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
public final class Graph {
    /// Whether operations record backward steps.
    public let recordsBackward: Bool

    private var tape: [Operation] = []
    private var pool: [Matrix] = []
    private var poolCursor = 0
    /// Row indices of gather operations, referenced from the tape by offset.
    private var indexStore: [Int] = []
    /// Deferred weight-gradient updates of single-column steps.
    private let outerProducts = OuterProductQueue()

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

    @inline(__always)
    func record(_ operation: Operation) {
        if recordsBackward { tape.append(operation) }
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

    // MARK: - Operations of the original library

    /// Row `row` of `matrix` as a column vector (`columns x 1`).
    public func rowPluck(_ matrix: Matrix, row: Int) -> Matrix {
        precondition(row >= 0 && row < matrix.rows, "rowPluck: row \(row) outside 0..<\(matrix.rows)")
        let out = makeMatrix(rows: matrix.columns, columns: 1)
        out.values.update(from: matrix.values + row * matrix.columns, count: matrix.columns)
        record(.rowPluck(matrix, row: row, out: out))
        return out
    }

    /// `a · b`.
    public func mul(_ a: Matrix, _ b: Matrix) -> Matrix {
        precondition(a.columns == b.rows, "mul: \(a.rows)x\(a.columns) times \(b.rows)x\(b.columns)")
        let out = makeMatrix(rows: a.rows, columns: b.columns)
        MatrixProduct.multiply(a.values, b.values, into: out.values, m: a.rows, k: a.columns, n: b.columns, accumulate: false)
        record(.mul(a, b, out: out))
        return out
    }

    /// `a + b` (same shape).
    public func add(_ a: Matrix, _ b: Matrix) -> Matrix {
        precondition(a.rows == b.rows && a.columns == b.columns, "add: shapes differ")
        let out = makeMatrix(rows: a.rows, columns: a.columns)
        let x = a.values, y = b.values, z = out.values
        for index in 0..<out.count { z[index] = x[index] + y[index] }
        record(.add(a, b, out: out))
        return out
    }

    /// `a ⊙ b`, the element-wise product (same shape).
    public func eltmul(_ a: Matrix, _ b: Matrix) -> Matrix {
        precondition(a.rows == b.rows && a.columns == b.columns, "eltmul: shapes differ")
        let out = makeMatrix(rows: a.rows, columns: a.columns)
        let x = a.values, y = b.values, z = out.values
        for index in 0..<out.count { z[index] = x[index] * y[index] }
        record(.eltmul(a, b, out: out))
        return out
    }

    /// Element-wise hyperbolic tangent.
    public func tanh(_ a: Matrix) -> Matrix {
        let out = makeMatrix(rows: a.rows, columns: a.columns)
        Activation.tanh(a.values, into: out.values, count: a.count)
        record(.tanh(a, out: out))
        return out
    }

    /// Element-wise logistic sigmoid, `1 / (1 + e^-x)`.
    public func sigmoid(_ a: Matrix) -> Matrix {
        let out = makeMatrix(rows: a.rows, columns: a.columns)
        Activation.sigmoid(a.values, into: out.values, count: a.count)
        record(.sigmoid(a, out: out))
        return out
    }

    /// Element-wise `max(0, x)`.
    public func relu(_ a: Matrix) -> Matrix {
        let out = makeMatrix(rows: a.rows, columns: a.columns)
        let x = a.values, z = out.values
        for index in 0..<out.count { z[index] = max(0, x[index]) }
        record(.relu(a, out: out))
        return out
    }

    // MARK: - Batch-friendly operations

    /// The rows `rows` of `matrix` as the columns of a `matrix.columns x rows.count`
    /// matrix: an embedding lookup for a batch.
    public func gatherRows(_ matrix: Matrix, rows: [Int]) -> Matrix {
        rows.withUnsafeBufferPointer { gatherRows(matrix, rows: $0) }
    }

    /// ``gatherRows(_:rows:)-7w3d2`` over a buffer of row indices.
    public func gatherRows(_ matrix: Matrix, rows: UnsafeBufferPointer<Int>) -> Matrix {
        let width = matrix.columns, batch = rows.count
        let out = makeMatrix(rows: width, columns: batch)
        for (column, row) in rows.enumerated() {
            precondition(row >= 0 && row < matrix.rows, "gatherRows: row \(row) outside 0..<\(matrix.rows)")
            let source = matrix.values + row * width
            for feature in 0..<width { out.values[feature * batch + column] = source[feature] }
        }
        if recordsBackward {
            let start = indexStore.count
            indexStore.append(contentsOf: rows)
            tape.append(.gatherRows(matrix, indexStart: start, out: out))
        }
        return out
    }

    /// `a + bias`, with the column vector `bias` added to every column of `a`.
    public func addBias(_ a: Matrix, _ bias: Matrix) -> Matrix {
        precondition(bias.columns == 1 && bias.rows == a.rows, "addBias: bias must be \(a.rows)x1")
        let out = makeMatrix(rows: a.rows, columns: a.columns)
        Activation.addBias(a.values, bias.values, into: out.values, rows: a.rows, columns: a.columns)
        record(.addBias(a, bias, out: out))
        return out
    }

    /// `weights · input + bias` (bias broadcast over the columns): a dense layer.
    public func affine(_ weights: Matrix, _ input: Matrix, _ bias: Matrix) -> Matrix {
        precondition(weights.columns == input.rows, "affine: \(weights.rows)x\(weights.columns) times \(input.rows)x\(input.columns)")
        precondition(bias.columns == 1 && bias.rows == weights.rows, "affine: bias must be \(weights.rows)x1")
        let out = makeMatrix(rows: weights.rows, columns: input.columns)
        Activation.broadcast(bias.values, into: out.values, rows: out.rows, columns: out.columns)
        MatrixProduct.multiply(weights.values, input.values, into: out.values,
                               m: weights.rows, k: weights.columns, n: input.columns, accumulate: true)
        record(.affine(weights, input, bias, out: out))
        return out
    }

    /// Inverted dropout: each element is zeroed with probability `rate` and the
    /// survivors are scaled by `1 / (1 - rate)`, so evaluation needs no change.
    public func dropout<G: RandomNumberGenerator>(_ a: Matrix, rate: Float, using generator: inout G) -> Matrix {
        precondition(rate >= 0 && rate < 1, "dropout: rate must be in [0, 1)")
        let out = makeMatrix(rows: a.rows, columns: a.columns)
        let mask = makeMatrix(rows: a.rows, columns: a.columns)
        DropoutMask.draw(into: mask.values, rows: a.rows, columns: a.columns, stride: a.columns, rate: rate, using: &generator)
        for index in 0..<a.count { out.values[index] = a.values[index] * mask.values[index] }
        record(.dropout(a, mask: mask, out: out))
        return out
    }
}

/// One recorded backward step.
enum Operation {
    case rowPluck(Matrix, row: Int, out: Matrix)
    case gatherRows(Matrix, indexStart: Int, out: Matrix)
    case mul(Matrix, Matrix, out: Matrix)
    case add(Matrix, Matrix, out: Matrix)
    case eltmul(Matrix, Matrix, out: Matrix)
    case tanh(Matrix, out: Matrix)
    case sigmoid(Matrix, out: Matrix)
    case relu(Matrix, out: Matrix)
    case addBias(Matrix, Matrix, out: Matrix)
    case affine(Matrix, Matrix, Matrix, out: Matrix)
    case dropout(Matrix, mask: Matrix, out: Matrix)
    case lstmCell(LSTMLayer, input: Matrix, hidden: Matrix, cell: Matrix, gates: Matrix,
                  newCell: Matrix, cellTanh: Matrix, newHidden: Matrix, scratch: Matrix)
    case gruCell(GRULayer, input: Matrix, hidden: Matrix, gates: Matrix, resetHidden: Matrix,
                 newHidden: Matrix, scratch: Matrix, resetScratch: Matrix)
    case rnnCell(RNNLayer, input: Matrix, hidden: Matrix, newHidden: Matrix, scratch: Matrix)

    func backward(indices: [Int], outerProducts: OuterProductQueue) {
        switch self {
        case let .rowPluck(matrix, row, out):
            let target = matrix.gradients + row * matrix.columns
            for index in 0..<matrix.columns { target[index] += out.gradients[index] }
        case let .gatherRows(matrix, start, out):
            let width = matrix.columns, batch = out.columns
            for column in 0..<batch {
                let target = matrix.gradients + indices[start + column] * width
                for feature in 0..<width { target[feature] += out.gradients[feature * batch + column] }
            }
        case let .mul(a, b, out):
            if b.columns == 1 {
                outerProducts.append(target: a.gradients, rows: a.rows, columns: a.columns, left: out.gradients, right: b.values)
            } else {
                MatrixProduct.accumulateTimesTransposed(out.gradients, b.values, into: a.gradients,
                                                        m: a.rows, n: b.columns, k: a.columns)
            }
            MatrixProduct.accumulateTransposedTimes(a.values, out.gradients, into: b.gradients,
                                                    m: a.rows, k: a.columns, n: b.columns)
        case let .add(a, b, out):
            let g = out.gradients, ga = a.gradients, gb = b.gradients
            for index in 0..<out.count { ga[index] += g[index] }
            for index in 0..<out.count { gb[index] += g[index] }
        case let .eltmul(a, b, out):
            let g = out.gradients
            for index in 0..<out.count {
                a.gradients[index] += b.values[index] * g[index]
                b.gradients[index] += a.values[index] * g[index]
            }
        case let .tanh(a, out):
            for index in 0..<out.count {
                let y = out.values[index]
                a.gradients[index] += (1 - y * y) * out.gradients[index]
            }
        case let .sigmoid(a, out):
            for index in 0..<out.count {
                let y = out.values[index]
                a.gradients[index] += y * (1 - y) * out.gradients[index]
            }
        case let .relu(a, out):
            for index in 0..<out.count where a.values[index] > 0 {
                a.gradients[index] += out.gradients[index]
            }
        case let .addBias(a, bias, out):
            let g = out.gradients
            for index in 0..<out.count { a.gradients[index] += g[index] }
            Activation.accumulateRowSums(g, into: bias.gradients, rows: out.rows, columns: out.columns)
        case let .affine(weights, input, bias, out):
            if input.columns == 1 {
                outerProducts.append(target: weights.gradients, rows: weights.rows, columns: weights.columns,
                                     left: out.gradients, right: input.values)
            } else {
                MatrixProduct.accumulateTimesTransposed(out.gradients, input.values, into: weights.gradients,
                                                        m: weights.rows, n: input.columns, k: weights.columns)
            }
            MatrixProduct.accumulateTransposedTimes(weights.values, out.gradients, into: input.gradients,
                                                    m: weights.rows, k: weights.columns, n: input.columns)
            Activation.accumulateRowSums(out.gradients, into: bias.gradients, rows: out.rows, columns: out.columns)
        case let .dropout(a, mask, out):
            for index in 0..<out.count { a.gradients[index] += mask.values[index] * out.gradients[index] }
        case let .lstmCell(layer, input, hidden, cell, gates, newCell, cellTanh, newHidden, scratch):
            Graph.lstmCellBackward(layer, input: input, hidden: hidden, cell: cell, gates: gates, newCell: newCell,
                                   cellTanh: cellTanh, newHidden: newHidden, scratch: scratch, outerProducts: outerProducts)
        case let .gruCell(layer, input, hidden, gates, resetHidden, newHidden, scratch, resetScratch):
            Graph.gruCellBackward(layer, input: input, hidden: hidden, gates: gates, resetHidden: resetHidden,
                                  newHidden: newHidden, scratch: scratch, resetScratch: resetScratch,
                                  outerProducts: outerProducts)
        case let .rnnCell(layer, input, hidden, newHidden, scratch):
            Graph.rnnCellBackward(layer, input: input, hidden: hidden, newHidden: newHidden, scratch: scratch,
                                  outerProducts: outerProducts)
        }
    }
}
