import Testing
@testable import Recurrent

/// The C levels' recurrent cell steps against the portable Swift ones, on
/// widths that leave every vector tail (1, 7, 9, 17, 33), several rows with
/// padded strides, with and without the optional inputs.
@Suite(.enabled(if: !KernelComparison.compiledLevels.isEmpty, "this CPU runs only the portable level"))
struct CellKernelTests {
    static let widths = [1, 7, 8, 9, 17, 33]
    static let rowCounts = [1, 3]
    static let levels = KernelComparison.compiledLevels

    @Test(arguments: levels)
    func lstmForwardMatchesPortable(level: CPUKernels.Level) {
        for width in Self.widths {
            for rows in Self.rowCounts {
                for withRecurrent in [false, true] {
                    let gateStride = width + 2, stateStride = width + 1, tanhStride = width + 3
                    let state = rows * stateStride
                    KernelComparison.expectAgreement(level, "LSTM forward \(rows)x\(width) recurrent \(withRecurrent)",
                                                     sizes: [4 * rows * gateStride, 4 * rows * width, state, state, state,
                                                             rows * tanhStride]) { kernels, b in
                        kernels.table.lstm_forward(b[0], gateStride, withRecurrent ? b[1] : nil, rows, b[2], b[3], b[4],
                                                   stateStride, b[5], tanhStride, width)
                    }
                }
            }
        }
    }

    @Test(arguments: levels)
    func lstmBackwardMatchesPortable(level: CPUKernels.Level) {
        for width in Self.widths {
            for rows in Self.rowCounts {
                for (withNext, accumulates) in [(false, false), (true, false), (true, true)] {
                    let gateStride = width + 2, stateStride = width + 1, tanhStride = width + 3
                    let state = rows * stateStride, carry = rows * width
                    let label = "LSTM backward \(rows)x\(width) next \(withNext) accumulates \(accumulates)"
                    KernelComparison.expectAgreement(level, label,
                                                     sizes: [4 * rows * gateStride, 4 * rows * gateStride, state, state,
                                                             rows * tanhStride, carry, carry, carry]) { kernels, b in
                        kernels.table.lstm_backward(b[0], b[1], gateStride, rows, b[2], b[3], stateStride, b[4], tanhStride,
                                                    withNext ? b[5] : nil, b[6], b[7], accumulates ? 1 : 0, width)
                    }
                    // The previous cell's gradient written over the cell's, as the window pass does.
                    KernelComparison.expectAgreement(level, label + " in place",
                                                     sizes: [4 * rows * gateStride, 4 * rows * gateStride, state, state,
                                                             rows * tanhStride, carry, carry]) { kernels, b in
                        kernels.table.lstm_backward(b[0], b[1], gateStride, rows, b[2], b[3], stateStride, b[4], tanhStride,
                                                    withNext ? b[5] : nil, b[6], b[6], accumulates ? 1 : 0, width)
                    }
                }
            }
        }
    }

    @Test(arguments: levels)
    func gruForwardHalvesMatchPortable(level: CPUKernels.Level) {
        for width in Self.widths {
            for rows in Self.rowCounts {
                for withRecurrent in [false, true] {
                    let gateStride = width + 2, stateStride = width + 1, resetStride = width + 3
                    KernelComparison.expectAgreement(level, "GRU gates \(rows)x\(width) recurrent \(withRecurrent)",
                                                     sizes: [3 * rows * gateStride, 2 * rows * width, rows * stateStride,
                                                             rows * resetStride]) { kernels, b in
                        kernels.table.gru_gates(b[0], gateStride, withRecurrent ? b[1] : nil, rows, b[2], stateStride,
                                                b[3], resetStride, width)
                    }
                    KernelComparison.expectAgreement(level, "GRU output \(rows)x\(width) recurrent \(withRecurrent)",
                                                     sizes: [3 * rows * gateStride, rows * width, rows * stateStride,
                                                             rows * stateStride]) { kernels, b in
                        kernels.table.gru_output(b[0], gateStride, withRecurrent ? b[1] : nil, rows, b[2], b[3],
                                                 stateStride, width)
                    }
                }
            }
        }
    }

    @Test(arguments: levels)
    func gruBackwardHalvesMatchPortable(level: CPUKernels.Level) {
        for width in Self.widths {
            for rows in Self.rowCounts {
                let gateStride = width + 2, stateStride = width + 1, state = rows * stateStride, carry = rows * width
                for (withNext, accumulates) in [(false, false), (true, false), (true, true)] {
                    KernelComparison.expectAgreement(level, "GRU backward output \(rows)x\(width) next \(withNext) accumulates \(accumulates)",
                                                     sizes: [3 * rows * gateStride, 3 * rows * gateStride, state, state,
                                                             carry, carry]) { kernels, b in
                        kernels.table.gru_backward_output(b[0], b[1], gateStride, rows, b[2], b[3], stateStride,
                                                          withNext ? b[4] : nil, b[5], accumulates ? 1 : 0, width)
                    }
                }
                KernelComparison.expectAgreement(level, "GRU backward reset \(rows)x\(width)",
                                                 sizes: [3 * rows * gateStride, 3 * rows * gateStride, state, carry,
                                                         carry]) { kernels, b in
                    kernels.table.gru_backward_reset(b[0], b[1], gateStride, rows, b[2], stateStride, b[3], b[4], width)
                }
            }
        }
    }

    @Test(arguments: levels)
    func rnnStepsMatchPortable(level: CPUKernels.Level) {
        for width in Self.widths {
            for rows in Self.rowCounts {
                let gateStride = width + 2, stateStride = width + 1, state = rows * stateStride
                KernelComparison.expectAgreement(level, "RNN forward \(rows)x\(width) with recurrent",
                                                 sizes: [rows * gateStride, rows * width, state]) { kernels, b in
                    kernels.table.rnn_forward(b[0], gateStride, b[1], rows, b[2], stateStride, width)
                }
                // Without the recurrent input the graph writes h over the preactivations.
                KernelComparison.expectAgreement(level, "RNN forward \(rows)x\(width) in place",
                                                 sizes: [rows * gateStride]) { kernels, b in
                    kernels.table.rnn_forward(b[0], gateStride, nil, rows, b[0], gateStride, width)
                }
                for withNext in [false, true] {
                    KernelComparison.expectAgreement(level, "RNN backward \(rows)x\(width) next \(withNext)",
                                                     sizes: [rows * gateStride, state, state, rows * width]) { kernels, b in
                        kernels.table.rnn_backward(b[0], gateStride, rows, b[1], b[2], stateStride,
                                                   withNext ? b[3] : nil, width)
                    }
                }
            }
        }
    }
}
