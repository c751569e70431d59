/// One vanilla RNN layer (as in the original library): `h = relu(Wxh·x + Whh·h' + bhh)`.
public final class RNNLayer: RecurrentLayer, @unchecked Sendable {
    /// Rows of the input: the letter size, or the previous layer's hidden size.
    public let inputSize: Int
    /// Rows of the hidden state.
    public let hiddenSize: Int
    /// A plain RNN carries no cell state.
    public var hasCell: Bool { false }
    /// The named weights and bias (views of one block).
    public let parameters: [NamedParameter]
    let blocks: GateBlocks

    /// A layer with zero weights; ``RecurrentNetwork`` initialises them.
    public init(inputSize: Int, hiddenSize: Int, index: Int) {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        blocks = GateBlocks(blocks: 1, inputSize: inputSize, hiddenSize: hiddenSize)
        parameters = blocks.views(block: 0, names: ("Wxh\(index)", "Whh\(index)", "bhh\(index)"), hiddenSize: hiddenSize)
    }

    /// The matrices that own the parameters' memory.
    public var storage: [Matrix] { blocks.all }

    /// One time step: the new hidden state, its backward step recorded on `graph`.
    public func step(_ graph: Graph, input: Matrix, state: LayerState) -> LayerState {
        LayerState(hidden: graph.rnnCell(self, input: input, hidden: state.hidden))
    }
}
