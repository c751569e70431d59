/// The kind of recurrent layer a network stacks.
public enum Generator: String, Sendable, CaseIterable, Codable {
    /// Long short-term memory: input, forget and output gates and a cell state.
    case lstm
    /// The plain recurrent layer: `h = relu(Wxh·x + Whh·h' + bhh)`.
    case rnn
    /// The gated recurrent unit (this project's addition; the original has none).
    case gru
}

/// A character-level recurrent network: a letter embedding `Wil`, a stack of
/// recurrent layers and a linear decoder `Whd`, `bd` (as in the original library).
///
/// Inputs and outputs are indices `0...V`, index 0 being START as an input and
/// END as a target. A step processes a batch: one index per sequence.
public final class RecurrentNetwork: @unchecked Sendable {
    /// The kind of every layer.
    public let generator: Generator
    /// `V + 1`: the vocabulary plus START/END.
    public let symbolCount: Int
    /// The size of each symbol's embedding.
    public let letterSize: Int
    /// The hidden size of each layer, first to last.
    public let hiddenSizes: [Int]
    /// `Wil`, `(V+1) x letterSize`.
    public let embedding: Matrix
    /// The recurrent layers, input side first.
    public let layers: [any RecurrentLayer]
    /// `Whd`, `(V+1) x H_last`.
    public let decoderWeights: Matrix
    /// `bd`, `(V+1) x 1`.
    public let decoderBias: Matrix
    /// Every parameter under its model-JSON name.
    public let parameters: [NamedParameter]

    /// The scale of the uniform initialisation of weight matrices.
    public static let initialScale: Float = 0.08

    /// A network with weights drawn uniformly from `[-0.08, 0.08]` and zero biases.
    public convenience init(generator: Generator, symbolCount: Int, letterSize: Int, hiddenSizes: [Int],
                            random: inout RandomSource) {
        self.init(generator: generator, symbolCount: symbolCount, letterSize: letterSize, hiddenSizes: hiddenSizes)
        for parameter in parameters where !parameter.name.hasPrefix("b") {
            parameter.matrix.randomize(scale: Self.initialScale, using: &random)
        }
    }

    /// A network with every parameter zero (to be filled from a model file).
    public init(generator: Generator, symbolCount: Int, letterSize: Int, hiddenSizes: [Int]) {
        precondition(symbolCount >= 1 && letterSize >= 1 && !hiddenSizes.isEmpty && hiddenSizes.allSatisfy { $0 >= 1 })
        self.generator = generator
        self.symbolCount = symbolCount
        self.letterSize = letterSize
        self.hiddenSizes = hiddenSizes
        embedding = Matrix(rows: symbolCount, columns: letterSize)
        var layers: [any RecurrentLayer] = []
        var inputSize = letterSize
        for (index, size) in hiddenSizes.enumerated() {
            switch generator {
            case .lstm: layers.append(LSTMLayer(inputSize: inputSize, hiddenSize: size, index: index))
            case .rnn: layers.append(RNNLayer(inputSize: inputSize, hiddenSize: size, index: index))
            case .gru: layers.append(GRULayer(inputSize: inputSize, hiddenSize: size, index: index))
            }
            inputSize = size
        }
        self.layers = layers
        decoderWeights = Matrix(rows: symbolCount, columns: inputSize)
        decoderBias = Matrix(rows: symbolCount, columns: 1)
        parameters = layers.flatMap(\.parameters) + [
            NamedParameter(name: "Whd", matrix: decoderWeights),
            NamedParameter(name: "bd", matrix: decoderBias),
            NamedParameter(name: "Wil", matrix: embedding),
        ]
    }

    /// The expected shape of every parameter, by name.
    public var parameterShapes: [String: (rows: Int, columns: Int)] {
        Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, ($0.matrix.rows, $0.matrix.columns)) })
    }

    /// The parameter named `name`.
    public func parameter(named name: String) -> Matrix? {
        parameters.first { $0.name == name }?.matrix
    }

    /// Number of scalar parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.matrix.count } }

    /// Number of scalar parameters a network of this shape would have, worked
    /// out without allocating it (for memory budgets).
    public static func parameterCount(generator: Generator, symbolCount: Int, letterSize: Int, hiddenSizes: [Int]) -> Int {
        let gates = switch generator {
        case .lstm: 4
        case .gru: 3
        case .rnn: 1
        }
        var total = symbolCount * letterSize
        var inputSize = letterSize
        for size in hiddenSizes {
            total += gates * (size * inputSize + size * size + size)
            inputSize = size
        }
        return total + symbolCount * inputSize + symbolCount
    }

    /// Zero states for `batch` sequences.
    public func zeroState(_ graph: Graph, batch: Int) -> [LayerState] {
        layers.map { $0.zeroState(graph, batch: batch) }
    }

    /// One time step: embeds `inputs` (one index per sequence), runs every
    /// layer and returns the logits, `(V+1) x batch`. `dropout` (with
    /// `random`) applies inverted dropout to the inputs of every layer above
    /// the first and to the decoder's input; pass 0 when not training.
    public func step(_ graph: Graph, inputs: UnsafeBufferPointer<Int>, states: inout [LayerState],
                     dropout: Float = 0, random: inout RandomSource) -> Matrix {
        var x = graph.gatherRows(embedding, rows: inputs)
        for (index, layer) in layers.enumerated() {
            if index > 0 && dropout > 0 { x = graph.dropout(x, rate: dropout, using: &random) }
            states[index] = layer.step(graph, input: x, state: states[index])
            x = states[index].hidden
        }
        if dropout > 0 { x = graph.dropout(x, rate: dropout, using: &random) }
        return graph.affine(decoderWeights, x, decoderBias)
    }

    /// ``step(_:inputs:states:dropout:random:)`` for a single sequence without dropout.
    public func step(_ graph: Graph, input: Int, states: inout [LayerState]) -> Matrix {
        var unused = RandomSource(seed: 0)
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 1) { buffer in
            buffer[0] = input
            return step(graph, inputs: UnsafeBufferPointer(buffer), states: &states, random: &unused)
        }
    }

    /// Copies every parameter value from `other`, which must have the same shapes.
    public func copyWeights(from other: RecurrentNetwork) {
        for (mine, theirs) in zip(parameters, other.parameters) { mine.matrix.copyValues(from: theirs.matrix) }
    }
}
