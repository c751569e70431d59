/// Forward and backward of one text window through an LSTM network, layer by
/// layer instead of step by step.
///
/// The graph runs a window step by step, so every product of every layer has
/// only the batch's few columns: each multiplies a large weight matrix by a
/// thin one, and OpenBLAS repacks the weights on every call, while each
/// weight gradient is read and written whole at every step. Most of that work
/// does not depend on the previous step: a layer's input projection for all
/// steps, its weight gradients, and the gradient it passes down. Run one
/// layer at a time over the whole window, they become single products with
/// `steps x batch` columns, at full BLAS speed; only the recurrent product
/// (`Wh · h` forward, `Whᵀ · d` backward) stays step by step.
///
/// The numbers are the graph's up to the order of float additions, dropout
/// included: the masks are drawn before the forward pass in the order the
/// graph draws them (per step: each layer above the first, then the decoder).
///
/// Layout: a window quantity of `F` features is an `F x (steps·batch)`
/// row-major matrix whose column `t·batch + j` is stream `j` at step `t`. A
/// layer's hidden and cell states have one more block in front, the state
/// carried in from the previous window, so step `t` reads block `t` and
/// writes block `t + 1`. Buffers are allocated on first use and reused while
/// the window's shape stays the same.
final class LSTMWindowPass {
    let network: RecurrentNetwork
    private let layers: [LSTMLayer]
    /// Whether the step products use ``PackedWeights`` (else BLAS).
    let usesPackedWeights: Bool
    /// Per layer: the recurrent weights packed for `Wh · h` and for `Whᵀ · d`.
    private let packedRecurrent: [(forward: PackedWeights, backward: PackedWeights)]
    private var width = 0
    private var steps = 0
    private var buffers: [LayerBuffers] = []
    /// `letterSize x N`: the embedded inputs; gradients from the first layer.
    private var embedded = Matrix(rows: 0)
    /// `symbolCount x N`: logits; gradients from the loss.
    private var logits = Matrix(rows: 0)
    /// `H_last x N`: the decoder's input after dropout (only with dropout).
    private var decoderInput = Matrix(rows: 0)
    /// `H_last x N`: the decoder's dropout mask (values only).
    private var decoderMask = Matrix(rows: 0)
    /// Running gradients of the next step's hidden and cell state, `H x batch`.
    private var hiddenCarry = Matrix(rows: 0)
    private var cellCarry = Matrix(rows: 0)
    /// `4H x batch`: one step's recurrent product `Wh · h`, kept contiguous
    /// (written into the strided gates, the product ran about 25% slower).
    private var recurrentProduct = Matrix(rows: 0)

    private struct LayerBuffers {
        /// `4H x N`: activated gates (i, f, o, g row blocks); gradients of the preactivations.
        let gates: Matrix
        /// `H x (N + batch)`: carried-in state, then the hidden state after each step; gradients of the outputs.
        let hidden: Matrix
        /// `H x (N + batch)`: the cell state, laid out as `hidden`.
        let cells: Matrix
        /// `H x N`: `tanh(c)` of each step.
        let cellTanh: Matrix
        /// `inputSize x N`: the layer's input after dropout and its gradient
        /// (above the first layer, only with dropout).
        let droppedInput: Matrix
        /// `inputSize x N`: the dropout mask of the input (values only).
        let mask: Matrix
    }

    /// A pass for `network`, whose layers must all be LSTM layers. The step
    /// products use packed weights where the CPU allows, unless
    /// `usesPackedWeights` is false.
    init(network: RecurrentNetwork, usesPackedWeights: Bool = PackedWeights.isAvailable) {
        layers = network.layers.map { layer in
            guard let lstm = layer as? LSTMLayer else { preconditionFailure("LSTMWindowPass needs LSTM layers") }
            return lstm
        }
        self.network = network
        self.usesPackedWeights = usesPackedWeights && PackedWeights.isAvailable
        packedRecurrent = layers.map { _ in (PackedWeights(), PackedWeights()) }
    }

