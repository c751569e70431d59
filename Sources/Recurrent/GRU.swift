/// One GRU layer (this project's addition; the original has none):
///
///     r = σ(Wrx·x + Wrh·h' + br)          (reset gate)
///     z = σ(Wzx·x + Wzh·h' + bz)          (update gate)
///     n = tanh(Wcx·x + Wch·(r⊙h') + bc)   (candidate)
///     h = (1 − z)⊙h' + z⊙n
///
/// Parameter names, layer index appended: `Wrx Wrh br Wzx Wzh bz Wcx Wch bc`
/// (`W?x`: `H x prev`, `W?h`: `H x H`, `b?`: `H x 1`). The three gates' weights
/// live in one block (rows r, z, n) and the named matrices are views of it.
public final class GRULayer: RecurrentLayer, @unchecked Sendable {
    public let inputSize: Int
    public let hiddenSize: Int
    public var hasCell: Bool { false }
    public let parameters: [NamedParameter]
    let blocks: GateBlocks

    /// A layer with zero weights; ``RecurrentNetwork`` initialises them.
    public init(inputSize: Int, hiddenSize: Int, index: Int) {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        let blocks = GateBlocks(blocks: 3, inputSize: inputSize, hiddenSize: hiddenSize)
        self.blocks = blocks
        parameters = ["r", "z", "c"].enumerated().flatMap { block, gate in
            blocks.views(block: block, names: ("W\(gate)x\(index)", "W\(gate)h\(index)", "b\(gate)\(index)"), hiddenSize: hiddenSize)
        }
    }

    public var storage: [Matrix] { blocks.all }

    public func step(_ graph: Graph, input: Matrix, state: LayerState) -> LayerState {
        LayerState(hidden: graph.gruCell(self, input: input, hidden: state.hidden))
    }

    func forward(input: Matrix, hidden: Matrix, gates: Matrix, resetHidden: Matrix, newHidden: Matrix) {
        let size = hiddenSize, batch = input.columns, area = size * batch
        // r and z see the recurrent weights directly; the candidate sees r⊙h'.
        blocks.preactivations(input: input, hidden: hidden, into: gates, recurrentRows: 2 * size)
        let g = gates.values, previous = hidden.values, rh = resetHidden.values
        Activation.sigmoid(g, into: g, count: 2 * area)
        for index in 0..<area { rh[index] = g[index] * previous[index] }
        MatrixProduct.multiply(blocks.recurrentWeights.values + 2 * size * size, rh, into: g + 2 * area,
                               m: size, k: size, n: batch, accumulate: true)
        Activation.tanh(g + 2 * area, into: g + 2 * area, count: area)
        let z = g + area, candidate = g + 2 * area, h = newHidden.values
        for index in 0..<area {
            h[index] = (1 - z[index]) * previous[index] + z[index] * candidate[index]
        }
    }

    func backward(input: Matrix, hidden: Matrix, gates: Matrix, resetHidden: Matrix, newHidden: Matrix,
                  preactivationGradients: Matrix, resetHiddenGradients: Matrix, outerProducts: OuterProductQueue) {
        let size = hiddenSize, batch = input.columns, area = size * batch
        let g = gates.values, d = preactivationGradients.values, dh = newHidden.gradients
        let previous = hidden.values, dPrevious = hidden.gradients
        for index in 0..<area {
            let z = g[area + index], candidate = g[2 * area + index]
            d[area + index] = dh[index] * (candidate - previous[index]) * z * (1 - z)
            d[2 * area + index] = dh[index] * z * (1 - candidate * candidate)
            dPrevious[index] += dh[index] * (1 - z)
        }
        // Through the candidate's product with r⊙h'.
        let candidateWeights = blocks.recurrentWeights.values + 2 * size * size
        let candidateWeightGradients = blocks.recurrentWeights.gradients + 2 * size * size
        if batch == 1 {
            outerProducts.append(target: candidateWeightGradients, rows: size, columns: size,
                                 left: d + 2 * area, right: resetHidden.values)
        } else {
            MatrixProduct.accumulateTimesTransposed(d + 2 * area, resetHidden.values, into: candidateWeightGradients,
                                                    m: size, n: batch, k: size)
        }
        let dResetHidden = resetHiddenGradients.values
        dResetHidden.update(repeating: 0, count: area)
        MatrixProduct.accumulateTransposedTimes(candidateWeights, d + 2 * area, into: dResetHidden, m: size, k: size, n: batch)
        for index in 0..<area {
            let r = g[index]
            d[index] = dResetHidden[index] * previous[index] * r * (1 - r)
            dPrevious[index] += dResetHidden[index] * r
        }
        blocks.accumulateGradients(preactivationGradients, input: input, hidden: hidden, recurrentRows: 2 * size,
                                   outerProducts: outerProducts)
    }
}
