// What the window pass keeps per layer: its plan (weights, step products)
// and its window buffers.
extension WindowPass {
    /// What the pass needs of one layer: its weights and its step products.
    struct LayerPlan {
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
        /// The input projection `Wx · x` and its transpose, used packed only
        /// in bfloat16 (in float OpenBLAS's product of the whole window is as fast).
        let inputForward: StepProduct
        let inputBackward: StepProduct

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
            let gateRows = 0..<gateCount * hiddenSize
            inputForward = StepProduct(weights: blocks.inputWeights, rows: gateRows, transposed: false, packs: packs)
            inputBackward = StepProduct(weights: blocks.inputWeights, rows: gateRows, transposed: true, packs: packs)
        }

        var stepProducts: [StepProduct] { [forward, backward] + [candidateForward, candidateBackward].compactMap { $0 } }
    }

    struct LayerBuffers {
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
}