    /// Whether `network` can be trained by this pass.
    static func supports(_ network: RecurrentNetwork) -> Bool {
        network.layers.allSatisfy { $0 is LSTMLayer }
    }

    /// Trains `grid` from the carried `state` (updated to the window's final
    /// state): adds the gradient of the summed cross-entropy to the network's
    /// parameter gradients and returns that sum. No gradient flows into the
    /// carried state (truncated backpropagation through time).
    func train(_ grid: SequenceGrid, carrying state: [LayerState], dropout: Float, random: inout RandomSource) -> Double {
        precondition(state.count == layers.count, "one carried state per layer")
        prepare(width: grid.width, steps: grid.steps, dropout: dropout > 0)
        if steps == 0 { return 0 }
        if dropout > 0 { drawMasks(rate: dropout, random: &random) }
        grid.inputs.withUnsafeBufferPointer { embed($0) }
        if usesPackedWeights {
            // The weights stay fixed for the whole window.
            for (layer, packed) in zip(layers, packedRecurrent) {
                packed.forward.pack(layer.blocks.recurrentWeights, transposed: false)
                packed.backward.pack(layer.blocks.recurrentWeights, transposed: true)
            }
        }
        for index in layers.indices {
            load(state[index], into: buffers[index])
            let input = layerInput(index, dropout: dropout > 0)
            forward(index, input: input)
            store(buffers[index], into: state[index])
        }
        let top = decoderSource(dropout: dropout > 0)
        let cost = decode(top, targets: grid.targets)
        backwardDecoder(top, dropout: dropout > 0)
        for index in layers.indices.reversed() {
            let input = layerInput(index, dropout: dropout > 0)
            backward(index, input: input)
            passDown(from: index, input: input, dropout: dropout > 0)
        }
        grid.inputs.withUnsafeBufferPointer { scatterEmbeddingGradients($0) }
        return cost
    }

    // MARK: - Buffers

    private var columns: Int { steps * width }

    private func prepare(width: Int, steps: Int, dropout: Bool) {
        let sameShape = width == self.width && steps == self.steps && buffers.count == layers.count
        if sameShape && dropout == (decoderMask.count > 0) { return }
        self.width = width
        self.steps = steps
        let total = steps * width
        let wide = total + width
        buffers = layers.enumerated().map { index, layer in
            let size = layer.hiddenSize
            let dropsInput = dropout && index > 0
            return LayerBuffers(gates: Matrix(rows: 4 * size, columns: total),
                                hidden: Matrix(rows: size, columns: wide),
                                cells: Matrix(rows: size, columns: wide),
                                cellTanh: Matrix(rows: size, columns: total),
                                droppedInput: dropsInput ? Matrix(rows: layer.inputSize, columns: total) : Matrix(rows: 0),
                                mask: dropsInput ? Matrix(rows: layer.inputSize, columns: total) : Matrix(rows: 0))
        }
        let top = network.decoderWeights.columns
        embedded = Matrix(rows: network.letterSize, columns: total)
        logits = Matrix(rows: network.symbolCount, columns: total)
        decoderInput = dropout ? Matrix(rows: top, columns: total) : Matrix(rows: 0)
        decoderMask = dropout ? Matrix(rows: top, columns: total) : Matrix(rows: 0)
        let largest = network.hiddenSizes.max() ?? 0
        hiddenCarry = Matrix(rows: largest, columns: width)
        cellCarry = Matrix(rows: largest, columns: width)
        recurrentProduct = Matrix(rows: 4 * largest, columns: width)
    }

    /// A strided window matrix: `pointer` to its first element, `stride` floats per row.
    private struct Strided {
        let values: UnsafeMutablePointer<Float>
        let gradients: UnsafeMutablePointer<Float>
        let stride: Int
    }

    /// The outputs of layer `index` (blocks 1... of its hidden state).
    private func outputs(of index: Int) -> Strided {
        let hidden = buffers[index].hidden
        return Strided(values: hidden.values + width, gradients: hidden.gradients + width, stride: hidden.columns)
    }

