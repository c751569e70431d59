/// Finite-difference checks of the analytic gradients.
///
/// For each parameter element `w`, the numerical gradient is the five-point
/// central difference `(−L(w+2h) + 8L(w+h) − 8L(w−h) + L(w−2h)) / 12h` and the
/// relative error against the analytic gradient `a` is
/// `|a − n| / max(|a| + |n|, floor)`. The network computes in `Float`, so the
/// step is large (0.05, with a fourth-order stencil to keep truncation small)
/// and the bound looser than a double-precision check's; a wrong gradient rule
/// still shows up as an error near 1.
public enum GradientCheck {
    /// The worst error found in one parameter.
    public struct Result: Sendable, Equatable {
        /// The parameter's name, e.g. `Wix0`.
        public let name: String
        /// The largest relative error over the parameter's elements.
        public let worstRelativeError: Double
        /// Number of elements compared.
        public let checked: Int
        /// Elements left out because a kink lay within the finite-difference step.
        public let skipped: Int
    }

    /// Errors above this fail the check.
    public static let defaultBound = 2e-2
    /// Finite-difference step.
    public static let step: Float = 5e-2
    /// Gradients smaller than this are compared absolutely rather than relatively.
    public static let floor = 1e-3

    /// Compares analytic gradients with finite differences for every element of
    /// every parameter. `computeGradients` must zero and then fill the
    /// parameters' gradients for the loss that `loss` evaluates.
    public static func check(parameters: [NamedParameter], step: Float = GradientCheck.step, loss: () -> Double,
                             computeGradients: () -> Void) -> [Result] {
        computeGradients()
        let analytic = parameters.map(\.matrix.gradientArray)
        var results: [Result] = []
        for (parameter, gradients) in zip(parameters, analytic) {
            let matrix = parameter.matrix
            var worst = 0.0, skipped = 0
            for index in 0..<matrix.count {
                let original = matrix.values[index]
                func lossAt(_ offset: Float) -> Double {
                    matrix.values[index] = original + offset
                    return loss()
                }
                func difference(_ h: Float) -> Double {
                    (-lossAt(2 * h) + 8 * lossAt(h) - 8 * lossAt(-h) + lossAt(-2 * h)) / (12 * Double(h))
                }
                let numeric = difference(step)
                let finer = difference(step / 2)
                matrix.values[index] = original
                // Two step sizes that disagree mean a kink (ReLU at zero) lies
                // within reach: finite differences say nothing there.
                if abs(numeric - finer) > 0.1 * max(abs(numeric), abs(finer), floor * 10) {
                    skipped += 1
                    continue
                }
                let a = Double(gradients[index])
                worst = max(worst, abs(a - numeric) / max(abs(a) + abs(numeric), floor))
            }
            results.append(Result(name: parameter.name, worstRelativeError: worst, checked: matrix.count - skipped,
                                  skipped: skipped))
        }
        return results
    }

    /// Checks every parameter of a small character model of `generator`
    /// (two layers, a handful of short sentences trained as one masked batch).
    public static func checkModel(generator: Generator, seed: UInt64 = 42) -> [Result] {
        let sentences = ["abc", "ba ca", "cab, bad!", "d"]
        var random = RandomSource(seed: seed)
        let vocabulary = Vocabulary(sentences: sentences)
        let model = CharacterModel(vocabulary: vocabulary, generator: generator, hiddenSizes: [6, 5],
                                   letterSize: 3, random: &random)
        // Larger weights than the default initialisation, so every gate is exercised.
        for parameter in model.network.parameters {
            parameter.matrix.randomize(scale: 0.5, using: &random)
            // Keep ReLU preactivations mostly clear of the kink at zero, where
            // finite differences are meaningless.
            if generator == .rnn && parameter.name.hasPrefix("bhh") {
                for index in 0..<parameter.matrix.count { parameter.matrix.values[index] += 1 }
            }
        }
        guard let trainer = try? CharacterTrainer(model: model, sentences: sentences, random: random) else {
            preconditionFailure("the gradient-check corpus is valid by construction")
        }
        return check(
            parameters: model.network.parameters,
            step: generator == .rnn ? 1e-2 : step,
            loss: { trainer.sentences.reduce(0.0) { $0 + model.cost(ofEncoded: $1) } },
            computeGradients: {
                for parameter in model.network.parameters { parameter.matrix.zeroGradients() }
                _ = trainer.accumulateGradients(trainer.sentences)
            }
        )
    }
}
