/// One recorded backward step: an operation's inputs and output, dispatched
/// to the backward that sits beside its forward in the `Graph+…` files.
enum Operation {
    case rowPluck(Matrix, row: Int, out: Matrix)
    case gatherRows(Matrix, indexStart: Int, out: Matrix)
    case mul(Matrix, Matrix, out: Matrix)
    case add(Matrix, Matrix, out: Matrix)
    case eltmul(Matrix, Matrix, out: Matrix)
    case tanh(Matrix, out: Matrix)
    case sigmoid(Matrix, out: Matrix)
    case relu(Matrix, out: Matrix)
    case addBias(Matrix, Matrix, out: Matrix)
    case affine(Matrix, Matrix, Matrix, out: Matrix)
    case dropout(Matrix, mask: Matrix, out: Matrix)
    case lstmCell(LSTMLayer, input: Matrix, hidden: Matrix, cell: Matrix, gates: Matrix,
                  newCell: Matrix, cellTanh: Matrix, newHidden: Matrix, scratch: Matrix)
    case gruCell(GRULayer, input: Matrix, hidden: Matrix, gates: Matrix, resetHidden: Matrix,
                 newHidden: Matrix, scratch: Matrix, resetScratch: Matrix)
    case rnnCell(RNNLayer, input: Matrix, hidden: Matrix, newHidden: Matrix, scratch: Matrix)

    /// Accumulates the output's gradient into the inputs' gradients.
    func backward(indices: [Int], outerProducts: OuterProductQueue) {
        switch self {
        case let .rowPluck(matrix, row, out):
            Graph.rowPluckBackward(matrix, row: row, out: out)
        case let .gatherRows(matrix, start, out):
            Graph.gatherRowsBackward(matrix, rows: indices[start..<start + out.columns], out: out)
        case let .mul(a, b, out):
            Graph.mulBackward(a, b, out: out, outerProducts: outerProducts)
        case let .add(a, b, out):
            Graph.addBackward(a, b, out: out)
        case let .eltmul(a, b, out):
            Graph.eltmulBackward(a, b, out: out)
        case let .tanh(a, out):
            Graph.tanhBackward(a, out: out)
        case let .sigmoid(a, out):
            Graph.sigmoidBackward(a, out: out)
        case let .relu(a, out):
            Graph.reluBackward(a, out: out)
        case let .addBias(a, bias, out):
            Graph.addBiasBackward(a, bias, out: out)
        case let .affine(weights, input, bias, out):
            Graph.affineBackward(weights, input, bias, out: out, outerProducts: outerProducts)
        case let .dropout(a, mask, out):
            Graph.dropoutBackward(a, mask: mask, out: out)
        case let .lstmCell(layer, input, hidden, cell, gates, newCell, cellTanh, newHidden, scratch):
            Graph.lstmCellBackward(layer, input: input, hidden: hidden, cell: cell, gates: gates, newCell: newCell,
                                   cellTanh: cellTanh, newHidden: newHidden, scratch: scratch, outerProducts: outerProducts)
        case let .gruCell(layer, input, hidden, gates, resetHidden, newHidden, scratch, resetScratch):
            Graph.gruCellBackward(layer, input: input, hidden: hidden, gates: gates, resetHidden: resetHidden,
                                  newHidden: newHidden, scratch: scratch, resetScratch: resetScratch,
                                  outerProducts: outerProducts)
        case let .rnnCell(layer, input, hidden, newHidden, scratch):
            Graph.rnnCellBackward(layer, input: input, hidden: hidden, newHidden: newHidden, scratch: scratch,
                                  outerProducts: outerProducts)
        }
    }
}
