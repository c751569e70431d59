import CKernels

/// The GRU cell's element-wise step, written once for the graph's fused cell
/// and the window pass:
///
///     r, z = σ(·)    n = tanh(Wcx·x + Wch·(r⊙h') + bc)    h = (1 − z)⊙h' + z⊙n
///
/// The candidate's product with `r⊙h'` splits each direction in two halves,
/// run around it. Rows, strides and the graph's single row are as in ``LSTMStep``.
enum GRUStep {
    // The selected level's kernels (``CPUKernels``); the Swift bodies below are the portable level.
    static func gates(gates: UnsafeMutablePointer<Float>, gateStride: Int, recurrent: UnsafePointer<Float>?, rows: Int,
                      previous: UnsafePointer<Float>, stateStride: Int,
                      resetHidden: UnsafeMutablePointer<Float>, resetStride: Int, width: Int) {
        Kernels.selected.table.gru_gates(gates, gateStride, recurrent, rows, previous, stateStride, resetHidden, resetStride,
                                         width)
    }

    static func output(gates: UnsafeMutablePointer<Float>, gateStride: Int, recurrent: UnsafePointer<Float>?, rows: Int,
                       previous: UnsafePointer<Float>, hidden: UnsafeMutablePointer<Float>, stateStride: Int, width: Int) {
        Kernels.selected.table.gru_output(gates, gateStride, recurrent, rows, previous, hidden, stateStride, width)
    }

    static func backwardOutput(gates: UnsafePointer<Float>, gateGradients: UnsafeMutablePointer<Float>, gateStride: Int,
                               rows: Int, outputGradients: UnsafePointer<Float>, previous: UnsafePointer<Float>,
                               stateStride: Int, hiddenNext: UnsafePointer<Float>?,
                               previousGradients: UnsafeMutablePointer<Float>, accumulates: Bool, width: Int) {
        Kernels.selected.table.gru_backward_output(gates, gateGradients, gateStride, rows, outputGradients, previous,
                                                  stateStride, hiddenNext, previousGradients, accumulates ? 1 : 0, width)
    }

    static func backwardReset(gates: UnsafePointer<Float>, gateGradients: UnsafeMutablePointer<Float>, gateStride: Int,
                              rows: Int, previous: UnsafePointer<Float>, stateStride: Int,
                              resetGradients: UnsafePointer<Float>, previousGradients: UnsafeMutablePointer<Float>,
                              width: Int) {
        Kernels.selected.table.gru_backward_reset(gates, gateGradients, gateStride, rows, previous, stateStride,
                                                  resetGradients, previousGradients, width)
    }

    /// Activates the r and z preactivations in place (plus `recurrent`, the
    /// `2·rows x width` recurrent product of their rows, unless `nil`) and
    /// writes `r⊙h'`, the candidate's recurrent input.
    static func portableGates(gates: UnsafeMutablePointer<Float>, gateStride: Int, recurrent: UnsafePointer<Float>?, rows: Int,
                      previous: UnsafePointer<Float>, stateStride: Int,
                      resetHidden: UnsafeMutablePointer<Float>, resetStride: Int, width: Int) {
        let block = rows * gateStride
        for row in 0..<rows {
            let r = gates + row * gateStride
            let rr = recurrent.map { $0 + row * width }, rz = rr.map { $0 + rows * width }
            Gates(reset: r, update: r + block, recurrentReset: rr, recurrentUpdate: rz,
                  previous: previous + row * stateStride, resetHidden: resetHidden + row * resetStride).sweep(width: width)
        }
    }

    private struct Gates: LaneKernel {
        let reset, update: UnsafeMutablePointer<Float>
        let recurrentReset, recurrentUpdate: UnsafePointer<Float>?
        let previous: UnsafePointer<Float>
        let resetHidden: UnsafeMutablePointer<Float>

        @inline(__always)
        func run<L: Lanes>(_: L.Type, column: Int) {
            let resetGate = L.sum(reset, recurrentReset, column).sigmoid
            let updateGate = L.sum(update, recurrentUpdate, column).sigmoid
            resetGate.store(to: reset + column)
            updateGate.store(to: update + column)
            (resetGate * L(loading: previous + column)).store(to: resetHidden + column)
        }
    }

    /// Activates the candidate `n` in place (plus `recurrent`, its `rows x
    /// width` product with `r⊙h'`, unless `nil`) and writes `h`.
    static func portableOutput(gates: UnsafeMutablePointer<Float>, gateStride: Int, recurrent: UnsafePointer<Float>?, rows: Int,
                       previous: UnsafePointer<Float>, hidden: UnsafeMutablePointer<Float>, stateStride: Int, width: Int) {
        let block = rows * gateStride
        for row in 0..<rows {
            let z = gates + row * gateStride + block, state = row * stateStride
            Output(update: z, candidate: z + block, recurrent: recurrent.map { $0 + row * width },
                   previous: previous + state, hidden: hidden + state).sweep(width: width)
        }
    }

