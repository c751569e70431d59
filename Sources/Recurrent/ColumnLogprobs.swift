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
        SoftmaxColumns.compute(logits.values + column, rows: logits.rows, stride: logits.columns, columns: 1,
                               temperature: 1, probabilities: nil, probabilityStride: 1, normalisers: &normaliser)
        self.normaliser = normaliser
    }

    /// A column whose normaliser ``normalisers(_:into:)`` computed.
    init(_ logits: Matrix, column: Int, normaliser: Double) {
        self.logits = logits
        self.column = column
        self.normaliser = normaliser
    }

    /// Every column's normaliser into `normalisers`, all columns at once
    /// (``SoftmaxColumns``): a column's figure is the same whichever batch
    /// it is in, so a sample's logprob does not depend on the samples beside it.
    static func normalisers(_ logits: Matrix, into normalisers: inout [Double]) {
        normalisers.removeAll(keepingCapacity: true)
        normalisers.append(contentsOf: repeatElement(0, count: logits.columns))
        normalisers.withUnsafeMutableBufferPointer { out in
            SoftmaxColumns.compute(logits, temperature: 1, probabilities: nil, normalisers: out.baseAddress!)
        }
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
