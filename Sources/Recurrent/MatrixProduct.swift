import COpenBLAS

/// Matrix products on raw row-major buffers: OpenBLAS for shapes large enough
/// to gain from it, plain vectorisable loops for the small ones (a call into
/// BLAS costs more than a 20 x 5 product).
enum MatrixProduct {
    /// Below this many multiply-adds a product runs in Swift loops.
    static let blasThreshold = 24 * 24 * 24

    /// `C[m x n] (+)= A[m x k] · B[k x n]`.
    static func multiply(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
        m: Int, k: Int, n: Int, accumulate: Bool
    ) {
        if m * n * k >= blasThreshold {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                        1, a, Int32(k), b, Int32(n), accumulate ? 1 : 0, c, Int32(n))
            return
        }
        if n == 1 {
            for row in 0..<m {
                let dot = dotProduct(a + row * k, b, count: k)
                c[row] = accumulate ? c[row] + dot : dot
            }
            return
        }
        if !accumulate { c.update(repeating: 0, count: m * n) }
        for row in 0..<m {
            let cRow = c + row * n
            let aRow = a + row * k
            for inner in 0..<k {
                addScaled(aRow[inner], b + inner * n, to: cRow, count: n)
            }
        }
    }

    /// `C[m x k] += A[m x n] · B[k x n]ᵀ` (the weight gradient of a product).
    static func accumulateTimesTransposed(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int
    ) {
        if m * n * k >= blasThreshold {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(k), Int32(n),
                        1, a, Int32(n), b, Int32(n), 1, c, Int32(k))
            return
        }
        if n == 1 {
            for row in 0..<m where a[row] != 0 {
                addScaled(a[row], b, to: c + row * k, count: k)
            }
            return
        }
        for row in 0..<m {
            let aRow = a + row * n
            let cRow = c + row * k
            for column in 0..<k {
                cRow[column] += dotProduct(aRow, b + column * n, count: n)
            }
        }
    }

    /// `C[k x n] += A[m x k]ᵀ · B[m x n]` (the input gradient of a product).
    static func accumulateTransposedTimes(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
        m: Int, k: Int, n: Int
    ) {
        if m * n * k >= blasThreshold {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(k), Int32(n), Int32(m),
                        1, a, Int32(k), b, Int32(n), 1, c, Int32(n))
            return
        }
        if n == 1 {
            for row in 0..<m where b[row] != 0 {
                addScaled(b[row], a + row * k, to: c, count: k)
            }
            return
        }
        for row in 0..<m {
            let aRow = a + row * k
            let bRow = b + row * n
            for inner in 0..<k {
                addScaled(aRow[inner], bRow, to: c + inner * n, count: n)
            }
        }
    }

    /// `y += alpha * x` over `count` elements.
    @inline(__always)
    static func addScaled(_ alpha: Float, _ x: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        let scale = SIMD8<Float>(repeating: alpha)
        while index + 8 <= count {
            let xs = UnsafeRawPointer(x + index).loadUnaligned(as: SIMD8<Float>.self)
            let ys = UnsafeRawPointer(y + index).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(y + index).storeBytes(of: ys + scale * xs, as: SIMD8<Float>.self)
            index += 8
        }
        while index < count {
            y[index] += alpha * x[index]
            index += 1
        }
    }

    /// The dot product of two `count`-element buffers, with SIMD partial sums.
    @inline(__always)
    static func dotProduct(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        var index = 0
        var partial = SIMD8<Float>(repeating: 0)
        while index + 8 <= count {
            let xs = UnsafeRawPointer(x + index).loadUnaligned(as: SIMD8<Float>.self)
            let ys = UnsafeRawPointer(y + index).loadUnaligned(as: SIMD8<Float>.self)
            partial += xs * ys
            index += 8
        }
        var sum = partial.sum()
        while index < count {
            sum += x[index] * y[index]
            index += 1
        }
        return sum
    }
}

/// Controls the threads OpenBLAS uses for large products.
public enum BLASThreads {
    /// Sets the number of threads OpenBLAS uses for each product (process-wide).
    public static func set(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// The number of threads OpenBLAS currently uses.
    public static var current: Int { Int(openblas_get_num_threads()) }
}
