// Operations that select rows of a matrix: the embedding lookups.
extension Graph {
    /// Row `row` of `matrix` as a column vector (`columns x 1`).
    public func rowPluck(_ matrix: Matrix, row: Int) -> Matrix {
        precondition(row >= 0 && row < matrix.rows, "rowPluck: row \(row) outside 0..<\(matrix.rows)")
        let out = makeMatrix(rows: matrix.columns, columns: 1)
        out.values.update(from: matrix.values + row * matrix.columns, count: matrix.columns)
        record(.rowPluck(matrix, row: row, out: out))
        return out
    }

    static func rowPluckBackward(_ matrix: Matrix, row: Int, out: Matrix) {
        let target = matrix.gradients + row * matrix.columns
        for index in 0..<matrix.columns { target[index] += out.gradients[index] }
    }

    /// The rows `rows` of `matrix` as the columns of a `matrix.columns x rows.count`
    /// matrix: an embedding lookup for a batch.
    public func gatherRows(_ matrix: Matrix, rows: [Int]) -> Matrix {
        rows.withUnsafeBufferPointer { gatherRows(matrix, rows: $0) }
    }

    /// ``gatherRows(_:rows:)-(_,[Int])`` over a buffer of row indices.
    public func gatherRows(_ matrix: Matrix, rows: UnsafeBufferPointer<Int>) -> Matrix {
        let width = matrix.columns, batch = rows.count
        let out = makeMatrix(rows: width, columns: batch)
        for (column, row) in rows.enumerated() {
            precondition(row >= 0 && row < matrix.rows, "gatherRows: row \(row) outside 0..<\(matrix.rows)")
            let source = matrix.values + row * width
            for feature in 0..<width { out.values[feature * batch + column] = source[feature] }
        }
        if recordsBackward {
            record(.gatherRows(matrix, indexStart: storeIndices(rows), out: out))
        }
        return out
    }

    static func gatherRowsBackward(_ matrix: Matrix, rows: ArraySlice<Int>, out: Matrix) {
        let width = matrix.columns, batch = out.columns
        for (column, row) in rows.enumerated() {
            let target = matrix.gradients + row * width
            for feature in 0..<width { target[feature] += out.gradients[feature * batch + column] }
        }
    }
}
