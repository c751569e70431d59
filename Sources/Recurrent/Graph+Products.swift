// Matrix products: `mul` and the dense layer `affine`. A single-column
// product's weight gradient is an outer product, deferred to the
// ``OuterProductQueue`` so that consecutive ones into the same weights merge.
extension Graph {
    /// `a · b`.
    public func mul(_ a: Matrix, _ b: Matrix) -> Matrix {
        precondition(a.columns == b.rows, "mul: \(a.rows)x\(a.columns) times \(b.rows)x\(b.columns)")
        let out = makeMatrix(rows: a.rows, columns: b.columns)
        MatrixProduct.multiply(a.values, b.values, into: out.values, m: a.rows, k: a.columns, n: b.columns, accumulate: false)
        record(.mul(a, b, out: out))
        return out
    }

    static func mulBackward(_ a: Matrix, _ b: Matrix, out: Matrix, outerProducts: OuterProductQueue) {
        if b.columns == 1 {
            outerProducts.append(target: a.gradients, rows: a.rows, columns: a.columns, left: out.gradients, right: b.values)
        } else {
            MatrixProduct.accumulateTimesTransposed(out.gradients, b.values, into: a.gradients,
                                                    m: a.rows, n: b.columns, k: a.columns)
        }
        MatrixProduct.accumulateTransposedTimes(a.values, out.gradients, into: b.gradients,
                                                m: a.rows, k: a.columns, n: b.columns)
    }

    /// `weights · input + bias` (bias broadcast over the columns): a dense layer.
    public func affine(_ weights: Matrix, _ input: Matrix, _ bias: Matrix) -> Matrix {
        precondition(weights.columns == input.rows, "affine: \(weights.rows)x\(weights.columns) times \(input.rows)x\(input.columns)")
        precondition(bias.columns == 1 && bias.rows == weights.rows, "affine: bias must be \(weights.rows)x1")
        let out = makeMatrix(rows: weights.rows, columns: input.columns)
        Activation.broadcast(bias.values, into: out.values, rows: out.rows, columns: out.columns)
        multiplyWeights(weights.values, input.values, into: out.values,
                        m: weights.rows, k: weights.columns, n: input.columns, accumulate: true)
        record(.affine(weights, input, bias, out: out))
        return out
    }

    static func affineBackward(_ weights: Matrix, _ input: Matrix, _ bias: Matrix, out: Matrix,
                               outerProducts: OuterProductQueue) {
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
    }
}
