// Element-wise sums and products.
extension Graph {
    /// `a + b` (same shape).
    public func add(_ a: Matrix, _ b: Matrix) -> Matrix {
        precondition(a.rows == b.rows && a.columns == b.columns, "add: shapes differ")
        let out = makeMatrix(rows: a.rows, columns: a.columns)
        let x = a.values, y = b.values, z = out.values
        for index in 0..<out.count { z[index] = x[index] + y[index] }
        record(.add(a, b, out: out))
        return out
    }

    static func addBackward(_ a: Matrix, _ b: Matrix, out: Matrix) {
        let g = out.gradients, ga = a.gradients, gb = b.gradients
        for index in 0..<out.count { ga[index] += g[index] }
        for index in 0..<out.count { gb[index] += g[index] }
    }

    /// `a ⊙ b`, the element-wise product (same shape).
    public func eltmul(_ a: Matrix, _ b: Matrix) -> Matrix {
        precondition(a.rows == b.rows && a.columns == b.columns, "eltmul: shapes differ")
        let out = makeMatrix(rows: a.rows, columns: a.columns)
        let x = a.values, y = b.values, z = out.values
        for index in 0..<out.count { z[index] = x[index] * y[index] }
        record(.eltmul(a, b, out: out))
        return out
    }

    static func eltmulBackward(_ a: Matrix, _ b: Matrix, out: Matrix) {
        let g = out.gradients
        for index in 0..<out.count {
            a.gradients[index] += b.values[index] * g[index]
            b.gradients[index] += a.values[index] * g[index]
        }
    }

    /// `a + bias`, with the column vector `bias` added to every column of `a`.
    public func addBias(_ a: Matrix, _ bias: Matrix) -> Matrix {
        precondition(bias.columns == 1 && bias.rows == a.rows, "addBias: bias must be \(a.rows)x1")
        let out = makeMatrix(rows: a.rows, columns: a.columns)
        Activation.addBias(a.values, bias.values, into: out.values, rows: a.rows, columns: a.columns)
        record(.addBias(a, bias, out: out))
        return out
    }

    static func addBiasBackward(_ a: Matrix, _ bias: Matrix, out: Matrix) {
        let g = out.gradients
        for index in 0..<out.count { a.gradients[index] += g[index] }
        Activation.accumulateRowSums(g, into: bias.gradients, rows: out.rows, columns: out.columns)
    }
}
