/// The portable level's small and matrix-vector products (``CPUKernels``):
/// SIMD8 loops compiled for the build's baseline, behind the C function
/// types of the kernel table.
extension MatrixProduct {
    /// `C[m x n] (+)= A[m x k] · B[k x n]` for shapes below ``blasThreshold``.
    static func portableMultiplySmall(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
        m: Int, k: Int, n: Int, accumulate: Bool
    ) {
        if !accumulate { c.update(repeating: 0, count: m * n) }
        for row in 0..<m {
            let cRow = c + row * n
            let aRow = a + row * k
            for inner in 0..<k {
                addScaled(aRow[inner], b + inner * n, to: cRow, count: n)
            }
        }
    }

    /// `C[m x k] += A[m x n] · B[k x n]ᵀ` for small shapes and `n` = 1 (a
    /// rank-1 update, skipping the rows whose factor is zero).
    static func portableTimesTransposedSmall(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int
    ) {
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

    /// `C[k x n] += A[m x k]ᵀ · B[m x n]` for small shapes.
    static func portableTransposedTimesSmall(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
        m: Int, k: Int, n: Int
    ) {
        for row in 0..<m {
            let aRow = a + row * k
            let bRow = b + row * n
            for inner in 0..<k {
                addScaled(aRow[inner], bRow, to: c + inner * n, count: n)
            }
        }
    }

    /// `c[m] (+)= A[m x k] · b[k]`, four rows at a time so each load of `b`
    /// feeds four independent multiply-add chains.
    static func portableMultiplyVector(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                       into c: UnsafeMutablePointer<Float>, m: Int, k: Int, accumulate: Bool) {
        var row = 0
        while row + 4 <= m {
            let r0 = a + row * k, r1 = r0 + k, r2 = r1 + k, r3 = r2 + k
            var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
            var index = 0
            while index + 8 <= k {
                let x = load(b + index)
                s0 = s0.plusProduct(load(r0 + index), x)
                s1 = s1.plusProduct(load(r1 + index), x)
                s2 = s2.plusProduct(load(r2 + index), x)
                s3 = s3.plusProduct(load(r3 + index), x)
                index += 8
            }
            var d0 = s0.sum(), d1 = s1.sum(), d2 = s2.sum(), d3 = s3.sum()
            while index < k {
                let x = b[index]
                d0 += r0[index] * x; d1 += r1[index] * x; d2 += r2[index] * x; d3 += r3[index] * x
                index += 1
            }
            if accumulate {
                c[row] += d0; c[row + 1] += d1; c[row + 2] += d2; c[row + 3] += d3
            } else {
                c[row] = d0; c[row + 1] = d1; c[row + 2] = d2; c[row + 3] = d3
            }
            row += 4
        }
        while row < m {
            let dot = dotProduct(a + row * k, b, count: k)
            c[row] = accumulate ? c[row] + dot : dot
            row += 1
        }
    }

    /// `c[k] += A[m x k]ᵀ · b[m]`, four rows of `A` per pass over `c`.
    static func portableAccumulateTransposedVector(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                                   into c: UnsafeMutablePointer<Float>, m: Int, k: Int) {
        var row = 0
        while row + 4 <= m {
            let r0 = a + row * k, r1 = r0 + k, r2 = r1 + k, r3 = r2 + k
            let b0 = b[row], b1 = b[row + 1], b2 = b[row + 2], b3 = b[row + 3]
            let v0 = SIMD8<Float>(repeating: b0), v1 = SIMD8<Float>(repeating: b1)
            let v2 = SIMD8<Float>(repeating: b2), v3 = SIMD8<Float>(repeating: b3)
            var index = 0
            while index + 8 <= k {
                var sum = load(c + index)
                sum = sum.plusProduct(load(r0 + index), v0)
                sum = sum.plusProduct(load(r1 + index), v1)
                sum = sum.plusProduct(load(r2 + index), v2)
                sum = sum.plusProduct(load(r3 + index), v3)
                store(sum, c + index)
                index += 8
            }
            while index < k {
                c[index] += r0[index] * b0 + r1[index] * b1 + r2[index] * b2 + r3[index] * b3
                index += 1
            }
            row += 4
        }
        while row < m {
            addScaled(b[row], a + row * k, to: c, count: k)
            row += 1
        }
    }

    /// `y += alpha * x` over `count` elements.
    @inline(__always)
    static func addScaled(_ alpha: Float, _ x: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        let scale = SIMD8<Float>(repeating: alpha)
        while index + 8 <= count {
            store(load(y + index).plusProduct(load(x + index), scale), y + index)
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
        var p0 = SIMD8<Float>(), p1 = SIMD8<Float>()
        while index + 16 <= count {
            p0 = p0.plusProduct(load(x + index), load(y + index))
            p1 = p1.plusProduct(load(x + index + 8), load(y + index + 8))
            index += 16
        }
        if index + 8 <= count {
            p0 = p0.plusProduct(load(x + index), load(y + index))
            index += 8
        }
        var sum = (p0 + p1).sum()
        while index < count {
            sum += x[index] * y[index]
            index += 1
        }
        return sum
    }
}
