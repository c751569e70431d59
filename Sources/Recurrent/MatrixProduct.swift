import CKernels
#if canImport(Accelerate)
import Accelerate
#else
import COpenBLAS
#endif

/// Matrix products on raw row-major buffers: OpenBLAS for matrix-matrix
/// shapes large enough to gain from it, the selected level's kernels
/// (``CPUKernels``) for matrix-vector products (one sequence at a time) and
/// small shapes, where a call into BLAS costs more than the work.
enum MatrixProduct {
    /// Below this many multiply-adds a product runs in Swift loops.
    static let blasThreshold = 24 * 24 * 24

    /// `C[m x n] (+)= A[m x k] · B[k x n]`.
    static func multiply(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
        m: Int, k: Int, n: Int, accumulate: Bool
    ) {
        if n == 1 {
            Kernels.selected.table.multiply_vector(a, b, c, m, k, accumulate ? 1 : 0)
        } else if m * n * k >= blasThreshold {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                        1, a, Int32(k), b, Int32(n), accumulate ? 1 : 0, c, Int32(n))
        } else {
            Kernels.selected.table.multiply_small(a, b, c, m, k, n, accumulate ? 1 : 0)
        }
    }

    /// `C = op(A) · op(B) + beta · C` through OpenBLAS on strided row-major
    /// matrices: `op(A)` is `m x k`, `op(B)` is `k x n`, and `lda`, `ldb`,
    /// `ldc` are the stored matrices' row strides. For products whose shapes
    /// are known to be large, or whose operands are blocks of wider matrices.
    static func gemm(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float) {
        guard m > 0 && n > 0 else { return }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `C[m x k] += A[m x n] · B[k x n]ᵀ` (the weight gradient of a product).
    static func accumulateTimesTransposed(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int
    ) {
        if n != 1 && m * n * k >= blasThreshold {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(k), Int32(n),
                        1, a, Int32(n), b, Int32(n), 1, c, Int32(k))
        } else {
            Kernels.selected.table.times_transposed_small(a, b, c, m, n, k)
        }
    }

    /// `C[k x n] += A[m x k]ᵀ · B[m x n]` (the input gradient of a product).
    static func accumulateTransposedTimes(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
        m: Int, k: Int, n: Int
    ) {
        if n == 1 {
            Kernels.selected.table.accumulate_transposed_vector(a, b, c, m, k)
        } else if m * n * k >= blasThreshold {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(k), Int32(n), Int32(m),
                        1, a, Int32(k), b, Int32(n), 1, c, Int32(n))
        } else {
            Kernels.selected.table.transposed_times_small(a, b, c, m, k, n)
        }
    }

    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func load(_ pointer: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func store(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
    }
}
