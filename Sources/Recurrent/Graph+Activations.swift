// Element-wise non-linearities. Each backward uses the output it kept
// (σ' = y(1 − y), tanh' = 1 − y²) rather than recomputing from the input.
extension Graph {
    /// Element-wise hyperbolic tangent.
    public func tanh(_ a: Matrix) -> Matrix {
        let out = makeMatrix(rows: a.rows, columns: a.columns)
        Activation.tanh(a.values, into: out.values, count: a.count)
        record(.tanh(a, out: out))
        return out
    }

    static func tanhBackward(_ a: Matrix, out: Matrix) {
        for index in 0..<out.count {
            let y = out.values[index]
            a.gradients[index] += (1 - y * y) * out.gradients[index]
        }
    }

    /// Element-wise logistic sigmoid, `1 / (1 + e^-x)`.
    public func sigmoid(_ a: Matrix) -> Matrix {
        let out = makeMatrix(rows: a.rows, columns: a.columns)
        Activation.sigmoid(a.values, into: out.values, count: a.count)
        record(.sigmoid(a, out: out))
        return out
    }

    static func sigmoidBackward(_ a: Matrix, out: Matrix) {
        for index in 0..<out.count {
            let y = out.values[index]
            a.gradients[index] += y * (1 - y) * out.gradients[index]
        }
    }

    /// Element-wise `max(0, x)`.
    public func relu(_ a: Matrix) -> Matrix {
        let out = makeMatrix(rows: a.rows, columns: a.columns)
        let x = a.values, z = out.values
        for index in 0..<out.count { z[index] = max(0, x[index]) }
        record(.relu(a, out: out))
        return out
    }

    static func reluBackward(_ a: Matrix, out: Matrix) {
        for index in 0..<out.count where a.values[index] > 0 {
            a.gradients[index] += out.gradients[index]
        }
    }
}
