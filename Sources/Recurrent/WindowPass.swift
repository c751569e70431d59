/// Forward and backward of one text window through a network, layer by layer
/// instead of step by step (LSTM, GRU and RNN layers).
///
/// The graph runs a window step by step, so every product of every layer has
/// only the batch's few columns: each multiplies a large weight matrix by a
/// thin one, and OpenBLAS repacks the weights on every call, while each
/// weight gradient is read and written whole at every step. Most of that work
/// does not depend on the previous step: a layer's input projection for all
/// steps, its weight gradients, and the gradient it passes down. Run one
/// layer at a time over the whole window, they become single products with
/// `steps x batch` columns, at full BLAS speed; only the recurrent products
/// (`Wh · h` forward, `Whᵀ · d` backward; for a GRU also its candidate's
/// `Wch · (r⊙h)`) stay step by step, through ``StepProduct``.
///
/// The numbers are the graph's up to the order of float additions, dropout
/// included: the masks are drawn before the forward pass in the order the
/// graph draws them (per step: each layer above the first, then the decoder).
///
/// Layout: a window quantity of `F` features is an `F x (steps·batch)`
/// row-major matrix whose column `t·batch + j` is stream `j` at step `t`. A
/// layer's hidden (and LSTM cell) states have one more block in front, the state
/// carried in from the previous window, so step `t` reads block `t` and
/// writes block `t + 1`. Buffers are allocated on first use and reused while
/// the window's shape stays the same.
final class WindowPass {
    let network: RecurrentNetwork
    private let layers: [LayerPlan]
    /// Whether the step products use ``PackedWeights`` (else BLAS).
    let usesPackedWeights: Bool
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
    /// GRU: the direct part of the previous state's gradient, and the gradient
    /// of `r⊙h'`, `H x batch`.
    private var partialCarry = Matrix(rows: 0)
    private var resetGradient = Matrix(rows: 0)
    /// Up to `4H x batch`: one step's recurrent product (`Wh · h`, or a GRU's
    /// candidate product), kept contiguous (written into the strided gates,
    /// the packed product ran about 25% slower).
    private var recurrentProduct = Matrix(rows: 0)

    /// The row blocks of a layer's recurrent weights that the per-step
    /// products use, in units of the hidden size: `[4]` for an LSTM (every
    /// gate sees `h`), `[2, 1]` for a GRU (r and z see `h`; the candidate
    /// sees `r⊙h` in a product of its own), `[1]` for an RNN. Each block is
    /// packed twice, for the forward product and for the transposed one.
    static func stepProductBlocks(_ generator: Generator) -> [Int] {
        switch generator {
        case .lstm: [4]
        case .gru: [2, 1]
        case .rnn: [1]
        }
    }

    /// What the pass needs of one layer: its weights and its step products.
    private struct LayerPlan {
        let kind: Generator
        let inputSize: Int
        let hiddenSize: Int
        let blocks: GateBlocks
        /// Gate blocks of `hiddenSize` rows: LSTM 4 (i, f, o, g), GRU 3 (r, z, n), RNN 1.
        let gateCount: Int
        /// `Wh · h` over the rows that see `h` (GRU: r and z), and its transpose.
        let forward: StepProduct
        let backward: StepProduct
        /// GRU: the candidate's `Wch · (r⊙h)` and its transpose.
        let candidateForward: StepProduct?
        let candidateBackward: StepProduct?

        init(_ layer: any RecurrentLayer, packs: Bool) {
            inputSize = layer.inputSize
            hiddenSize = layer.hiddenSize
            switch layer {
            case let lstm as LSTMLayer: (kind, blocks, gateCount) = (.lstm, lstm.blocks, 4)
            case let gru as GRULayer: (kind, blocks, gateCount) = (.gru, gru.blocks, 3)
            case let rnn as RNNLayer: (kind, blocks, gateCount) = (.rnn, rnn.blocks, 1)
            default: preconditionFailure("WindowPass: unknown layer type \(type(of: layer))")
            }
            // One forward and one transposed product per block of rows.
            var products: [(forward: StepProduct, backward: StepProduct)] = []
            var first = 0
            for count in WindowPass.stepProductBlocks(kind) {
                let rows = first * hiddenSize..<(first + count) * hiddenSize
                products.append((StepProduct(weights: blocks.recurrentWeights, rows: rows, transposed: false, packs: packs),
                                 StepProduct(weights: blocks.recurrentWeights, rows: rows, transposed: true, packs: packs)))
                first += count
            }
            (forward, backward) = products[0]
            candidateForward = products.count > 1 ? products[1].forward : nil
            candidateBackward = products.count > 1 ? products[1].backward : nil
        }

