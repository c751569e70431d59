// The backward half of a window: the decoder, each layer in reverse step
// order, and the gradients passed down to the embedding.
extension WindowPass {
    func backwardDecoder(_ top: Strided, dropout: Bool) {
        let total = columns, hidden = network.decoderWeights.columns
        let weights = network.decoderWeights
        MatrixProduct.gemm(transposeB: true, m: logits.rows, n: hidden, k: total,
                           a: logits.gradients, lda: total, b: top.values, ldb: top.stride,
                           c: weights.gradients, ldc: hidden, beta: 1)
        Activation.accumulateRowSums(logits.gradients, into: network.decoderBias.gradients, rows: logits.rows, columns: total)
        MatrixProduct.gemm(transposeA: true, m: hidden, n: total, k: logits.rows,
                           a: weights.values, lda: hidden, b: logits.gradients, ldb: total,
                           c: top.gradients, ldc: top.stride, beta: 0)
        if dropout {
            applyMaskToGradients(decoderMask, from: decoderInput.gradients, into: outputs(of: layers.count - 1))
        }
    }

    func backward(_ index: Int, input: Strided) {
        let layer = layers[index], buffers = self.buffers[index]
        let size = layer.hiddenSize, total = columns, stateStride = buffers.hidden.columns
        let blocks = layer.blocks, gates = buffers.gates, gateRows = layer.gateCount * size
        let hiddenNext = hiddenCarry.values, cellNext = cellCarry.values
        let partial = partialCarry.values, resetGradients = resetGradient.values
        hiddenNext.update(repeating: 0, count: size * width)
        cellNext.update(repeating: 0, count: size * width)
        for step in (0..<steps).reversed() {
            let offset = step * width
            let gateValues = gates.values + offset, gateGradients = gates.gradients + offset
            let previous = buffers.hidden.values + offset, outputGradients = buffers.hidden.gradients + offset + width
            switch layer.kind {
            case .lstm:
                // The cell's gradient carry is read and replaced in place.
                LSTMStep.backward(gates: gateValues, gateGradients: gateGradients, gateStride: total, rows: size,
                                  outputGradients: outputGradients,
                                  previousCell: buffers.cells.values + offset, stateStride: stateStride,
                                  cellTanh: buffers.cellTanh.values + offset, tanhStride: total, hiddenNext: hiddenNext,
                                  cellGradients: cellNext, previousCellGradients: cellNext, accumulates: false, width: width)
            case .rnn:
                RNNStep.backward(gateGradients: gateGradients, gateStride: total, rows: size, hidden: previous + width,
                                 outputGradients: outputGradients, stateStride: stateStride,
                                 hiddenNext: hiddenNext, width: width)
            case .gru:
                GRUStep.backwardOutput(gates: gateValues, gateGradients: gateGradients, gateStride: total, rows: size,
                                       outputGradients: outputGradients, previous: previous, stateStride: stateStride,
                                       hiddenNext: hiddenNext, previousGradients: partial, accumulates: false, width: width)
                layer.candidateBackward!.apply(gateGradients + 2 * size * total, stride: total, into: resetGradients,
                                               stride: width, width: width, accumulate: false)
                GRUStep.backwardReset(gates: gateValues, gateGradients: gateGradients, gateStride: total, rows: size,
                                      previous: previous, stateStride: stateStride,
                                      resetGradients: resetGradients, previousGradients: partial, width: width)
            }
            // The gradient of the previous step's hidden state (none flows
            // into the carried-in state): through the recurrent product, plus
            // for a GRU the direct and reset-gate parts gathered in `partial`.
            if step > 0 {
                layer.backward.apply(gateGradients, stride: total, into: hiddenNext, stride: width, width: width, accumulate: false)
                if layer.kind == .gru {
                    for element in 0..<size * width { hiddenNext[element] += partial[element] }
                }
            }
        }
        // Step t's gates pair with the hidden state of block t (the previous
        // step's); a GRU's candidate rows with r⊙h' instead.
        accumulateWeightGradient(m: layer.forward.rowCount, n: size, k: total,
                                 a: gates.gradients, lda: total, b: buffers.hidden.values, ldb: stateStride,
                                 c: blocks.recurrentWeights.gradients, ldc: size)
        if layer.kind == .gru {
            accumulateWeightGradient(m: size, n: size, k: total,
                                     a: gates.gradients + 2 * size * total, lda: total, b: buffers.resetHidden.values, ldb: total,
                                     c: blocks.recurrentWeights.gradients + 2 * size * size, ldc: size)
        }
        accumulateWeightGradient(m: gateRows, n: layer.inputSize, k: total,
                                 a: gates.gradients, lda: total, b: input.values, ldb: input.stride,
                                 c: blocks.inputWeights.gradients, ldc: layer.inputSize)
        Activation.accumulateRowSums(gates.gradients, into: blocks.bias.gradients, rows: gateRows, columns: total)
    }

    /// `c[m x n] += a[m x k] · b[n x k]ᵀ`, a layer's weight gradient over the
    /// window: in bfloat16 when this window's products are, else OpenBLAS.
    private func accumulateWeightGradient(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                          b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if productsInBFloat16 {
            gradientProduct.accumulate(a, stride: lda, times: b, stride: ldb, into: c, stride: ldc, m: m, n: n, k: k)
        } else {
            MatrixProduct.gemm(transposeB: true, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, beta: 1)
        }
    }

    /// The gradient of layer `index`'s input, written where it came from: the
    /// layer below's outputs (through its dropout mask) or the embedding.
    func passDown(from index: Int, input: Strided, dropout: Bool) {
        let layer = layers[index], total = columns
        if productsInBFloat16 {
            layer.inputBackward.apply(buffers[index].gates.gradients, stride: total, into: input.gradients, stride: input.stride,
                                      width: total, accumulate: false)
        } else {
            MatrixProduct.gemm(transposeA: true, m: layer.inputSize, n: total, k: layer.gateCount * layer.hiddenSize,
                               a: layer.blocks.inputWeights.values, lda: layer.inputSize,
                               b: buffers[index].gates.gradients, ldb: total,
                               c: input.gradients, ldc: input.stride, beta: 0)
        }
        if index > 0 && dropout {
            applyMaskToGradients(buffers[index].mask, from: buffers[index].droppedInput.gradients, into: outputs(of: index - 1))
        }
    }

    func scatterEmbeddingGradients(_ inputs: UnsafeBufferPointer<Int>) {
        let letters = network.letterSize, total = columns, table = network.embedding
        for (column, symbol) in inputs.enumerated() {
            let target = table.gradients + symbol * letters
            for feature in 0..<letters { target[feature] += embedded.gradients[feature * total + column] }
        }
    }
}
