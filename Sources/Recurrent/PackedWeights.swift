import CKernels

/// A copy of a weight matrix packed for the products of one window's time
/// steps: the weights times a thin matrix (the batch's columns), repeated at
/// every step with the same weights.
///
/// OpenBLAS repacks its large operand on each call, which for these shapes
/// costs about as much as the arithmetic; packing once per window and running
/// an AVX-512 or AVX2 kernel over the packed panels makes the step products
/// about twice as fast. At the portable level (``isAvailable`` false) callers
/// use BLAS instead.
final class PackedWeights {
    /// Whether the selected kernel level (``CPUKernels``) has the packed product.
    static var isAvailable: Bool { Kernels.selected.hasPackedProduct }

    /// The level whose packed product ``multiply(_:stride:into:stride:width:accumulate:)`` runs.
    private let kernels: Kernels

    /// Rows of the packed matrix (the product's output rows).
    private(set) var rows = 0
    /// Columns of the packed matrix (the product's inner dimension).
    private(set) var columns = 0
    private var storage: UnsafeMutablePointer<Float>?
    private var capacity = 0
    /// Where the kernel gathers the thin matrix's columns, in blocks.
    private var scratch: UnsafeMutablePointer<Float>?
    private var scratchCapacity = 0

    /// Packed weights multiplied by `kernels`, which must have the packed product.
    init(kernels: Kernels = .selected) {
        self.kernels = kernels
    }

    deinit {
        storage?.deallocate()
        scratch?.deallocate()
    }

    /// Packs `matrix` (`transposed`: its transpose) for ``multiply(_:stride:into:stride:width:accumulate:)``.
    func pack(_ matrix: Matrix, transposed: Bool) {
        pack(matrix.values, rows: matrix.rows, columns: matrix.columns, stride: matrix.columns, transposed: transposed)
    }

    /// Packs the `rows x columns` row-major matrix at `values` (row stride
    /// `stride`), or with `transposed` its `columns x rows` transpose.
    func pack(_ values: UnsafePointer<Float>, rows sourceRows: Int, columns sourceColumns: Int, stride: Int, transposed: Bool) {
        rows = transposed ? sourceColumns : sourceRows
        columns = transposed ? sourceRows : sourceColumns
        let needed = recurrent_packed_size(Int32(rows), Int32(columns))
        if needed > capacity {
            storage?.deallocate()
            storage = .allocate(capacity: needed)
            capacity = needed
        }
        if transposed {
            recurrent_pack_transposed(values, Int32(rows), Int32(columns), Int32(stride), storage!)
        } else {
            recurrent_pack(values, Int32(rows), Int32(columns), Int32(stride), storage!)
        }
    }

    /// `c = P · b` (or `c += P · b` when `accumulate`) for the packed matrix
    /// `P` and a `columns x width` matrix `b`; `b` and `c` are row-major with
    /// the given row strides.
    func multiply(_ b: UnsafePointer<Float>, stride bStride: Int, into c: UnsafeMutablePointer<Float>, stride cStride: Int,
                  width: Int, accumulate: Bool) {
        guard let product = kernels.table.packed_multiply, let storage else {
            preconditionFailure("packed product unavailable or nothing packed")
        }
        let block = Int(RECURRENT_SCRATCH_COLUMNS)
        let needed = columns * ((width + block - 1) / block) * block
        if needed > scratchCapacity {
            scratch?.deallocate()
            scratch = .allocate(capacity: needed)
            scratchCapacity = needed
        }
        product(storage, Int32(rows), Int32(columns), b, Int32(bStride), c, Int32(cStride), Int32(width),
                accumulate ? 1 : 0, scratch!)
    }

    /// Bytes a packed `rows x columns` matrix takes.
    static func bytes(rows: Int, columns: Int) -> Int {
        recurrent_packed_size(Int32(rows), Int32(columns)) * MemoryLayout<Float>.size
    }
}
