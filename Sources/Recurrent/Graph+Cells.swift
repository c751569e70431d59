// The fused recurrent cells the networks step through: one product for all
// gates' preactivations (``GateBlocks``), then the cell's element-wise step
// (``LSTMStep``, ``GRUStep``, ``RNNStep``, shared with the window pass) over
// the whole `H x batch` block as one row.
extension Graph {
    /// One LSTM step (``LSTMLayer``): the next hidden and cell states.
    func lstmCell(_ layer: LSTMLayer, input: Matrix, hidden: Matrix, cell: Matrix) -> (hidden: Matrix, cell: Matrix) {
        let size = layer.hiddenSize, batch = input.columns, area = size * batch
        if !recordsBackward && batch >= 2, let packed = frozenWeights?.lstm(layer) {
            // An inference batch: the fused step (no gates kept, nothing recorded).
            let newCell = makeMatrix(rows: size, columns: batch), newHidden = makeMatrix(rows: size, columns: batch)
            packed.step(x: input, h: hidden, previousCell: cell, cell: newCell, hidden: newHidden)
            return (newHidden, newCell)
        }
        let gates = makeMatrix(rows: 4 * size, columns: batch)
        let newCell = makeMatrix(rows: size, columns: batch)
        let cellTanh = makeMatrix(rows: size, columns: batch)
        let newHidden = makeMatrix(rows: size, columns: batch)
        let scratch = recordsBackward ? makeMatrix(rows: 4 * size, columns: batch) : gates
        layer.blocks.preactivations(input: input, hidden: hidden, into: gates, recurrentRows: 4 * size, graph: self)
        LSTMStep.forward(gates: gates.values, gateStride: area, recurrent: nil, rows: 1,
                         previousCell: cell.values, cell: newCell.values, hidden: newHidden.values, stateStride: area,
                         cellTanh: cellTanh.values, tanhStride: area, width: area)
        record(.lstmCell(layer, input: input, hidden: hidden, cell: cell, gates: gates,
                         newCell: newCell, cellTanh: cellTanh, newHidden: newHidden, scratch: scratch))
        return (newHidden, newCell)
    }

    /// `scratch` receives the gates' preactivation gradients.
    static func lstmCellBackward(_ layer: LSTMLayer, input: Matrix, hidden: Matrix, cell: Matrix, gates: Matrix,
                                 newCell: Matrix, cellTanh: Matrix, newHidden: Matrix, scratch: Matrix,
                                 outerProducts: OuterProductQueue) {
        let area = newHidden.count
        LSTMStep.backward(gates: gates.values, gateGradients: scratch.values, gateStride: area, rows: 1,
                          outputGradients: newHidden.gradients, previousCell: cell.values, stateStride: area,
                          cellTanh: cellTanh.values, tanhStride: area, hiddenNext: nil,
                          cellGradients: newCell.gradients, previousCellGradients: cell.gradients,
                          accumulates: true, width: area)
        layer.blocks.accumulateGradients(scratch, input: input, hidden: hidden, recurrentRows: 4 * layer.hiddenSize,
                                         outerProducts: outerProducts)
    }

    /// One GRU step (``GRULayer``): the next hidden state.
    func gruCell(_ layer: GRULayer, input: Matrix, hidden: Matrix) -> Matrix {
        let size = layer.hiddenSize, batch = input.columns, area = size * batch
        let gates = makeMatrix(rows: 3 * size, columns: batch)
        let resetHidden = makeMatrix(rows: size, columns: batch)
        let newHidden = makeMatrix(rows: size, columns: batch)
        let scratch = recordsBackward ? makeMatrix(rows: 3 * size, columns: batch) : gates
        let resetScratch = recordsBackward ? makeMatrix(rows: size, columns: batch) : resetHidden
        // r and z see the recurrent weights directly; the candidate sees r⊙h'.
        layer.blocks.preactivations(input: input, hidden: hidden, into: gates, recurrentRows: 2 * size, graph: self)
        let g = gates.values
        GRUStep.gates(gates: g, gateStride: area, recurrent: nil, rows: 1, previous: hidden.values, stateStride: area,
                      resetHidden: resetHidden.values, resetStride: area, width: area)
        multiplyWeights(layer.blocks.recurrentWeights.values + 2 * size * size, resetHidden.values, into: g + 2 * area,
                        m: size, k: size, n: batch, accumulate: true)
        GRUStep.output(gates: g, gateStride: area, recurrent: nil, rows: 1, previous: hidden.values,
                       hidden: newHidden.values, stateStride: area, width: area)
        record(.gruCell(layer, input: input, hidden: hidden, gates: gates, resetHidden: resetHidden,
                        newHidden: newHidden, scratch: scratch, resetScratch: resetScratch))
        return newHidden
    }

