import CKernels

/// A copy of a weight matrix packed for the products of one window's time
/// steps: the weights times a thin matrix (the batch's columns), repeated at
/// every step with the same weights.
///
/// OpenBLAS repacks its large operand on each call, which for these shapes
/// costs about as much as the arithmetic; packing once per window and running
/// an AVX-512 or AVX2 kernel over the packed panels makes the step products
/// about twice as fast. At the portable level (``isAvailable`` false) callers
/// use BLAS instead. Packed in ``ProductPrecision/bfloat16``, the weights and
/// the thin matrix are rounded to bfloat16 and the products summed in float.
final class PackedWeights {
    /// Whether the selected kernel level (``CPUKernels``) has the packed product.
    static var isAvailable: Bool { Kernels.selected.hasPackedProduct }

    /// The level whose packed product ``multiply(_:stride:into:stride:width:accumulate:)`` runs.
    private let kernels: Kernels

    /// Rows of the packed matrix (the product's output rows).
    private(set) var rows = 0
    /// Columns of the packed matrix (the product's inner dimension).
    private(set) var columns = 0
    /// The format of the latest packing.
    private(set) var precision = ProductPrecision.float32
    private let storage = ScratchBuffer()
    /// Where the kernel gathers the thin matrix's columns, in blocks.
    private let scratch = ScratchBuffer()

    /// Packed weights multiplied by `kernels`, which must have the packed product.
    init(kernels: Kernels = .selected) {
        self.kernels = kernels
    }

    /// Packs `matrix` (`transposed`: its transpose) for ``multiply(_:stride:into:stride:width:accumulate:)``.
    func pack(_ matrix: Matrix, transposed: Bool, precision: ProductPrecision = .float32) {
        pack(matrix.values, rows: matrix.rows, columns: matrix.columns, stride: matrix.columns, transposed: transposed,
             precision: precision)
    }

    /// Packs the `rows x columns` row-major matrix at `values` (row stride
    /// `stride`), or with `transposed` its `columns x rows` transpose, in
    /// `precision` where this machine runs it (else in float).
    func pack(_ values: UnsafePointer<Float>, rows sourceRows: Int, columns sourceColumns: Int, stride: Int, transposed: Bool,
              precision: ProductPrecision = .float32) {
        rows = transposed ? sourceColumns : sourceRows
        columns = transposed ? sourceRows : sourceColumns
        self.precision = precision.effective
        let m = Int32(rows), k = Int32(columns), lda = Int32(stride)
        switch self.precision {
        case .float32:
            let packed = storage.reserve(bytes: recurrent_packed_size(m, k) * 4, as: Float.self)
            if transposed {
                recurrent_pack_transposed(values, m, k, lda, packed)
            } else {
                recurrent_pack(values, m, k, lda, packed)
            }
        case .bfloat16:
            let packed = storage.reserve(bytes: recurrent_packed_size_bf16(m, k) * 2, as: UInt16.self)
            if transposed {
                recurrent_pack_transposed_bf16(values, m, k, lda, packed)
            } else {
                recurrent_pack_bf16(values, m, k, lda, packed)
            }
        }
    }

    /// `c = P · b` (or `c += P · b` when `accumulate`) for the packed matrix
    /// `P` and a `columns x width` matrix `b`; `b` and `c` are row-major with
    /// the given row strides.
    func multiply(_ b: UnsafePointer<Float>, stride bStride: Int, into c: UnsafeMutablePointer<Float>, stride cStride: Int,
                  width: Int, accumulate: Bool) {
        guard let packed = storage.current else { preconditionFailure("nothing packed") }
        let m = Int32(rows), k = Int32(columns), n = Int32(width)
        switch precision {
        case .float32:
            guard let product = kernels.table.packed_multiply else { preconditionFailure("packed product unavailable") }
            let block = Int(RECURRENT_SCRATCH_COLUMNS)
            let floats = columns * ((width + block - 1) / block) * block
            product(packed.assumingMemoryBound(to: Float.self), m, k, b, Int32(bStride), c, Int32(cStride), n,
                    accumulate ? 1 : 0, scratch.reserve(bytes: floats * 4, as: Float.self))
        case .bfloat16:
            let words = scratch.reserve(bytes: recurrent_scratch_size_bf16(k, n) * 4, as: UInt32.self)
            recurrent_packed_multiply_bf16(packed.assumingMemoryBound(to: UInt16.self), m, k, b, Int32(bStride), c,
                                           Int32(cStride), n, accumulate ? 1 : 0, words)
        }
    }

    /// Bytes a packed `rows x columns` matrix takes in float.
    static func bytes(rows: Int, columns: Int) -> Int {
        recurrent_packed_size(Int32(rows), Int32(columns)) * MemoryLayout<Float>.size
    }
}
