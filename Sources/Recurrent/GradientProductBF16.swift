import CKernels

/// Weight-gradient products (`C += A · Bᵀ` over a window's columns) with
/// bfloat16 operands and float sums, for text training in
/// ``ProductPrecision/bfloat16``; owns the kernel's scratch, reused from
/// window to window. Only where ``ProductPrecision/bfloat16IsAvailable``.
final class GradientProductBF16 {
    private let scratch = ScratchBuffer()

    /// `c[m x n] += a[m x k] · b[n x k]ᵀ`, row-major with the given row strides.
    func accumulate(_ a: UnsafePointer<Float>, stride lda: Int, times b: UnsafePointer<Float>, stride ldb: Int,
                    into c: UnsafeMutablePointer<Float>, stride ldc: Int, m: Int, n: Int, k: Int) {
        guard m > 0 && n > 0 && k > 0 else { return }
        precondition(ProductPrecision.bfloat16IsAvailable, "bfloat16 products need AVX-512-BF16")
        let words = scratch.reserve(bytes: recurrent_gradient_scratch_size_bf16(Int32(n)) * 4, as: UInt32.self)
        recurrent_multiply_transposed_bf16(a, Int32(lda), b, Int32(ldb), c, Int32(ldc), Int32(m), Int32(n), Int32(k), words)
    }
}
