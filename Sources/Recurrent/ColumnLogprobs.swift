#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Log-probabilities of one column of a logits matrix under the network's own
/// softmax at temperature 1: `ln p(i) = logit(i) − normaliser`.
struct ColumnLogprobs {
    let logits: Matrix
    let column: Int
    /// `largest + ln Σ exp(logit − largest)`: the sum in Float, as the
    /// evaluation's cross-entropy sums it, the logarithm in Double.
    let normaliser: Double

    init(_ logits: Matrix, column: Int) {
        self.logits = logits
        self.column = column
        var normaliser = 0.0
        withUnsafeMutablePointer(to: &normaliser) { Self.normalisers(logits, columns: column..<(column + 1), into: $0) }
        self.normaliser = normaliser
    }

    /// A column whose normaliser ``normalisers(_:into:)`` computed.
    init(_ logits: Matrix, column: Int, normaliser: Double) {
        self.logits = logits
        self.column = column
        self.normaliser = normaliser
    }

    /// Every column's normaliser into `normalisers`, eight columns at a time:
    /// the rows are read contiguously and the exponentials are Activation's
    /// eight-lane ones, not one libm call per logit, which was most of a
    /// batched sample's own work. A column's figure is the same whichever
    /// lane or batch it is in, so a sample's logprob does not depend on the
    /// samples drawn beside it.
    static func normalisers(_ logits: Matrix, into normalisers: inout [Double]) {
        let batch = logits.columns
        normalisers.removeAll(keepingCapacity: true)
        normalisers.append(contentsOf: repeatElement(0, count: batch))
        normalisers.withUnsafeMutableBufferPointer { out in
            for start in stride(from: 0, to: batch, by: 8) {
                Self.normalisers(logits, columns: start..<min(start + 8, batch), into: out.baseAddress! + start)
            }
        }
    }

    /// The normalisers of up to eight `columns`, written to `out[0..<columns.count]`.
    @inline(__always)
    private static func normalisers(_ logits: Matrix, columns: Range<Int>, into out: UnsafeMutablePointer<Double>) {
        let rows = logits.rows, batch = logits.columns, width = columns.count
        func lanes(_ row: Int) -> SIMD8<Float> {
            // Lanes past `width` repeat the first column (finite, and never written out).
            SIMD8(loading: logits.values + row * batch + columns.lowerBound, count: width)
        }
        if width == 1 {
            // One column (a single sample): lane 0's arithmetic below, the
            // exponentials eight rows at a time and the sum in row order.
            let x = logits.values + columns.lowerBound
            var largest = -Float.infinity
            for row in 0..<rows where x[row * batch] > largest { largest = x[row * batch] }
            var sum: Float = 0
            var row = 0
            while row < rows {
                let count = min(8, rows - row)
                var v = SIMD8<Float>(repeating: largest)
                for lane in 0..<count { v[lane] = x[(row + lane) * batch] }
                let e = Activation.exp(v - SIMD8(repeating: largest))
                for lane in 0..<count { sum += e[lane] }
                row += 8
            }
            out[0] = Double(largest) + log(Double(sum))
            return
        }
        var largest = SIMD8<Float>(repeating: -.infinity)
        for row in 0..<rows {
            let v = lanes(row)
            largest = largest.replacing(with: v, where: v .> largest)
        }
        var sum = SIMD8<Float>()
        for row in 0..<rows { sum += Activation.exp(lanes(row) - largest) }
        for lane in 0..<width { out[lane] = Double(largest[lane]) + log(Double(sum[lane])) }
    }

    /// The raw logit of `row`.
    @inline(__always)
    func logit(_ row: Int) -> Float { logits.values[column + row * logits.columns] }

    /// `ln p(row)`.
    @inline(__always)
    func logprob(_ row: Int) -> Double { Double(logit(row)) - normaliser }

    /// The `count` most likely rows, most likely first (lower index first on a tie).
    func top(_ count: Int) -> [Int] {
        let wanted = min(count, logits.rows)
        guard wanted > 0 else { return [] }
        var best: [Int] = []
        best.reserveCapacity(wanted + 1)
        for row in 0..<logits.rows {
            let value = logit(row)
            if best.count == wanted && value <= logit(best[wanted - 1]) { continue }
            var position = best.count
            while position > 0 && logit(best[position - 1]) < value { position -= 1 }
            best.insert(row, at: position)
            if best.count > wanted { best.removeLast() }
        }
        return best
    }

    /// ``CharacterLogprob``s of the `count` most likely rows (END as nil).
    func alternatives(_ count: Int, vocabulary: Vocabulary) -> [CharacterLogprob] {
        top(count).map { CharacterLogprob(character: Self.character($0, vocabulary), logprob: logprob($0)) }
    }

    /// The character of output row `row`: nil for END.
    static func character(_ row: Int, _ vocabulary: Vocabulary) -> Unicode.Scalar? {
        row == Vocabulary.boundary ? nil : vocabulary.letter(at: row)
    }
}
