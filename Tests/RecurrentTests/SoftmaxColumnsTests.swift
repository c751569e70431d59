import Foundation
import Testing
@testable import Recurrent

@Suite struct SoftmaxLanesTests {
    /// A batch's probabilities, eight columns a block, equal each column's
    /// alone bit for bit (the lane arithmetic is the same), whatever its lane,
    /// and agree with a softmax worked out in Double to what Float allows
    /// (the scaled logit's rounding, up to 6e-8 relative, is multiplied by
    /// its size, here up to 30, in the exponential).
    @Test func blocksOfColumnsEqualEachColumnAlone() {
        var random = RandomSource(seed: 9)
        for temperature: Float in [1, 0.7, 1.6] {
            for batch in [1, 3, 8, 13, 16] {
                let rows = 63
                let values = (0..<(rows * batch)).map { _ in Float(random.nextUnitFloat() * 30 - 20) }
                let logits = Matrix(rows: rows, columns: batch, values: values)
                var block = [SIMD8<Float>](repeating: SIMD8(), count: rows)
                var alone = [Float](repeating: 0, count: rows)
                for start in stride(from: 0, to: batch, by: 8) {
                    let columns = start..<min(start + 8, batch)
                    block.withUnsafeMutableBufferPointer {
                        Softmax.lanes(logits, columns: columns, temperature: temperature, into: $0.baseAddress!)
                    }
                    for column in columns {
                        alone.withUnsafeMutableBufferPointer {
                            Softmax.probabilities(logits, column: column, temperature: temperature, into: $0.baseAddress!)
                        }
                        let lane = (0..<rows).map { block[$0][column - start] }
                        #expect(lane == alone, "temperature \(temperature), batch \(batch), column \(column)")
                        let scaled = (0..<rows).map { Double(values[$0 * batch + column]) / Double(temperature) }
                        let largest = scaled.max()!
                        let sum = scaled.reduce(0.0) { $0 + Foundation.exp($1 - largest) }
                        for row in 0..<rows {
                            let exact = Foundation.exp(scaled[row] - largest) / sum
                            #expect(abs(Double(alone[row]) - exact) < 4e-6 * max(exact, 1e-30) + 1e-12,
                                    "row \(row): \(alone[row]) vs \(exact)")
                        }
                    }
                }
            }
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
