import CKernels

/// The LSTM cell's element-wise step, written once for the graph's fused cell
/// and the window pass:
///
///     i, f, o = σ(·)    g = tanh(·)    c = f⊙c' + i⊙g    h = o⊙tanh(c)
///
/// Both run it over rows of `width` contiguous columns, `rows` rows per gate
/// block, `gateStride` floats from one row to the next (so a gate block is
/// `rows·gateStride` long). The window pass's rows are its batch at one step;
/// the graph passes its whole `H x batch` block as one row, so the SIMD lanes
/// run across all of it.
///
/// `forward` and `backward` run the selected level's kernels
/// (``CPUKernels``); the Swift bodies here are the portable level.
enum LSTMStep {
    static func forward(gates: UnsafeMutablePointer<Float>, gateStride: Int, recurrent: UnsafePointer<Float>?, rows: Int,
                        previousCell: UnsafePointer<Float>, cell: UnsafeMutablePointer<Float>,
                        hidden: UnsafeMutablePointer<Float>, stateStride: Int,
                        cellTanh: UnsafeMutablePointer<Float>, tanhStride: Int, width: Int) {
        Kernels.selected.table.lstm_forward(gates, gateStride, recurrent, rows, previousCell, cell, hidden, stateStride,
                                            cellTanh, tanhStride, width)
    }

    static func backward(gates: UnsafePointer<Float>, gateGradients: UnsafeMutablePointer<Float>, gateStride: Int, rows: Int,
                         outputGradients: UnsafePointer<Float>, previousCell: UnsafePointer<Float>, stateStride: Int,
                         cellTanh: UnsafePointer<Float>, tanhStride: Int, hiddenNext: UnsafePointer<Float>?,
                         cellGradients: UnsafePointer<Float>, previousCellGradients: UnsafeMutablePointer<Float>,
                         accumulates: Bool, width: Int) {
        Kernels.selected.table.lstm_backward(gates, gateGradients, gateStride, rows, outputGradients, previousCell,
                                             stateStride, cellTanh, tanhStride, hiddenNext, cellGradients,
                                             previousCellGradients, accumulates ? 1 : 0, width)
    }

    /// Activates the gates' preactivations in place (plus `recurrent`, the
    /// step's `4·rows x width` recurrent product, unless `nil` because it is
    /// already in), and writes `c`, `tanh(c)` and `h`.
    static func portableForward(gates: UnsafeMutablePointer<Float>, gateStride: Int, recurrent: UnsafePointer<Float>?,
                                rows: Int, previousCell: UnsafePointer<Float>, cell: UnsafeMutablePointer<Float>,
                                hidden: UnsafeMutablePointer<Float>, stateStride: Int,
                                cellTanh: UnsafeMutablePointer<Float>, tanhStride: Int, width: Int) {
        let block = rows * gateStride
        for row in 0..<rows {
            let i = gates + row * gateStride, state = row * stateStride
            // The recurrent product's gate blocks are `rows·width` long.
            let ri = recurrent.map { $0 + row * width }, rf = ri.map { $0 + rows * width }
            let ro = rf.map { $0 + rows * width }, rg = ro.map { $0 + rows * width }
            Forward(input: i, forget: i + block, output: i + 2 * block, candidate: i + 3 * block,
                    recurrentInput: ri, recurrentForget: rf, recurrentOutput: ro, recurrentCandidate: rg,
                    previousCell: previousCell + state, cell: cell + state, hidden: hidden + state,
                    cellTanh: cellTanh + row * tanhStride).sweep(width: width)
        }
    }

    private struct Forward: LaneKernel {
        let input, forget, output, candidate: UnsafeMutablePointer<Float>
        let recurrentInput, recurrentForget, recurrentOutput, recurrentCandidate: UnsafePointer<Float>?
        let previousCell: UnsafePointer<Float>
        let cell, hidden, cellTanh: UnsafeMutablePointer<Float>