    /// `scratch` receives the gates' preactivation gradients, `resetScratch`
    /// the gradient of `r⊙h'`.
    static func gruCellBackward(_ layer: GRULayer, input: Matrix, hidden: Matrix, gates: Matrix, resetHidden: Matrix,
                                newHidden: Matrix, scratch: Matrix, resetScratch: Matrix, outerProducts: OuterProductQueue) {
        let size = layer.hiddenSize, batch = input.columns, area = size * batch
        let d = scratch.values
        GRUStep.backwardOutput(gates: gates.values, gateGradients: d, gateStride: area, rows: 1,
                               outputGradients: newHidden.gradients, previous: hidden.values, stateStride: area,
                               hiddenNext: nil, previousGradients: hidden.gradients, accumulates: true, width: area)
        // Through the candidate's product with r⊙h'.
        let candidateWeights = layer.blocks.recurrentWeights.values + 2 * size * size
        let candidateWeightGradients = layer.blocks.recurrentWeights.gradients + 2 * size * size
        if batch == 1 {
            outerProducts.append(target: candidateWeightGradients, rows: size, columns: size,
                                 left: d + 2 * area, right: resetHidden.values)
        } else {
            MatrixProduct.accumulateTimesTransposed(d + 2 * area, resetHidden.values, into: candidateWeightGradients,
                                                    m: size, n: batch, k: size)
        }
        let dResetHidden = resetScratch.values
        dResetHidden.update(repeating: 0, count: area)
        MatrixProduct.accumulateTransposedTimes(candidateWeights, d + 2 * area, into: dResetHidden, m: size, k: size, n: batch)
        GRUStep.backwardReset(gates: gates.values, gateGradients: d, gateStride: area, rows: 1,
                              previous: hidden.values, stateStride: area, resetGradients: dResetHidden,
                              previousGradients: hidden.gradients, width: area)
        layer.blocks.accumulateGradients(scratch, input: input, hidden: hidden, recurrentRows: 2 * size,
                                         outerProducts: outerProducts)
    }

    /// One vanilla RNN step (``RNNLayer``): the next hidden state.
    func rnnCell(_ layer: RNNLayer, input: Matrix, hidden: Matrix) -> Matrix {
        let size = layer.hiddenSize, batch = input.columns, area = size * batch
        let newHidden = makeMatrix(rows: size, columns: batch)
        let scratch = recordsBackward ? makeMatrix(rows: size, columns: batch) : newHidden
        layer.blocks.preactivations(input: input, hidden: hidden, into: newHidden, recurrentRows: size, graph: self)
        RNNStep.forward(preactivations: newHidden.values, gateStride: area, recurrent: nil, rows: 1,
                        hidden: newHidden.values, stateStride: area, width: area)
        record(.rnnCell(layer, input: input, hidden: hidden, newHidden: newHidden, scratch: scratch))
        return newHidden
    }

    /// `scratch` receives the preactivation gradient.
    static func rnnCellBackward(_ layer: RNNLayer, input: Matrix, hidden: Matrix, newHidden: Matrix, scratch: Matrix,
                                outerProducts: OuterProductQueue) {
        let area = newHidden.count
        RNNStep.backward(gateGradients: scratch.values, gateStride: area, rows: 1, hidden: newHidden.values,
                         outputGradients: newHidden.gradients, stateStride: area, hiddenNext: nil, width: area)
        layer.blocks.accumulateGradients(scratch, input: input, hidden: hidden, recurrentRows: layer.hiddenSize,
                                         outerProducts: outerProducts)
    }
}