    private struct Output: LaneKernel {
        let update, candidate: UnsafeMutablePointer<Float>
        let recurrent: UnsafePointer<Float>?
        let previous: UnsafePointer<Float>
        let hidden: UnsafeMutablePointer<Float>

        @inline(__always)
        func run<L: Lanes>(_: L.Type, column: Int) {
            let candidateValue = L.sum(candidate, recurrent, column).tanh
            let updateGate = L(loading: update + column)
            candidateValue.store(to: candidate + column)
            ((L(repeating: 1) - updateGate) * L(loading: previous + column) + updateGate * candidateValue)
                .store(to: hidden + column)
        }
    }

    /// First half of the backward: from the output's gradient (plus
    /// `hiddenNext` when given), the z and n preactivation gradients, and
    /// `dh⊙(1 − z)`, the direct part of the previous state's gradient, into
    /// `previousGradients` (added when `accumulates`). `hiddenNext` and
    /// `previousGradients` are `rows x width`, contiguous.
    static func portableBackwardOutput(gates: UnsafePointer<Float>, gateGradients: UnsafeMutablePointer<Float>, gateStride: Int,
                               rows: Int, outputGradients: UnsafePointer<Float>, previous: UnsafePointer<Float>,
                               stateStride: Int, hiddenNext: UnsafePointer<Float>?,
                               previousGradients: UnsafeMutablePointer<Float>, accumulates: Bool, width: Int) {
        let block = rows * gateStride
        for row in 0..<rows {
            let gate = row * gateStride + block, state = row * stateStride, carry = row * width
            BackwardOutput(update: gates + gate, candidate: gates + gate + block,
                           updateGradients: gateGradients + gate, candidateGradients: gateGradients + gate + block,
                           outputGradients: outputGradients + state, hiddenNext: hiddenNext.map { $0 + carry },
                           previous: previous + state, previousGradients: previousGradients + carry,
                           accumulates: accumulates).sweep(width: width)
        }
    }

    private struct BackwardOutput: LaneKernel {
        let update, candidate: UnsafePointer<Float>
        let updateGradients, candidateGradients: UnsafeMutablePointer<Float>
        let outputGradients: UnsafePointer<Float>
        let hiddenNext: UnsafePointer<Float>?
        let previous: UnsafePointer<Float>
        let previousGradients: UnsafeMutablePointer<Float>
        let accumulates: Bool

        @inline(__always)
        func run<L: Lanes>(_: L.Type, column: Int) {
            let one = L(repeating: 1)
            let dHidden = L.sum(outputGradients, hiddenNext, column)
            let updateGate = L(loading: update + column), candidateValue = L(loading: candidate + column)
            let difference = candidateValue - L(loading: previous + column)
            (dHidden * difference * updateGate * (one - updateGate)).store(to: updateGradients + column)
            (dHidden * updateGate * (one - candidateValue * candidateValue)).store(to: candidateGradients + column)
            (dHidden * (one - updateGate)).write(to: previousGradients, column, accumulates: accumulates)
        }
    }

    /// Second half: from `resetGradients`, the gradient of `r⊙h'` (the
    /// candidate's product transposed, `rows x width` contiguous), the r
    /// preactivation gradient, and adds `resetGradients⊙r` to `previousGradients`.
    static func portableBackwardReset(gates: UnsafePointer<Float>, gateGradients: UnsafeMutablePointer<Float>, gateStride: Int,
                              rows: Int, previous: UnsafePointer<Float>, stateStride: Int,
                              resetGradients: UnsafePointer<Float>, previousGradients: UnsafeMutablePointer<Float>,
                              width: Int) {
        for row in 0..<rows {
            let gate = row * gateStride, carry = row * width
            BackwardReset(reset: gates + gate, resetPreactivationGradients: gateGradients + gate,
                          previous: previous + row * stateStride, resetGradients: resetGradients + carry,
                          previousGradients: previousGradients + carry).sweep(width: width)
        }
    }

    private struct BackwardReset: LaneKernel {
        let reset: UnsafePointer<Float>
        let resetPreactivationGradients: UnsafeMutablePointer<Float>
        let previous, resetGradients: UnsafePointer<Float>
        let previousGradients: UnsafeMutablePointer<Float>

        @inline(__always)
        func run<L: Lanes>(_: L.Type, column: Int) {
            let resetGate = L(loading: reset + column), gradient = L(loading: resetGradients + column)
            (gradient * L(loading: previous + column) * resetGate * (L(repeating: 1) - resetGate))
                .store(to: resetPreactivationGradients + column)
            (gradient * resetGate).write(to: previousGradients, column, accumulates: true)
        }
    }
}