        var stepProducts: [StepProduct] { [forward, backward] + [candidateForward, candidateBackward].compactMap { $0 } }
    }

    private struct LayerBuffers {
        /// `gates·H x N`: activated gates (LSTM: i, f, o, g row blocks; GRU:
        /// r, z, n; RNN: the preactivation); gradients of the preactivations.
        let gates: Matrix
        /// `H x (N + batch)`: carried-in state, then the hidden state after each step; gradients of the outputs.
        let hidden: Matrix
        /// LSTM: `H x (N + batch)`, the cell state, laid out as `hidden`.
        let cells: Matrix
        /// LSTM: `H x N`, `tanh(c)` of each step.
        let cellTanh: Matrix
        /// GRU: `H x N`, `r⊙h'` of each step.
        let resetHidden: Matrix
        /// `inputSize x N`: the layer's input after dropout and its gradient
        /// (above the first layer, only with dropout).
        let droppedInput: Matrix
        /// `inputSize x N`: the dropout mask of the input (values only).
        let mask: Matrix
    }

    /// A pass for `network`. The step products use packed weights where the
    /// CPU allows, unless `usesPackedWeights` is false.
    init(network: RecurrentNetwork, usesPackedWeights: Bool = PackedWeights.isAvailable) {
        let packs = usesPackedWeights && PackedWeights.isAvailable
        self.network = network
        self.usesPackedWeights = packs
        layers = network.layers.map { LayerPlan($0, packs: packs) }
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
            for layer in layers { layer.stepProducts.forEach { $0.prepare() } }
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
            let dropsInput = dropout && index > 0, isLSTM = layer.kind == .lstm
            return LayerBuffers(gates: Matrix(rows: layer.gateCount * size, columns: total),
                                hidden: Matrix(rows: size, columns: wide),
                                cells: isLSTM ? Matrix(rows: size, columns: wide) : Matrix(rows: 0),
                                cellTanh: isLSTM ? Matrix(rows: size, columns: total) : Matrix(rows: 0),
                                resetHidden: layer.kind == .gru ? Matrix(rows: size, columns: total) : Matrix(rows: 0),
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
        partialCarry = Matrix(rows: largest, columns: width)
        resetGradient = Matrix(rows: largest, columns: width)
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
        func draw(_ mask: Matrix, step: Int) {
            DropoutMask.draw(into: mask.values + step * width, rows: mask.rows, columns: width, stride: columns,
                             rate: rate, using: &random)
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
        let blocks = layer.blocks, gates = buffers.gates.values, gateRows = layer.gateCount * size
        if buffers.mask.count > 0 {
            applyMask(buffers.mask, to: outputs(of: index - 1), into: buffers.droppedInput.values)
        }
        Activation.broadcast(blocks.bias.values, into: gates, rows: gateRows, columns: total)
        MatrixProduct.gemm(m: gateRows, n: total, k: layer.inputSize,
                           a: blocks.inputWeights.values, lda: layer.inputSize,
                           b: input.values, ldb: input.stride, c: gates, ldc: total, beta: 1)
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
        MatrixProduct.gemm(transposeB: true, m: layer.forward.rowCount, n: size, k: total,
                           a: gates.gradients, lda: total, b: buffers.hidden.values, ldb: stateStride,
                           c: blocks.recurrentWeights.gradients, ldc: size, beta: 1)
        if layer.kind == .gru {
            MatrixProduct.gemm(transposeB: true, m: size, n: size, k: total,
                               a: gates.gradients + 2 * size * total, lda: total, b: buffers.resetHidden.values, ldb: total,
                               c: blocks.recurrentWeights.gradients + 2 * size * size, ldc: size, beta: 1)
        }
        MatrixProduct.gemm(transposeB: true, m: gateRows, n: layer.inputSize, k: total,
                           a: gates.gradients, lda: total, b: input.values, ldb: input.stride,
                           c: blocks.inputWeights.gradients, ldc: layer.inputSize, beta: 1)
        Activation.accumulateRowSums(gates.gradients, into: blocks.bias.gradients, rows: gateRows, columns: total)
    }

    /// The gradient of layer `index`'s input, written where it came from: the
    /// layer below's outputs (through its dropout mask) or the embedding.
    private func passDown(from index: Int, input: Strided, dropout: Bool) {
        let layer = layers[index], total = columns
        MatrixProduct.gemm(transposeA: true, m: layer.inputSize, n: total, k: layer.gateCount * layer.hiddenSize,
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
