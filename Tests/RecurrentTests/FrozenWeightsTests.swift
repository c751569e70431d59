import Testing
@testable import Recurrent

/// The packed products of batched inference (``FrozenWeights``).
struct FrozenWeightsTests {
    static func filled(_ count: Int, seed: UInt64) -> [Float] {
        var random = RandomSource(seed: seed)
        return (0..<count).map { _ in 2 * random.nextUnitFloat() - 1 }
    }

    /// Large weights are packed once and give BLAS's product, to rounding;
    /// small weights and single columns are left to ``MatrixProduct``.
    @Test func productsAgreeWithBLASAndPackOnlyLargeWeights() {
        let frozen = FrozenWeights()
        for (m, k) in [(1024, 256), (2048, 64), (40, 30)] {
            let a = Self.filled(m * k, seed: 1)
            for n in [1, 2, 16, 17, 33] {
                let b = Self.filled(k * n, seed: UInt64(n)), start = Self.filled(m * n, seed: 99)
                for accumulate in [false, true] {
                    var expected = start, actual = start
                    MatrixProduct.gemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &expected, ldc: n,
                                       beta: accumulate ? 1 : 0)
                    // Twice: the second call reuses the packed copy.
                    for _ in 0..<2 {
                        actual = start
                        frozen.multiply(a, b, into: &actual, m: m, k: k, n: n, accumulate: accumulate)
                        let worst = zip(actual, expected).map { abs($0 - $1) / max(abs($1), 1) }.max()!
                        #expect(worst < 1e-5, "\(m)x\(k) times \(k)x\(n), accumulate \(accumulate): \(worst)")
                    }
                }
            }
        }
        let packed = PackedWeights.isAvailable
        #expect(frozen.packedBytes == (packed ? PackedWeights.bytes(rows: 1024, columns: 256)
                                                + PackedWeights.bytes(rows: 2048, columns: 64) : 0))
    }
}
