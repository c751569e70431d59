/// Inputs and targets of a batch of sequences laid out time-major: step `t`
/// holds one input and one target per sequence (column). A negative target
/// masks that prediction out (a sentence shorter than the batch's longest).
public struct SequenceGrid: Sendable {
    /// Sequences in the batch.
    public private(set) var width: Int = 0
    /// Time steps.
    public private(set) var steps: Int = 0
    /// `steps x width` inputs, row-major.
    public private(set) var inputs: [Int] = []
    /// `steps x width` targets, row-major; negative means masked.
    public private(set) var targets: [Int] = []

    /// An empty grid; ``reset(width:)`` sizes it.
    public init() {}

    /// Empties the grid for `width` sequences, keeping its storage.
    public mutating func reset(width: Int) {
        self.width = width
        steps = 0
        inputs.removeAll(keepingCapacity: true)
        targets.removeAll(keepingCapacity: true)
    }

    /// Appends one time step: `width` inputs and targets.
    public mutating func appendStep(inputs stepInputs: some Sequence<Int>, targets stepTargets: some Sequence<Int>) {
        inputs.append(contentsOf: stepInputs)
        targets.append(contentsOf: stepTargets)
        steps += 1
        precondition(inputs.count == steps * width && targets.count == steps * width, "a step needs one entry per sequence")
    }

    /// Fills the grid with sentences, one per column (as in the original library): START,
    /// then the characters as inputs; the characters, then END as targets;
    /// shorter sentences are masked after their END.
    public mutating func fill(sentences: [[Int]]) {
        reset(width: sentences.count)
        let count = (sentences.map(\.count).max() ?? 0) + 1
        for step in 0..<count {
            for sentence in sentences {
                inputs.append(step == 0 || step - 1 >= sentence.count ? Vocabulary.boundary : sentence[step - 1])
                targets.append(step < sentence.count ? sentence[step] : (step == sentence.count ? Vocabulary.boundary : -1))
            }
        }
        steps = count
    }

    /// Replaces this grid with columns `range` of `source` (every step).
    public mutating func copyColumns(_ range: Range<Int>, of source: SequenceGrid) {
        precondition(range.lowerBound >= 0 && range.upperBound <= source.width, "columns outside the grid")
        reset(width: range.count)
        for step in 0..<source.steps {
            let first = step * source.width
            inputs.append(contentsOf: source.inputs[first + range.lowerBound..<first + range.upperBound])
            targets.append(contentsOf: source.targets[first + range.lowerBound..<first + range.upperBound])
        }
        steps = source.steps
    }

    /// Predictions that count (unmasked targets).
    public var predictions: Int { targets.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) } }
}

extension RecurrentNetwork {
    /// Runs `grid` forward from `states` (updated to the final states) and
    /// returns the summed cross-entropy. With a graph that records backward
    /// steps, the logits' gradients are set so that `graph.backward()` then
    /// yields the gradient of that sum. `costs`, when given, receives each
    /// column's cost.
    public func run(_ grid: SequenceGrid, on graph: Graph, states: inout [LayerState], dropout: Float = 0,
                    random: inout RandomSource, costs: UnsafeMutablePointer<Double>? = nil) -> Double {
        let width = grid.width
        var cost = 0.0
        withUnsafeTemporaryAllocation(of: Float.self, capacity: symbolCount) { scratch in
            grid.inputs.withUnsafeBufferPointer { inputs in
                grid.targets.withUnsafeBufferPointer { targets in
                    for step in 0..<grid.steps {
                        let range = step * width..<(step + 1) * width
                        let logits = self.step(graph, inputs: UnsafeBufferPointer(rebasing: inputs[range]), states: &states,
                                               dropout: dropout, random: &random)
                        cost += Softmax.crossEntropy(logits, targets: UnsafeBufferPointer(rebasing: targets[range]),
                                                     writeGradients: graph.recordsBackward, costs: costs,
                                                     scratch: scratch.baseAddress!)
                    }
                }
            }
        }
        return cost
    }
}
