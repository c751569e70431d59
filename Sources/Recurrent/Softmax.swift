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
    /// first, written to `probabilities` (`logits.rows` elements).
    public static func probabilities(_ logits: Matrix, column: Int = 0, temperature: Float = 1,
                                     into probabilities: UnsafeMutablePointer<Float>) {
        // The arithmetic of one lane of ``lanes(_:columns:temperature:into:)``,
        // element for element (the exponentials eight rows at a time, the sum
        // in row order), so a column gets the same figures either way.
        let rows = logits.rows, stride = logits.columns, x = logits.values + column
        var largest = -Float.infinity
        for row in 0..<rows {
            let v = x[row * stride] / temperature
            probabilities[row] = v
            if v > largest { largest = v }
        }
        var row = 0
        while row + 8 <= rows {
            Activation.exp(SIMD8(loading: probabilities + row) - SIMD8(repeating: largest)).store(to: probabilities + row)
            row += 8
        }
        if row < rows {
            var v = SIMD8<Float>(repeating: largest)
            for lane in 0..<(rows - row) { v[lane] = probabilities[row + lane] }
            let e = Activation.exp(v - SIMD8(repeating: largest))
            for lane in 0..<(rows - row) { probabilities[row + lane] = e[lane] }
        }
        var sum: Float = 0
        for row in 0..<rows { sum += probabilities[row] }
        let scale = 1 / sum
        for row in 0..<rows { probabilities[row] *= scale }
    }

    /// Probabilities of up to eight columns of `logits` at once, each divided
    /// by `temperature` first: `block[row][lane]` is column
    /// `columns.lowerBound + lane`'s probability of `row` (`logits.rows`
    /// elements). A sampled batch computes its columns eight at a time this
    /// way, with eight-lane exponentials instead of one libm call per logit,
    /// which was most of its own work. One column alone
    /// (``probabilities(_:column:temperature:into:)``) gets the same figures,
    /// element for element, so a sample does not depend on the samples beside it.
    /// Lanes past `columns.count` hold the first column's figures.
    public static func lanes(_ logits: Matrix, columns: Range<Int>, temperature: Float = 1,
                             into block: UnsafeMutablePointer<SIMD8<Float>>) {
        precondition(!columns.isEmpty && columns.count <= 8 && columns.upperBound <= logits.columns,
                     "one to eight of the logits' columns")
        let rows = logits.rows, batch = logits.columns, width = columns.count
        let first = logits.values + columns.lowerBound
        let divisor = SIMD8<Float>(repeating: temperature)
        var largest = SIMD8<Float>(repeating: -.infinity)
        for row in 0..<rows {
            let v = SIMD8<Float>(loading: first + row * batch, count: width) / divisor
            block[row] = v
            largest = largest.replacing(with: v, where: v .> largest)
        }
        var sum = SIMD8<Float>()
        for row in 0..<rows {
            let e = Activation.exp(block[row] - largest)
            block[row] = e
            sum += e
        }
        let scale = 1 / sum
        for row in 0..<rows { block[row] *= scale }
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
    /// (one lane of a ``lanes(_:columns:temperature:into:)`` block has stride 8).
    public static func sample(_ probabilities: UnsafePointer<Float>, count: Int, stride: Int,
                              random: inout RandomSource) -> Int {
        let r = random.nextUnitFloat()
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
