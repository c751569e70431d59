import CKernels

/// One level's kernel table (``CPUKernels/Level``): the C functions of the
/// AVX2 or AVX-512 build, or the portable Swift code behind the same C
/// function types. The engine calls ``selected``; tests call each level's
/// table to compare it with the portable one.
struct Kernels: @unchecked Sendable {  // immutable C function pointers
    let level: CPUKernels.Level
    let table: recurrent_kernels

    /// The kernels of `level`, which this CPU must be able to run.
    init(level: CPUKernels.Level) {
        self.level = level
        if level != .portable, let compiled = recurrent_kernels_for_level(level.code) {
            table = compiled.pointee
        } else {
            table = PortableKernels.table
        }
    }

    /// The kernels of ``CPUKernels/selected``, fixed at first use.
    static let selected = Kernels(level: CPUKernels.selected)

    /// Whether the packed recurrent product runs at this level (else BLAS does).
    var hasPackedProduct: Bool { table.packed_multiply != nil }
}

/// The portable level: the Swift SIMD implementations as C function pointers
/// (closures that capture nothing), so one table type serves every level.
enum PortableKernels {
    static let table = recurrent_kernels(
        lstm_forward: { gates, gateStride, recurrent, rows, previousCell, cell, hidden, stateStride, cellTanh, tanhStride, width in
            LSTMStep.portableForward(gates: gates, gateStride: gateStride, recurrent: recurrent, rows: rows,
                                     previousCell: previousCell, cell: cell, hidden: hidden, stateStride: stateStride,
                                     cellTanh: cellTanh, tanhStride: tanhStride, width: width)
        },
        lstm_backward: { gates, gateGradients, gateStride, rows, outputGradients, previousCell, stateStride, cellTanh,
                         tanhStride, hiddenNext, cellGradients, previousCellGradients, accumulates, width in
            LSTMStep.portableBackward(gates: gates, gateGradients: gateGradients, gateStride: gateStride, rows: rows,
                                      outputGradients: outputGradients, previousCell: previousCell, stateStride: stateStride,
                                      cellTanh: cellTanh, tanhStride: tanhStride, hiddenNext: hiddenNext,
                                      cellGradients: cellGradients, previousCellGradients: previousCellGradients,
                                      accumulates: accumulates != 0, width: width)
        },
        gru_gates: { gates, gateStride, recurrent, rows, previous, stateStride, resetHidden, resetStride, width in
            GRUStep.portableGates(gates: gates, gateStride: gateStride, recurrent: recurrent, rows: rows, previous: previous,
                                  stateStride: stateStride, resetHidden: resetHidden, resetStride: resetStride, width: width)
        },
        gru_output: { gates, gateStride, recurrent, rows, previous, hidden, stateStride, width in
            GRUStep.portableOutput(gates: gates, gateStride: gateStride, recurrent: recurrent, rows: rows, previous: previous,
                                   hidden: hidden, stateStride: stateStride, width: width)
        },
        gru_backward_output: { gates, gateGradients, gateStride, rows, outputGradients, previous, stateStride, hiddenNext,
                               previousGradients, accumulates, width in
            GRUStep.portableBackwardOutput(gates: gates, gateGradients: gateGradients, gateStride: gateStride, rows: rows,
                                           outputGradients: outputGradients, previous: previous, stateStride: stateStride,
                                           hiddenNext: hiddenNext, previousGradients: previousGradients,
                                           accumulates: accumulates != 0, width: width)
        },
        gru_backward_reset: { gates, gateGradients, gateStride, rows, previous, stateStride, resetGradients,
                              previousGradients, width in
            GRUStep.portableBackwardReset(gates: gates, gateGradients: gateGradients, gateStride: gateStride, rows: rows,
                                          previous: previous, stateStride: stateStride, resetGradients: resetGradients,
                                          previousGradients: previousGradients, width: width)
        },
        rnn_forward: { preactivations, gateStride, recurrent, rows, hidden, stateStride, width in
            RNNStep.portableForward(preactivations: preactivations, gateStride: gateStride, recurrent: recurrent, rows: rows,
                                    hidden: hidden, stateStride: stateStride, width: width)
        },
        rnn_backward: { gateGradients, gateStride, rows, hidden, outputGradients, stateStride, hiddenNext, width in
            RNNStep.portableBackward(gateGradients: gateGradients, gateStride: gateStride, rows: rows, hidden: hidden,
                                     outputGradients: outputGradients, stateStride: stateStride, hiddenNext: hiddenNext,
                                     width: width)
        },
        tanh: { source, target, count in Activation.portableTanh(source, into: target, count: count) },
        sigmoid: { source, target, count in Activation.portableSigmoid(source, into: target, count: count) },
        multiply_vector: { a, b, c, m, k, accumulate in
            MatrixProduct.portableMultiplyVector(a, b, into: c, m: m, k: k, accumulate: accumulate != 0)
        },
        accumulate_transposed_vector: { a, b, c, m, k in
            MatrixProduct.portableAccumulateTransposedVector(a, b, into: c, m: m, k: k)
        },
        multiply_small: { a, b, c, m, k, n, accumulate in
            MatrixProduct.portableMultiplySmall(a, b, into: c, m: m, k: k, n: n, accumulate: accumulate != 0)
        },
        times_transposed_small: { a, b, c, m, n, k in
            MatrixProduct.portableTimesTransposedSmall(a, b, into: c, m: m, n: n, k: k)
        },
        transposed_times_small: { a, b, c, m, k, n in
            MatrixProduct.portableTransposedTimesSmall(a, b, into: c, m: m, k: k, n: n)
        },
        outer_product4: { target, rows, columns, l0, l1, l2, l3, r0, r1, r2, r3 in
            OuterProductQueue.portableOuterProduct4(target: target, rows: rows, columns: columns,
                                                    left: (l0, l1, l2, l3), right: (r0, r1, r2, r3))
        },
        rmsprop: { weights, gradients, cache, count, decay, keep, epsilon, learningRate, regc, clip in
            Solver.portableRMSProp(weights: weights, gradients: gradients, cache: cache, count: count, decay: decay,
                                   keep: keep, epsilon: epsilon, learningRate: learningRate, regc: regc, clip: clip)
        },
        packed_multiply: nil,
        lstm_columns: nil,
        softmax_columns: { logits, rows, stride, columns, temperature, probabilities, probabilityStride, normalisers in
            SoftmaxColumns.portable(logits, rows: rows, stride: stride, columns: columns, temperature: temperature,
                                    probabilities: probabilities, probabilityStride: probabilityStride,
                                    normalisers: normalisers)
        },
        sample_columns: { probabilities, rows, stride, columns, draws, chosen in
            for column in 0..<columns {
                chosen[column] = Softmax.sample(probabilities + column, count: rows, stride: stride, draw: draws[column])
            }
        }
    )
}

extension SIMD8 where Scalar == Float {
    /// `self + a·b`. Fused on arm64; on x86-64 the portable build targets
    /// baseline SSE2, where a fused multiply-add is a call to `fmaf` per
    /// lane, so there it is a multiply then an add.
    @inline(__always)
    func plusProduct(_ a: Self, _ b: Self) -> Self {
        #if arch(x86_64)
        self + a * b
        #else
        addingProduct(a, b)
        #endif
    }
}
