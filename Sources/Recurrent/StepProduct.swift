/// One of a layer's per-step recurrent products over a window: a block of
/// consecutive rows of its recurrent weights times a step's thin matrix
/// (`W · h`), or that block's transpose times one (`Wᵀ · d`, backward).
///
/// With packed weights, ``prepare()`` packs the block once per window (the
/// weights do not change within one) and each step runs the packed kernel;
/// otherwise each step calls BLAS.
final class StepProduct {
    /// The layer's whole recurrent weight matrix (`blocks x H` rows, `H` columns).
    let weights: Matrix
    let firstRow: Int
    let rowCount: Int
    let transposed: Bool
    private let packed: PackedWeights?

    init(weights: Matrix, rows: Range<Int>, transposed: Bool, packs: Bool) {
        self.weights = weights
        firstRow = rows.lowerBound
        rowCount = rows.count
        self.transposed = transposed
        packed = packs ? PackedWeights() : nil
    }

    /// Rows of the product's result.
    var outputRows: Int { transposed ? weights.columns : rowCount }

    private var block: UnsafeMutablePointer<Float> { weights.values + firstRow * weights.columns }

    /// Packs the current weights in `precision` where the machine runs it
    /// (a no-op without packing).
    func prepare(precision: ProductPrecision = .float32) {
        packed?.pack(block, rows: rowCount, columns: weights.columns, stride: weights.columns, transposed: transposed,
                     precision: precision)
    }

    /// `c = P · b`, or `c += P · b` with `accumulate`, where `P` is the block
    /// (or its transpose) and `b` has `width` columns; row strides as given.
    func apply(_ b: UnsafePointer<Float>, stride bStride: Int, into c: UnsafeMutablePointer<Float>, stride cStride: Int,
               width: Int, accumulate: Bool) {
        if let packed {
            packed.multiply(b, stride: bStride, into: c, stride: cStride, width: width, accumulate: accumulate)
        } else if transposed {
            MatrixProduct.gemm(transposeA: true, m: weights.columns, n: width, k: rowCount, a: block, lda: weights.columns,
                               b: b, ldb: bStride, c: c, ldc: cStride, beta: accumulate ? 1 : 0)
        } else {
            MatrixProduct.gemm(m: rowCount, n: width, k: weights.columns, a: block, lda: weights.columns,
                               b: b, ldb: bStride, c: c, ldc: cStride, beta: accumulate ? 1 : 0)
        }
    }
}