    private func layerInput(_ index: Int, dropout: Bool) -> Strided {
        if index == 0 { return Strided(values: embedded.values, gradients: embedded.gradients, stride: columns) }
        if dropout {
            let dropped = buffers[index].droppedInput
            return Strided(values: dropped.values, gradients: dropped.gradients, stride: columns)
        }
        return outputs(of: index - 1)
    }

    private func decoderSource(dropout: Bool) -> Strided {
        if dropout { return Strided(values: decoderInput.values, gradients: decoderInput.gradients, stride: columns) }
        return outputs(of: layers.count - 1)
    }

    /// Copies a carried `H x batch` state into block 0 of `buffers`.
    private func load(_ state: LayerState, into buffers: LayerBuffers) {
        copyBlock(from: state.hidden.values, stride: width, to: buffers.hidden.values, stride: buffers.hidden.columns,
                  rows: state.hidden.rows)
        if let cell = state.cell {
            copyBlock(from: cell.values, stride: width, to: buffers.cells.values, stride: buffers.cells.columns, rows: cell.rows)
        }
    }

    /// Copies the last block of `buffers` into the carried state.
    private func store(_ buffers: LayerBuffers, into state: LayerState) {
        let offset = steps * width
        copyBlock(from: buffers.hidden.values + offset, stride: buffers.hidden.columns, to: state.hidden.values, stride: width,
                  rows: state.hidden.rows)
        if let cell = state.cell {
            copyBlock(from: buffers.cells.values + offset, stride: buffers.cells.columns, to: cell.values, stride: width,
                      rows: cell.rows)
        }
    }

    private func copyBlock(from source: UnsafePointer<Float>, stride sourceStride: Int,
                           to target: UnsafeMutablePointer<Float>, stride targetStride: Int, rows: Int) {
        for row in 0..<rows {
            (target + row * targetStride).update(from: source + row * sourceStride, count: width)
        }
    }

    // MARK: - Dropout

    /// Draws every mask of the window in the graph's order: for each step,
    /// the input of each layer above the first, then the decoder's input.
    private func drawMasks(rate: Float, random: inout RandomSource) {
        let keep = 1 - rate, scale = 1 / keep, total = columns
        func draw(_ mask: Matrix, step: Int) {
            for feature in 0..<mask.rows {
                let row = mask.values + feature * total + step * width
                for column in 0..<width {
                    row[column] = Float(random.next() >> 40) * 0x1p-24 < keep ? scale : 0
                }
            }
        }
        for step in 0..<steps {
            for index in buffers.indices.dropFirst() { draw(buffers[index].mask, step: step) }
            draw(decoderMask, step: step)
        }
    }

    /// `target = source ⊙ mask` over a window (`target` and `mask` dense).
    private func applyMask(_ mask: Matrix, to source: Strided, into target: UnsafeMutablePointer<Float>) {
        let total = columns
        for row in 0..<mask.rows {
            let s = source.values + row * source.stride, m = mask.values + row * total, t = target + row * total
            for column in 0..<total { t[column] = s[column] * m[column] }
        }
    }

    // MARK: - Forward

    private func embed(_ inputs: UnsafeBufferPointer<Int>) {
        let letters = network.letterSize, total = columns, table = network.embedding
        for (column, symbol) in inputs.enumerated() {
            precondition(symbol >= 0 && symbol < table.rows, "input \(symbol) outside the vocabulary")
            let source = table.values + symbol * letters
            for feature in 0..<letters { embedded.values[feature * total + column] = source[feature] }
        }
    }

