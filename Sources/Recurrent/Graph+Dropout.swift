extension Graph {
    /// Inverted dropout: each element is zeroed with probability `rate` and the
    /// survivors are scaled by `1 / (1 - rate)`, so evaluation needs no change.
    public func dropout<G: RandomNumberGenerator>(_ a: Matrix, rate: Float, using generator: inout G) -> Matrix {
        precondition(rate >= 0 && rate < 1, "dropout: rate must be in [0, 1)")
        let out = makeMatrix(rows: a.rows, columns: a.columns)
        let mask = makeMatrix(rows: a.rows, columns: a.columns)
        DropoutMask.draw(into: mask.values, rows: a.rows, columns: a.columns, stride: a.columns, rate: rate, using: &generator)
        for index in 0..<a.count { out.values[index] = a.values[index] * mask.values[index] }
        record(.dropout(a, mask: mask, out: out))
        return out
    }

    static func dropoutBackward(_ a: Matrix, mask: Matrix, out: Matrix) {
        for index in 0..<out.count { a.gradients[index] += mask.values[index] * out.gradients[index] }
    }
}