        @inline(__always)
        func run<L: Lanes>(_: L.Type, column: Int) {
            let inputGate = L.sum(input, recurrentInput, column).sigmoid
            let forgetGate = L.sum(forget, recurrentForget, column).sigmoid
            let outputGate = L.sum(output, recurrentOutput, column).sigmoid
            let candidateValue = L.sum(candidate, recurrentCandidate, column).tanh
            let newCell = forgetGate * L(loading: previousCell + column) + inputGate * candidateValue
            let squashed = newCell.tanh
            inputGate.store(to: input + column)
            forgetGate.store(to: forget + column)
            outputGate.store(to: output + column)
            candidateValue.store(to: candidate + column)
            newCell.store(to: cell + column)
            squashed.store(to: cellTanh + column)
            (outputGate * squashed).store(to: hidden + column)
        }
    }

    /// From the gradient of the step's hidden output (`outputGradients`, plus
    /// `hiddenNext` when given) and of its cell (`cellGradients`), writes the
    /// gates' preactivation gradients and the previous cell's gradient into
    /// `previousCellGradients`, added when `accumulates`, else replacing (it
    /// may be `cellGradients` itself). `hiddenNext`, `cellGradients` and
    /// `previousCellGradients` are `rows x width`, contiguous.
    static func portableBackward(gates: UnsafePointer<Float>, gateGradients: UnsafeMutablePointer<Float>, gateStride: Int, rows: Int,
                         outputGradients: UnsafePointer<Float>, previousCell: UnsafePointer<Float>, stateStride: Int,
                         cellTanh: UnsafePointer<Float>, tanhStride: Int, hiddenNext: UnsafePointer<Float>?,
                         cellGradients: UnsafePointer<Float>, previousCellGradients: UnsafeMutablePointer<Float>,
                         accumulates: Bool, width: Int) {
        let block = rows * gateStride
        for row in 0..<rows {
            let gate = row * gateStride, state = row * stateStride, carry = row * width
            Backward(gates: gates + gate, gradients: gateGradients + gate, block: block,
                     outputGradients: outputGradients + state, hiddenNext: hiddenNext.map { $0 + carry },
                     previousCell: previousCell + state, cellTanh: cellTanh + row * tanhStride,
                     cellGradients: cellGradients + carry, previousCellGradients: previousCellGradients + carry,
                     accumulates: accumulates).sweep(width: width)
        }
    }

    private struct Backward: LaneKernel {
        let gates: UnsafePointer<Float>
        let gradients: UnsafeMutablePointer<Float>
        let block: Int
        let outputGradients: UnsafePointer<Float>
        let hiddenNext: UnsafePointer<Float>?
        let previousCell, cellTanh, cellGradients: UnsafePointer<Float>
        let previousCellGradients: UnsafeMutablePointer<Float>
        let accumulates: Bool

        @inline(__always)
        func run<L: Lanes>(_: L.Type, column: Int) {
            let one = L(repeating: 1)
            let inputGate = L(loading: gates + column), forgetGate = L(loading: gates + block + column)
            let outputGate = L(loading: gates + 2 * block + column), candidate = L(loading: gates + 3 * block + column)
            let squashed = L(loading: cellTanh + column)
            let dHidden = L.sum(outputGradients, hiddenNext, column)
            let dCell = L(loading: cellGradients + column) + dHidden * outputGate * (one - squashed * squashed)
            (dCell * candidate * inputGate * (one - inputGate)).store(to: gradients + column)
            (dCell * L(loading: previousCell + column) * forgetGate * (one - forgetGate)).store(to: gradients + block + column)
            (dHidden * squashed * outputGate * (one - outputGate)).store(to: gradients + 2 * block + column)
            (dCell * inputGate * (one - candidate * candidate)).store(to: gradients + 3 * block + column)
            (dCell * forgetGate).write(to: previousCellGradients, column, accumulates: accumulates)
        }
    }
}
