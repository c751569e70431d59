import Foundation
import Testing
@testable import Recurrent

@Suite struct ColumnLogprobsTests {
    /// The batched normalisers (eight columns a vector) give each column
    /// exactly what it gets alone, whatever its lane, and `ln Σ e^logit` to
    /// within Float rounding.
    @Test func batchedNormalisersEqualEachColumnAlone() {
        var random = RandomSource(seed: 3)
        for batch in [1, 5, 8, 11, 16, 19] {
            let rows = 63
            let values = (0..<(rows * batch)).map { _ in Float(random.nextUnitFloat() * 30 - 20) }
            let logits = Matrix(rows: rows, columns: batch, values: values)
            var normalisers: [Double] = []
            ColumnLogprobs.normalisers(logits, into: &normalisers)
            #expect(normalisers.count == batch)
            for column in 0..<batch {
                #expect(normalisers[column] == ColumnLogprobs(logits, column: column).normaliser, "batch \(batch), column \(column)")
                let alone = Matrix(rows: rows, columns: 1, values: (0..<rows).map { values[$0 * batch + column] })
                #expect(normalisers[column] == ColumnLogprobs(alone, column: 0).normaliser)
                let exact = log((0..<rows).reduce(0.0) { $0 + Foundation.exp(Double(values[$1 * batch + column])) })
                #expect(abs(normalisers[column] - exact) < 1e-6 * max(1, abs(exact)), "\(normalisers[column]) vs \(exact)")
                let scores = ColumnLogprobs(logits, column: column, normaliser: normalisers[column])
                let total = (0..<rows).reduce(0.0) { $0 + Foundation.exp(scores.logprob($1)) }
                #expect(abs(total - 1) < 1e-5)
            }
        }
    }
}
