import Foundation
import Testing
@testable import Recurrent

@Suite struct SoftmaxColumnsTests {
    /// At every kernel level, a batch's probabilities and normalisers (all
    /// columns in one call) equal each column's computed alone bit for bit,
    /// whatever its place in the batch (lanes, tails), and agree with a
    /// softmax worked out in Double to what Float allows (the scaled logit's
    /// rounding, up to 6e-8 relative, is multiplied by its size, here up to
    /// 30, in the exponential).
    @Test(arguments: CPUKernels.available)
    func aBatchOfColumnsEqualsEachColumnAlone(level: CPUKernels.Level) {
        let kernels = Kernels(level: level)
        var random = RandomSource(seed: 9)
        for temperature: Float in [1, 0.7, 1.6] {
            for batch in [1, 3, 8, 13, 16, 19, 35] {
                let rows = 63
                let values = (0..<(rows * batch)).map { _ in Float(random.nextUnitFloat() * 30 - 20) }
                var block = [Float](repeating: -1, count: rows * batch)
                var normalisers = [Double](repeating: 0, count: batch)
                values.withUnsafeBufferPointer { logits in
                    kernels.table.softmax_columns(logits.baseAddress!, rows, batch, batch, temperature,
                                                  &block, batch, &normalisers)
                }
                for column in 0..<batch {
                    var alone = [Float](repeating: -1, count: rows)
                    var normaliser = 0.0
                    values.withUnsafeBufferPointer { logits in
                        kernels.table.softmax_columns(logits.baseAddress! + column, rows, batch, 1, temperature,
                                                      &alone, 1, &normaliser)
                    }
                    let lane = (0..<rows).map { block[$0 * batch + column] }
                    #expect(lane == alone, "\(level), temperature \(temperature), batch \(batch), column \(column)")
                    #expect(normalisers[column] == normaliser, "\(level), batch \(batch), column \(column)")
                    let scaled = (0..<rows).map { Double(values[$0 * batch + column]) / Double(temperature) }
                    let largest = scaled.max()!
                    let sum = scaled.reduce(0.0) { $0 + Foundation.exp($1 - largest) }
                    for row in 0..<rows {
                        let exact = Foundation.exp(scaled[row] - largest) / sum
                        #expect(abs(Double(alone[row]) - exact) < 4e-6 * max(exact, 1e-30) + 1e-12,
                                "\(level), row \(row): \(alone[row]) vs \(exact)")
                    }
                    let exactNormaliser = log((0..<rows).reduce(0.0) { $0 + Foundation.exp(Double(values[$1 * batch + column])) })
                    #expect(abs(normaliser - exactNormaliser) < 1e-6 * max(1, abs(exactNormaliser)))
                }
            }
        }
    }

    /// Either output can be left out; the other's figures do not change.
    @Test(arguments: CPUKernels.available)
    func eitherOutputAlone(level: CPUKernels.Level) {
        let kernels = Kernels(level: level)
        var random = RandomSource(seed: 4)
        let rows = 40, batch = 11
        let values = (0..<(rows * batch)).map { _ in Float(random.nextUnitFloat() * 10 - 5) }
        var both = [Float](repeating: 0, count: rows * batch), only = both
        var normalisers = [Double](repeating: 0, count: batch), alone = normalisers
        values.withUnsafeBufferPointer { logits in
            let x = logits.baseAddress!
            kernels.table.softmax_columns(x, rows, batch, batch, 0.8, &both, batch, &normalisers)
            kernels.table.softmax_columns(x, rows, batch, batch, 0.8, &only, batch, nil)
            kernels.table.softmax_columns(x, rows, batch, batch, 0.8, nil, batch, &alone)
        }
        #expect(both == only)
        #expect(normalisers == alone)
    }

    /// At every level, drawing all columns at once gives each column the row
    /// a single draw gives it: first rows, last rows, draws past a sum that
    /// rounding left short of 1 (the last row of nonzero probability), and
    /// every vector tail.
    @Test(arguments: CPUKernels.available)
    func drawingEveryColumnAtOnceEqualsOneByOne(level: CPUKernels.Level) {
        let kernels = Kernels(level: level)
        var random = RandomSource(seed: 12)
        let rows = 30
        for batch in [1, 2, 7, 16, 19, 40] {
            // Peaked columns, and trailing rows of probability zero.
            var p = [Float](repeating: 0, count: rows * batch)
            for column in 0..<batch {
                let weights = (0..<rows).map { row in row >= rows - 3 ? 0 : Float(pow(random.nextUnitFloat(), 4)) }
                let total = weights.reduce(0, +)
                for row in 0..<rows { p[row * batch + column] = weights[row] / total }
            }
            var draws = (0..<batch).map { _ in random.nextUnitFloat() }
            draws[0] = 0
            if batch > 1 { draws[batch - 1] = 1 }  // past any running sum: the last likely row
            var chosen = [Int](repeating: -1, count: batch)
            kernels.table.sample_columns(p, rows, batch, batch, draws, &chosen)
            for column in 0..<batch {
                let alone = p.withUnsafeBufferPointer {
                    Softmax.sample($0.baseAddress! + column, count: rows, stride: batch, draw: draws[column])
                }
                #expect(chosen[column] == alone, "\(level), batch \(batch), column \(column), draw \(draws[column])")
            }
            if batch > 1 { #expect(chosen[batch - 1] == rows - 4) }
        }
    }

    /// A strided draw is the contiguous draw of the same figures.
    @Test func stridedDrawEqualsContiguousDraw() {
        let probabilities: [Float] = [0.1, 0.2, 0.05, 0.3, 0.35]
        var strided = [Float](repeating: -1, count: probabilities.count * 8)
        for (index, p) in probabilities.enumerated() { strided[index * 8 + 3] = p }
        for seed in UInt64(1)...200 {
            var a = RandomSource(seed: seed), b = RandomSource(seed: seed)
            let contiguous = Softmax.sample(probabilities, count: probabilities.count, random: &a)
            let lane = strided.withUnsafeBufferPointer {
                Softmax.sample($0.baseAddress! + 3, count: probabilities.count, stride: 8, random: &b)
            }
            #expect(contiguous == lane)
        }
    }
}
