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
    /// Rows of the input: the letter size, or the previous layer's hidden size.
    public let inputSize: Int
    /// Rows of the hidden state.
    public let hiddenSize: Int
    /// A GRU carries no cell state.
    public var hasCell: Bool { false }
    /// The named weights and biases (views of one block).
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

    /// The matrices that own the parameters' memory.
    public var storage: [Matrix] { blocks.all }

    /// One time step: the new hidden state, its backward step recorded on `graph`.
    public func step(_ graph: Graph, input: Matrix, state: LayerState) -> LayerState {
        LayerState(hidden: graph.gruCell(self, input: input, hidden: state.hidden))
    }
}
