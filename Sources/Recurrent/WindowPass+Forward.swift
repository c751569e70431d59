// The forward half of a window: embedding, each layer step by step, and the
// decoder with its loss.
extension WindowPass {
    func embed(_ inputs: UnsafeBufferPointer<Int>) {
        let letters = network.letterSize, total = columns, table = network.embedding
        for (column, symbol) in inputs.enumerated() {
            precondition(symbol >= 0 && symbol < table.rows, "input \(symbol) outside the vocabulary")
            let source = table.values + symbol * letters
            for feature in 0..<letters { embedded.values[feature * total + column] = source[feature] }
        }
    }

    func forward(_ index: Int, input: Strided) {
        let layer = layers[index], buffers = self.buffers[index]
        let size = layer.hiddenSize, total = columns, stateStride = buffers.hidden.columns
        let blocks = layer.blocks, gates = buffers.gates.values, gateRows = layer.gateCount * size
        if buffers.mask.count > 0 {
            applyMask(buffers.mask, to: outputs(of: index - 1), into: buffers.droppedInput.values)
        }
        Activation.broadcast(blocks.bias.values, into: gates, rows: gateRows, columns: total)
        if productsInBFloat16 {
            layer.inputForward.apply(input.values, stride: input.stride, into: gates, stride: total, width: total, accumulate: true)
        } else {
            MatrixProduct.gemm(m: gateRows, n: total, k: layer.inputSize,
                               a: blocks.inputWeights.values, lda: layer.inputSize,
                               b: input.values, ldb: input.stride, c: gates, ldc: total, beta: 1)
        }
        let recurrent = recurrentProduct.values
        for step in 0..<steps {
            let offset = step * width
            let previous = buffers.hidden.values + offset, next = previous + width
            layer.forward.apply(previous, stride: stateStride, into: recurrent, stride: width, width: width, accumulate: false)
            switch layer.kind {
            case .lstm:
                LSTMStep.forward(gates: gates + offset, gateStride: total, recurrent: recurrent, rows: size,
                                 previousCell: buffers.cells.values + offset, cell: buffers.cells.values + offset + width,
                                 hidden: next, stateStride: stateStride,
                                 cellTanh: buffers.cellTanh.values + offset, tanhStride: total, width: width)
            case .rnn:
                RNNStep.forward(preactivations: gates + offset, gateStride: total, recurrent: recurrent, rows: size,
                                hidden: next, stateStride: stateStride, width: width)
            case .gru:
                let resetHidden = buffers.resetHidden.values + offset
                GRUStep.gates(gates: gates + offset, gateStride: total, recurrent: recurrent, rows: size,
                              previous: previous, stateStride: stateStride,
                              resetHidden: resetHidden, resetStride: total, width: width)
                layer.candidateForward!.apply(resetHidden, stride: total, into: recurrent, stride: width,
                                              width: width, accumulate: false)
                GRUStep.output(gates: gates + offset, gateStride: total, recurrent: recurrent, rows: size,
                               previous: previous, hidden: next, stateStride: stateStride, width: width)
            }
        }
    }

    /// Logits for the whole window and their cross-entropy; the loss writes
    /// the logits' gradients.
    func decode(_ top: Strided, targets: [Int]) -> Double {
        let total = columns, hidden = network.decoderWeights.columns
        if decoderMask.count > 0 {
            applyMask(decoderMask, to: outputs(of: layers.count - 1), into: decoderInput.values)
        }
        Activation.broadcast(network.decoderBias.values, into: logits.values, rows: logits.rows, columns: total)
        MatrixProduct.gemm(m: logits.rows, n: total, k: hidden, a: network.decoderWeights.values, lda: hidden,
                           b: top.values, ldb: top.stride, c: logits.values, ldc: total, beta: 1)
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: logits.rows) { scratch in
            targets.withUnsafeBufferPointer {
                Softmax.crossEntropy(logits, targets: $0, writeGradients: true, scratch: scratch.baseAddress!)
            }
        }
    }
}
