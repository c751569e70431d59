import CKernels

/// The vanilla RNN cell's element-wise step, `h = relu(·)`, written once for
/// the graph's fused cell and the window pass (rows and strides as in ``LSTMStep``).
enum RNNStep {
    // The selected level's kernels (``CPUKernels``); the Swift bodies below are the portable level.
    static func forward(preactivations: UnsafeMutablePointer<Float>, gateStride: Int, recurrent: UnsafePointer<Float>?,
                        rows: Int, hidden: UnsafeMutablePointer<Float>, stateStride: Int, width: Int) {
        Kernels.selected.table.rnn_forward(preactivations, gateStride, recurrent, rows, hidden, stateStride, width)
    }

    static func backward(gateGradients: UnsafeMutablePointer<Float>, gateStride: Int, rows: Int,
                         hidden: UnsafePointer<Float>, outputGradients: UnsafePointer<Float>, stateStride: Int,
                         hiddenNext: UnsafePointer<Float>?, width: Int) {
        Kernels.selected.table.rnn_backward(gateGradients, gateStride, rows, hidden, outputGradients, stateStride,
                                            hiddenNext, width)
    }

    /// `h = relu(preactivation + recurrent)`; without `recurrent` (`nil`:
    /// already added) `hidden` may be `preactivations` itself.
    static func portableForward(preactivations: UnsafeMutablePointer<Float>, gateStride: Int, recurrent: UnsafePointer<Float>?,
                        rows: Int, hidden: UnsafeMutablePointer<Float>, stateStride: Int, width: Int) {
        for row in 0..<rows {
            Forward(preactivation: preactivations + row * gateStride, recurrent: recurrent.map { $0 + row * width },
                    hidden: hidden + row * stateStride).sweep(width: width)
        }
    }

    private struct Forward: LaneKernel {
        let preactivation: UnsafeMutablePointer<Float>
        let recurrent: UnsafePointer<Float>?
        let hidden: UnsafeMutablePointer<Float>

        @inline(__always)
        func run<L: Lanes>(_: L.Type, column: Int) {
            L.sum(preactivation, recurrent, column).relu.store(to: hidden + column)
        }
    }

    /// The preactivation gradient: the output's gradient (plus `hiddenNext`,
    /// `rows x width` contiguous, when given) where `h > 0`, else zero.
    static func portableBackward(gateGradients: UnsafeMutablePointer<Float>, gateStride: Int, rows: Int,
                         hidden: UnsafePointer<Float>, outputGradients: UnsafePointer<Float>, stateStride: Int,
                         hiddenNext: UnsafePointer<Float>?, width: Int) {
        for row in 0..<rows {
            let state = row * stateStride
            Backward(gradients: gateGradients + row * gateStride, hidden: hidden + state,
                     outputGradients: outputGradients + state, hiddenNext: hiddenNext.map { $0 + row * width })
                .sweep(width: width)
        }
    }

    private struct Backward: LaneKernel {
        let gradients: UnsafeMutablePointer<Float>
        let hidden, outputGradients: UnsafePointer<Float>
        let hiddenNext: UnsafePointer<Float>?

        @inline(__always)
        func run<L: Lanes>(_: L.Type, column: Int) {
            L.sum(outputGradients, hiddenNext, column).kept(wherePositive: L(loading: hidden + column))
                .store(to: gradients + column)
        }
    }
}
