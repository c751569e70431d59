import Foundation
import Testing
@testable import Recurrent

/// The bfloat16 packed product and text training with it
/// (``ProductPrecision/bfloat16``), where the CPU has AVX-512-BF16.
@Suite struct BFloat16ProductTests {
    /// `value` rounded to bfloat16 (to nearest, ties to even), as a float.
    static func rounded(_ value: Float) -> Float {
        var bits = value.bitPattern
        bits &+= 0x7fff &+ ((bits >> 16) & 1)
        return Float(bitPattern: bits & 0xffff_0000)
    }

    @Test func roundingIsToNearestWithTiesToEven() {
        #expect(Self.rounded(1) == 1)
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even 1.
        #expect(Self.rounded(1 + 0x1p-8) == 1)
        #expect(Self.rounded(1 + 0x1p-7 + 0x1p-8) == 1 + 0x1p-6)
        #expect(Self.rounded(1 + 0x1p-8 + 0x1p-12) == 1 + 0x1p-7)
    }

    /// Without AVX-512-BF16 asking for bfloat16 runs in float.
    @Test func theEffectivePrecisionFollowsTheCPU() {
        #expect(ProductPrecision.float32.effective == .float32)
        #expect(ProductPrecision.bfloat16.effective == (ProductPrecision.bfloat16IsAvailable ? .bfloat16 : .float32))
        let packed = PackedWeights()
        if PackedWeights.isAvailable {
            packed.pack(Matrix(rows: 3, columns: 4), transposed: false, precision: .bfloat16)
            #expect(packed.precision == ProductPrecision.bfloat16.effective)
        }
    }

    /// The product equals, to float summation's rounding, the exact product of
    /// the operands rounded to bfloat16: shapes that end inside a panel, a
    /// pair of the inner dimension (odd), an inner slice (128 pairs), a
    /// column block and a chunk of 256 columns, on strided operands, both
    /// orientations, writing and adding.
    @Test(.enabled(if: ProductPrecision.bfloat16IsAvailable, "needs AVX-512-BF16"), arguments: [false, true])
    func matchesTheProductOfRoundedOperands(transposed: Bool) {
        var random = RandomSource(seed: 5)
        let weights = Matrix(rows: 37, columns: 301)
        weights.randomize(scale: 1, using: &random)
        let rows = transposed ? 301 : 37, inner = transposed ? 37 : 301
        let packed = PackedWeights()
        packed.pack(weights, transposed: transposed, precision: .bfloat16)
        #expect(packed.precision == .bfloat16)
        let w = weights.valueArray.map(Self.rounded)
        for width in Array(1...17) + [50, 300] {
            let bStride = width + 3, cStride = width + 2
            let b = Matrix(rows: inner, columns: bStride), start = Matrix(rows: rows, columns: cStride)
            b.randomize(scale: 1, using: &random)
            start.randomize(scale: 1, using: &random)
            let bValues = b.valueArray.map(Self.rounded), startValues = start.valueArray
            for accumulate in [false, true] {
                let actual = Matrix(rows: rows, columns: cStride, values: startValues)
                packed.multiply(b.values, stride: bStride, into: actual.values, stride: cStride, width: width,
                                accumulate: accumulate)
                var worst = 0.0
                for row in 0..<rows {
                    for column in 0..<cStride {
                        let index = row * cStride + column
                        guard column < width else {
                            #expect(actual.values[index] == startValues[index], "columns past the width are left alone")
                            continue
                        }
                        var sum = accumulate ? Double(startValues[index]) : 0, magnitude = abs(sum)
                        for k in 0..<inner {
                            let a = Double(transposed ? w[k * 301 + row] : w[row * 301 + k])
                            let term = a * Double(bValues[k * bStride + column])
                            sum += term
                            magnitude += abs(term)
                        }
                        worst = max(worst, abs(Double(actual.values[index]) - sum) / magnitude)
                    }
                }
                #expect(worst < 1e-6, "width \(width), accumulate \(accumulate): differs by \(worst) of the magnitude")
            }
        }
    }

