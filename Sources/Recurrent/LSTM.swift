/// One LSTM layer (as in the original library):
///
///     i = σ(Wix·x + Wih·h' + bi)    f = σ(Wfx·x + Wfh·h' + bf)
///     o = σ(Wox·x + Woh·h' + bo)    g = tanh(Wcx·x + Wch·h' + bc)
///     c = f⊙c' + i⊙g                h = o⊙tanh(c)
///
/// The four gates' weights live in one block (rows i, f, o, g) so that one
/// product computes all of them; `Wix`, `Wfx`, ... are views of it.
public final class LSTMLayer: RecurrentLayer, @unchecked Sendable {
    /// Rows of the input: the letter size, or the previous layer's hidden size.
    public let inputSize: Int
    /// Rows of the hidden and cell states.
    public let hiddenSize: Int
    /// An LSTM carries a cell state beside its hidden state.
    public var hasCell: Bool { true }
    /// The named weights and biases (views of one block).
    public let parameters: [NamedParameter]
    let blocks: GateBlocks

    /// A layer with zero weights; ``RecurrentNetwork`` initialises them.
    public init(inputSize: Int, hiddenSize: Int, index: Int) {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        let blocks = GateBlocks(blocks: 4, inputSize: inputSize, hiddenSize: hiddenSize)
        self.blocks = blocks
        parameters = ["i", "f", "o", "c"].enumerated().flatMap { block, gate in
            blocks.views(block: block, names: ("W\(gate)x\(index)", "W\(gate)h\(index)", "b\(gate)\(index)"),
                         hiddenSize: hiddenSize)
        }
    }

    /// The matrices that own the parameters' memory.
    public var storage: [Matrix] { blocks.all }

    /// One time step: the new hidden and cell states, their backward step recorded on `graph`.
    public func step(_ graph: Graph, input: Matrix, state: LayerState) -> LayerState {
        guard let cell = state.cell else { preconditionFailure("LSTM state needs a cell") }
        let next = graph.lstmCell(self, input: input, hidden: state.hidden, cell: cell)
        return LayerState(hidden: next.hidden, cell: next.cell)
    }
}