    private func forward(_ index: Int, input: Strided) {
        let layer = layers[index], buffers = self.buffers[index]
        let size = layer.hiddenSize, total = columns, stateStride = buffers.hidden.columns
        let blocks = layer.blocks, gates = buffers.gates.values
        if buffers.mask.count > 0 {
            applyMask(buffers.mask, to: outputs(of: index - 1), into: buffers.droppedInput.values)
        }
        Activation.broadcast(blocks.bias.values, into: gates, rows: 4 * size, columns: total)
        MatrixProduct.gemm(m: 4 * size, n: total, k: layer.inputSize,
                           a: blocks.inputWeights.values, lda: layer.inputSize,
                           b: input.values, ldb: input.stride, c: gates, ldc: total, beta: 1)
        let packed = packedRecurrent[index].forward, recurrent = recurrentProduct.values
        for step in 0..<steps {
            let offset = step * width
            if usesPackedWeights {
                packed.multiply(buffers.hidden.values + offset, stride: stateStride, into: recurrent, stride: width,
                                width: width, accumulate: false)
            } else {
                MatrixProduct.gemm(m: 4 * size, n: width, k: size,
                                   a: blocks.recurrentWeights.values, lda: size,
                                   b: buffers.hidden.values + offset, ldb: stateStride, c: recurrent, ldc: width, beta: 0)
            }
            LSTMWindowKernels.forwardStep(gates: gates + offset, gateStride: total, recurrent: recurrent, rows: size,
                                          previousCell: buffers.cells.values + offset,
                                          cell: buffers.cells.values + offset + width,
                                          hidden: buffers.hidden.values + offset + width, stateStride: stateStride,
                                          cellTanh: buffers.cellTanh.values + offset, tanhStride: total, width: width)
        }
    }

