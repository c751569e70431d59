#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Softmax and cross-entropy, computed outside the graph as in the original:
/// the loss writes its gradient `p − onehot(target)` straight into the
/// logits' gradients.
public enum Softmax {
    /// Probabilities of column `column` of `logits`, divided by `temperature`
    /// first, written to `probabilities` (`logits.rows` elements). A column
    /// of a batch gets the same figures, element for element, when a batched
    /// step computes all its columns at once, so a sample does not depend on
    /// the samples drawn beside it.
    public static func probabilities(_ logits: Matrix, column: Int = 0, temperature: Float = 1,
                                     into probabilities: UnsafeMutablePointer<Float>) {
        precondition(column >= 0 && column < logits.columns, "column \(column) outside 0..<\(logits.columns)")
        SoftmaxColumns.compute(logits.values + column, rows: logits.rows, stride: logits.columns, columns: 1,
                               temperature: temperature, probabilities: probabilities, probabilityStride: 1,
                               normalisers: nil)
    }

    /// Writes the probabilities and returns the largest scaled logit and the
    /// sum of the exponentials, from which `−ln p` is computed exactly.
    @inline(__always)
    private static func normalized(_ logits: Matrix, column: Int, temperature: Float,
                                   into probabilities: UnsafeMutablePointer<Float>) -> (largest: Float, sum: Float) {
        let rows = logits.rows, stride = logits.columns
        let x = logits.values + column
        var largest = -Float.infinity
        for row in 0..<rows { largest = max(largest, x[row * stride] / temperature) }
        var sum: Float = 0
        for row in 0..<rows {
            let e = expf(x[row * stride] / temperature - largest)
            probabilities[row] = e
            sum += e
        }
        let scale = 1 / sum
        for row in 0..<rows { probabilities[row] *= scale }
        return (largest, sum)
    }

    /// Probabilities of a single-column `logits` as an array.
    public static func probabilities(_ logits: Matrix, temperature: Float = 1) -> [Float] {
        [Float](unsafeUninitializedCapacity: logits.rows) { buffer, count in
            probabilities(logits, column: 0, temperature: temperature, into: buffer.baseAddress!)
            count = logits.rows
        }
    }

    /// Cross-entropy of every column of `logits` against `targets` (one per
    /// column; a negative target masks the column out). Adds each column's
    /// `−ln p(target)` to `costs` when given, sets the logits' gradients to
    /// `p − onehot(target)` (zero for masked columns) when `writeGradients`, and
    /// returns the summed cost.
    @discardableResult
    public static func crossEntropy(_ logits: Matrix, targets: UnsafeBufferPointer<Int>,
                                    writeGradients: Bool, costs: UnsafeMutablePointer<Double>? = nil,
                                    scratch: UnsafeMutablePointer<Float>) -> Double {
        let rows = logits.rows, batch = logits.columns
        precondition(targets.count == batch, "one target per column")
        var total = 0.0
        for column in 0..<batch {
            let target = targets[column]
            let gradient = logits.gradients + column
            guard target >= 0 else {
                if writeGradients { for row in 0..<rows { gradient[row * batch] = 0 } }
                continue
            }
            let (largest, sum) = normalized(logits, column: column, temperature: 1, into: scratch)
            // −ln p(target) = largest − logit + ln Σ, not −ln of the rounded
            // probability: that underflows to 0 once the target's logit trails
            // by about 87 (with flush-to-zero), and a confident model's loss
            // became infinite, which the service took for divergence.
            let cost = Double(largest) - Double(logits.values[column + target * batch]) + log(Double(sum))
            total += cost
            costs?[column] += cost
            if writeGradients {
                for row in 0..<rows { gradient[row * batch] = scratch[row] }
                gradient[target * batch] -= 1
            }
        }
        return total
    }

    /// The index of the largest probability.
    public static func argmax(_ probabilities: UnsafePointer<Float>, count: Int) -> Int {
        var best = 0
        for index in 1..<max(count, 1) where probabilities[index] > probabilities[best] { best = index }
        return best
    }

    /// An index drawn with the given probabilities.
    public static func sample(_ probabilities: UnsafePointer<Float>, count: Int, random: inout RandomSource) -> Int {
        sample(probabilities, count: count, stride: 1, random: &random)
    }

    /// An index drawn with the probabilities `probabilities[index * stride]`
    /// (a column of a batch's probabilities has the batch's width as stride).
    public static func sample(_ probabilities: UnsafePointer<Float>, count: Int, stride: Int,
                              random: inout RandomSource) -> Int {
        sample(probabilities, count: count, stride: stride, draw: random.nextUnitFloat())
    }

    /// The first index whose running sum of probabilities exceeds `r`
    /// (drawn uniformly from [0, 1)).
    static func sample(_ probabilities: UnsafePointer<Float>, count: Int, stride: Int, draw r: Float) -> Int {
        var cumulative: Float = 0
        for index in 0..<count {
            cumulative += probabilities[index * stride]
            if r < cumulative { return index }
        }
        // Rounding left the sum a little under 1: take the last likely index.
        var index = count - 1
        while index > 0 && probabilities[index * stride] == 0 { index -= 1 }
        return index
    }
}