    /// The weight-gradient product `C += A · Bᵀ` equals the exact product of
    /// the operands rounded to bfloat16, added to C: an inner dimension that
    /// is odd and spans three slices (256 pairs), rows that end inside a
    /// panel, every column count a block can have and uneven blocks, on
    /// strided operands.
    @Test(.enabled(if: ProductPrecision.bfloat16IsAvailable, "needs AVX-512-BF16"))
    func theGradientProductMatchesTheProductOfRoundedOperands() {
        var random = RandomSource(seed: 8)
        let m = 37, k = 1_103, lda = k + 5
        let a = Matrix(rows: m, columns: lda)
        a.randomize(scale: 1, using: &random)
        let aValues = a.valueArray.map(Self.rounded)
        let product = GradientProductBF16()
        for n in Array(1...17) + [50, 300] {
            let ldb = k + 3, ldc = n + 2
            let b = Matrix(rows: n, columns: ldb), c = Matrix(rows: m, columns: ldc)
            b.randomize(scale: 1, using: &random)
            c.randomize(scale: 1, using: &random)
            let bValues = b.valueArray.map(Self.rounded), start = c.valueArray
            product.accumulate(a.values, stride: lda, times: b.values, stride: ldb, into: c.values, stride: ldc, m: m, n: n, k: k)
            var worst = 0.0
            for row in 0..<m {
                for column in 0..<ldc {
                    let index = row * ldc + column
                    guard column < n else {
                        #expect(c.values[index] == start[index], "columns past n are left alone")
                        continue
                    }
                    var sum = Double(start[index]), magnitude = abs(sum)
                    for inner in 0..<k {
                        let term = Double(aValues[row * lda + inner]) * Double(bValues[column * ldb + inner])
                        sum += term
                        magnitude += abs(term)
                    }
                    worst = max(worst, abs(Double(c.values[index]) - sum) / magnitude)
                }
            }
            #expect(worst < 1e-6, "n \(n): differs by \(worst) of the magnitude")
        }
    }

    /// `‖a − b‖ / ‖b‖`.
    static func normDifference(_ a: [Float], _ b: [Float]) -> Double {
        let difference = zip(a, b).reduce(0.0) { $0 + pow(Double($1.0) - Double($1.1), 2) }
        return (difference / max(b.reduce(0.0) { $0 + Double($1) * Double($1) }, 1e-30)).squareRoot()
    }

    /// A window trained with bfloat16 products gives the float pass's cost,
    /// carried state and gradients to within bfloat16's rounding, for every
    /// kind of layer, in a network whose products are packed.
    @Test(.enabled(if: ProductPrecision.bfloat16IsAvailable, "needs AVX-512-BF16"), arguments: Generator.allCases)
    func aWindowInBFloat16IsCloseToFloat(generator: Generator) {
        var random = RandomSource(seed: 11)
        let symbols = 13
        let reference = RecurrentNetwork(generator: generator, symbolCount: symbols, letterSize: 8, hiddenSizes: [40, 24],
                                         random: &random)
        let network = RecurrentNetwork(generator: generator, symbolCount: symbols, letterSize: 8, hiddenSizes: [40, 24])
        network.copyWeights(from: reference)
        let floatPass = WindowPass(network: reference), bfloatPass = WindowPass(network: network)
        let floatState = WindowPassTests.randomState(reference, width: 19, random: &random)
        let bfloatState = WindowPassTests.copy(floatState)
        let grid = WindowPassTests.randomGrid(width: 19, steps: 7, symbols: symbols, random: &random)
        var first = RandomSource(seed: 3), second = first
        let floatCost = floatPass.train(grid, carrying: floatState, dropout: 0.2, random: &first)
        let bfloatCost = bfloatPass.train(grid, carrying: bfloatState, dropout: 0.2, random: &second, precision: .bfloat16)
        #expect(bfloatPass.productsInBFloat16 && !floatPass.productsInBFloat16)
        expectClose(bfloatCost, floatCost, relative: 1e-3, "cost")
        #expect(bfloatCost != floatCost, "the products did run in bfloat16")
        for (expected, actual) in zip(floatState, bfloatState) {
            #expect(WindowPassTests.relativeDifference(actual.hidden.valueArray, expected.hidden.valueArray) < 2e-2)
        }
        // Norm-wise, as a rounding can flip a single rectifier. LSTM and GRU
        // gradients differ by 0.02-0.4% of their norm; an RNN's rectifiers
        // pass the differences on unbounded, and its first layer's differ by
        // about 7% after seven steps.
        let tolerance = generator == .rnn ? 0.15 : 1e-2
        for (expected, actual) in zip(reference.parameters, network.parameters) {
            let difference = Self.normDifference(actual.matrix.gradientArray, expected.matrix.gradientArray)
            #expect(difference < tolerance, "\(expected.name): gradients differ by \(difference) of their norm")
        }
    }
}