    /// Logits for the whole window and their cross-entropy; the loss writes
    /// the logits' gradients.
    private func decode(_ top: Strided, targets: [Int]) -> Double {
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

    // MARK: - Backward

    private func backwardDecoder(_ top: Strided, dropout: Bool) {
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

    /// `target.gradients = gradients ⊙ mask` (dropout's backward).
    private func applyMaskToGradients(_ mask: Matrix, from gradients: UnsafePointer<Float>, into target: Strided) {
        let total = columns
        for row in 0..<mask.rows {
            let g = gradients + row * total, m = mask.values + row * total, t = target.gradients + row * target.stride
            for column in 0..<total { t[column] = g[column] * m[column] }
        }
    }

    private func backward(_ index: Int, input: Strided) {
        let layer = layers[index], buffers = self.buffers[index], packed = packedRecurrent[index].backward
        let size = layer.hiddenSize, total = columns, stateStride = buffers.hidden.columns
        let blocks = layer.blocks, gates = buffers.gates
        let hiddenNext = hiddenCarry.values, cellNext = cellCarry.values
        hiddenNext.update(repeating: 0, count: size * width)
        cellNext.update(repeating: 0, count: size * width)
        for step in (0..<steps).reversed() {
            let offset = step * width
            LSTMWindowKernels.backwardStep(gates: gates.values + offset, gateGradients: gates.gradients + offset,
                                           gateStride: total, rows: size,
                                           outputGradients: buffers.hidden.gradients + offset + width,
                                           previousCell: buffers.cells.values + offset, stateStride: stateStride,
                                           cellTanh: buffers.cellTanh.values + offset, tanhStride: total,
                                           hiddenNext: hiddenNext, cellNext: cellNext, width: width)
            if step > 0 && usesPackedWeights {
                packed.multiply(gates.gradients + offset, stride: total, into: hiddenNext, stride: width,
                                width: width, accumulate: false)
            } else if step > 0 {
                MatrixProduct.gemm(transposeA: true, m: size, n: width, k: 4 * size,
                                   a: blocks.recurrentWeights.values, lda: size, b: gates.gradients + offset, ldb: total,
                                   c: hiddenNext, ldc: width, beta: 0)
            }
        }
        // Step t's gates pair with the hidden state of block t (the previous step's).
        MatrixProduct.gemm(transposeB: true, m: 4 * size, n: size, k: total,
                           a: gates.gradients, lda: total, b: buffers.hidden.values, ldb: stateStride,
                           c: blocks.recurrentWeights.gradients, ldc: size, beta: 1)
        MatrixProduct.gemm(transposeB: true, m: 4 * size, n: layer.inputSize, k: total,
                           a: gates.gradients, lda: total, b: input.values, ldb: input.stride,
                           c: blocks.inputWeights.gradients, ldc: layer.inputSize, beta: 1)
        Activation.accumulateRowSums(gates.gradients, into: blocks.bias.gradients, rows: 4 * size, columns: total)
    }

    /// The gradient of layer `index`'s input, written where it came from: the
    /// layer below's outputs (through its dropout mask) or the embedding.
    private func passDown(from index: Int, input: Strided, dropout: Bool) {
        let layer = layers[index], size = layer.hiddenSize, total = columns
        MatrixProduct.gemm(transposeA: true, m: layer.inputSize, n: total, k: 4 * size,
                           a: layer.blocks.inputWeights.values, lda: layer.inputSize,
                           b: buffers[index].gates.gradients, ldb: total,
                           c: input.gradients, ldc: input.stride, beta: 0)
        if index > 0 && dropout {
            applyMaskToGradients(buffers[index].mask, from: buffers[index].droppedInput.gradients, into: outputs(of: index - 1))
        }
    }

    private func scatterEmbeddingGradients(_ inputs: UnsafeBufferPointer<Int>) {
        let letters = network.letterSize, total = columns, table = network.embedding
        for (column, symbol) in inputs.enumerated() {
            let target = table.gradients + symbol * letters
            for feature in 0..<letters { target[feature] += embedded.gradients[feature * total + column] }
        }
    }
}

/// The element-wise parts of an LSTM step over strided window blocks, each
/// row a run of `width` contiguous columns (the batch at one step).
enum LSTMWindowKernels {
    /// Adds the step's recurrent product (`4·rows x width`, contiguous) to
    /// the gates' preactivations, activates them in place (σ for i, f, o;
    /// tanh for g) and writes `c = f⊙c' + i⊙g`, `tanh(c)` and `h = o⊙tanh(c)`.
    static func forwardStep(gates: UnsafeMutablePointer<Float>, gateStride: Int, recurrent: UnsafePointer<Float>, rows: Int,
                            previousCell: UnsafePointer<Float>, cell: UnsafeMutablePointer<Float>,
                            hidden: UnsafeMutablePointer<Float>, stateStride: Int,
                            cellTanh: UnsafeMutablePointer<Float>, tanhStride: Int, width: Int) {
        let forgetOffset = rows * gateStride, outputOffset = 2 * forgetOffset, candidateOffset = 3 * forgetOffset
        for row in 0..<rows {
            let i = gates + row * gateStride, f = i + forgetOffset, o = i + outputOffset, g = i + candidateOffset
            let cPrevious = previousCell + row * stateStride, c = cell + row * stateStride, h = hidden + row * stateStride
            let t = cellTanh + row * tanhStride
            let ri = recurrent + row * width, rf = ri + rows * width, ro = rf + rows * width, rg = ro + rows * width
            var column = 0
            while column + 8 <= width {
                let inputGate = Activation.sigmoid(MatrixProduct.load(i + column) + MatrixProduct.load(ri + column))
                let forgetGate = Activation.sigmoid(MatrixProduct.load(f + column) + MatrixProduct.load(rf + column))
                let outputGate = Activation.sigmoid(MatrixProduct.load(o + column) + MatrixProduct.load(ro + column))
                let candidate = Activation.tanh(MatrixProduct.load(g + column) + MatrixProduct.load(rg + column))
                let newCell = forgetGate * MatrixProduct.load(cPrevious + column) + inputGate * candidate
                let squashed = Activation.tanh(newCell)
                MatrixProduct.store(inputGate, i + column)
                MatrixProduct.store(forgetGate, f + column)
                MatrixProduct.store(outputGate, o + column)
                MatrixProduct.store(candidate, g + column)
                MatrixProduct.store(newCell, c + column)
                MatrixProduct.store(squashed, t + column)
                MatrixProduct.store(outputGate * squashed, h + column)
                column += 8
            }
            while column < width {
                let inputGate = Activation.sigmoid(i[column] + ri[column]), forgetGate = Activation.sigmoid(f[column] + rf[column])
                let outputGate = Activation.sigmoid(o[column] + ro[column]), candidate = Activation.tanh(g[column] + rg[column])
                let newCell = forgetGate * cPrevious[column] + inputGate * candidate
                let squashed = Activation.tanh(newCell)
                i[column] = inputGate; f[column] = forgetGate; o[column] = outputGate; g[column] = candidate
                c[column] = newCell
                t[column] = squashed
                h[column] = outputGate * squashed
                column += 1
            }
        }
    }

    /// One step of the LSTM's backward: from the gradient of the step's
    /// output (`outputGradients`) plus the next step's (`hiddenNext`,
    /// `cellNext`, both `rows x width`), writes the gates' preactivation
    /// gradients and replaces `cellNext` with the gradient of the previous
    /// cell state. `hiddenNext` is read only; the caller overwrites it with
    /// the recurrent product afterwards.
    static func backwardStep(gates: UnsafePointer<Float>, gateGradients: UnsafeMutablePointer<Float>,
                             gateStride: Int, rows: Int,
                             outputGradients: UnsafePointer<Float>, previousCell: UnsafePointer<Float>, stateStride: Int,
                             cellTanh: UnsafePointer<Float>, tanhStride: Int,
                             hiddenNext: UnsafePointer<Float>, cellNext: UnsafeMutablePointer<Float>, width: Int) {
        let forgetOffset = rows * gateStride, outputOffset = 2 * forgetOffset, candidateOffset = 3 * forgetOffset
        let one = SIMD8<Float>(repeating: 1)
        for row in 0..<rows {
            let i = gates + row * gateStride, f = i + forgetOffset, o = i + outputOffset, g = i + candidateOffset
            let di = gateGradients + row * gateStride, df = di + forgetOffset, dO = di + outputOffset, dg = di + candidateOffset
            let dOut = outputGradients + row * stateStride, cPrevious = previousCell + row * stateStride
            let t = cellTanh + row * tanhStride
            let dhNext = hiddenNext + row * width, dcNext = cellNext + row * width
            var column = 0
            while column + 8 <= width {
                let inputGate = MatrixProduct.load(i + column), forgetGate = MatrixProduct.load(f + column)
                let outputGate = MatrixProduct.load(o + column), candidate = MatrixProduct.load(g + column)
                let squashed = MatrixProduct.load(t + column)
                let dHidden = MatrixProduct.load(dOut + column) + MatrixProduct.load(dhNext + column)
                let dCell = MatrixProduct.load(dcNext + column) + dHidden * outputGate * (one - squashed * squashed)
                MatrixProduct.store(dCell * candidate * inputGate * (one - inputGate), di + column)
                MatrixProduct.store(dCell * MatrixProduct.load(cPrevious + column) * forgetGate * (one - forgetGate), df + column)
                MatrixProduct.store(dHidden * squashed * outputGate * (one - outputGate), dO + column)
                MatrixProduct.store(dCell * inputGate * (one - candidate * candidate), dg + column)
                MatrixProduct.store(dCell * forgetGate, dcNext + column)
                column += 8
            }
            while column < width {
                let inputGate = i[column], forgetGate = f[column], outputGate = o[column], candidate = g[column]
                let squashed = t[column]
                let dHidden = dOut[column] + dhNext[column]
                let dCell = dcNext[column] + dHidden * outputGate * (1 - squashed * squashed)
                di[column] = dCell * candidate * inputGate * (1 - inputGate)
                df[column] = dCell * cPrevious[column] * forgetGate * (1 - forgetGate)
                dO[column] = dHidden * squashed * outputGate * (1 - outputGate)
                dg[column] = dCell * inputGate * (1 - candidate * candidate)
                dcNext[column] = dCell * forgetGate
                column += 1
            }
        }
    }
}
