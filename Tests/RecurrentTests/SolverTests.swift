import Foundation
import Testing
@testable import Recurrent

/// Solver steps against numbers worked out by hand from the original library's rules.
@Suite struct SolverTests {
    @Test func rmspropStepClipsRegularisesAndResetsGradients() {
        let w = Matrix(rows: 1, columns: 3, values: [1, -2, 0.5])
        w.gradients[0] = 10    // clipped to 5
        w.gradients[1] = -0.2
        w.gradients[2] = -7    // clipped to -5
        let solver = Solver()
        let clipped = solver.step([NamedParameter(name: "w", matrix: w)], learningRate: 0.1, regc: 0.01, clipval: 5)
        #expect(abs(clipped - 2.0 / 3.0) < 1e-7)
        func expected(_ weight: Double, _ gradient: Double, _ clippedGradient: Double) -> Double {
            let cache = 0.001 * gradient * gradient
            return weight - 0.1 * clippedGradient / (cache + 1e-8).squareRoot() - 0.01 * weight
        }
        expectClose(w.valueArray, [expected(1, 10, 5), expected(-2, -0.2, -0.2), expected(0.5, -7, -5)],
                    relative: 1e-6, absolute: 1e-7, "weights")
        #expect(w.gradientArray == [0, 0, 0])
        let cache = solver.stepCache["w"]!.valueArray
        expectClose(cache, [0.1, 0.00004, 0.049], relative: 1e-6, absolute: 1e-12, "cache")

        // A second step decays the cache: r = 0.999 r + 0.001 g².
        w.gradients[0] = 1
        solver.step([NamedParameter(name: "w", matrix: w)], learningRate: 0.1, regc: 0, clipval: 5)
        expectClose(Double(solver.stepCache["w"]!.valueArray[0]), 0.999 * 0.1 + 0.001, relative: 1e-6, "decayed cache")
    }

    @Test func copyIsIndependentOfTheOriginal() {
        let w = Matrix(rows: 1, columns: 2, values: [1, 2])
        w.gradients[0] = 3
        let solver = Solver(optimizer: .adam)
        solver.step([NamedParameter(name: "w", matrix: w)], learningRate: 0.1, regc: 0, clipval: 5)
        let twin = solver.copy()
        #expect(twin.optimizer == .adam && twin.adamSteps == 1)
        #expect(twin.firstMoments["w"]!.valueArray == solver.firstMoments["w"]!.valueArray)
        w.gradients[1] = 1
        solver.step([NamedParameter(name: "w", matrix: w)], learningRate: 0.1, regc: 0, clipval: 5)
        #expect(twin.adamSteps == 1)
        #expect(twin.firstMoments["w"]!.valueArray != solver.firstMoments["w"]!.valueArray)
    }

    @Test func adamStepMatchesHandComputedBiasCorrection() {
        let w = Matrix(rows: 1, columns: 2, values: [1, -1])
        w.gradients[0] = 0.5
        w.gradients[1] = 8   // clipped to 2
        let solver = Solver(optimizer: .adam)
        let clipped = solver.step([NamedParameter(name: "w", matrix: w)], learningRate: 0.01, regc: 0.001, clipval: 2)
        #expect(clipped == 0.5)
        // After one step m̂ = g and v̂ = g², so the update is lr·g/(|g| + eps).
        func expected(_ weight: Double, _ g: Double) -> Double {
            weight - 0.01 * g / (abs(g) + 1e-8) - 0.001 * weight
        }
        expectClose(w.valueArray, [expected(1, 0.5), expected(-1, 2)], relative: 1e-5, absolute: 1e-7, "weights")
        #expect(solver.adamSteps == 1)
        #expect(w.gradientArray == [0, 0])
    }

    /// Eight lanes at a time or one by one, Adam computes each element the
    /// same way: three steps over 37 weights (four blocks of eight and a
    /// tail), some gradients clipped, equal to a scalar reference bit for bit.
    @Test func adamInLanesEqualsTheElementwiseFormula() {
        var random = RandomSource(seed: 9)
        let w = Matrix(rows: 37, columns: 1)
        w.randomize(scale: 1, using: &random)
        var weights = w.valueArray, m = [Float](repeating: 0, count: 37), v = m
        let solver = Solver(optimizer: .adam)
        for step in 1...3 {
            let gradients = (0..<37).map { _ in random.nextUnitFloat() * 8 - 4 }
            for index in 0..<37 { w.gradients[index] = gradients[index] }
            let clipped = solver.step([NamedParameter(name: "w", matrix: w)], learningRate: 0.01, regc: 0.001, clipval: 3)
            let c1 = 1 - powf(0.9, Float(step)), c2 = 1 - powf(0.999, Float(step))
            var count = 0
            for index in 0..<37 {
                var g = gradients[index]
                if g > 3 { g = 3; count += 1 }
                if g < -3 { g = -3; count += 1 }
                m[index] = 0.9 * m[index] + (1 - 0.9) * g
                v[index] = 0.999 * v[index] + (1 - 0.999) * g * g
                let update = (m[index] / c1) / (sqrtf(v[index] / c2) + 1e-8)
                weights[index] += -0.01 * update - 0.001 * weights[index]
            }
            #expect(w.valueArray == weights, "step \(step)")
            #expect(clipped == Float(count) / 37 && count > 0)
            #expect(w.gradientArray.allSatisfy { $0 == 0 })
        }
    }

    /// The README's example: one layer `h = W·x + b`, a gradient set by hand,
    /// backward, one solver step.
    @Test func oneStepMovesOutputsTheWayTheirGradientsAsk() {
        var random = RandomSource(seed: 1)
        let weights = Matrix(rows: 2, columns: 3)            // W, 2 x 3
        weights.randomize(scale: 0.08, using: &random)
        let bias = Matrix(rows: 2)                           // b, 2 x 1, zeros
        let x = Matrix(rows: 3, columns: 1, values: [1, 2, 3])

        let graph = Graph()                                  // records a backward step per operation
        let h = graph.add(graph.mul(weights, x), bias)       // h = W·x + b
        h.gradients[0] = -1                                  // d(loss)/dh: we want h[0] larger...
        h.gradients[1] = 1                                   // ...and h[1] smaller
        graph.backward()                                     // fills weights.gradients and bias.gradients

        let solver = Solver()                                // RMSProp, as the original
        solver.step([NamedParameter(name: "W", matrix: weights), NamedParameter(name: "b", matrix: bias)],
                    learningRate: 0.01, regc: 0.0001, clipval: 5)
        let inference = Graph(recordsBackward: false)
        let after = inference.add(inference.mul(weights, x), bias)
        #expect(after.values[0] > h.values[0])
        #expect(after.values[1] < h.values[1])
    }

    @Test func xorIsLearnedByATwoLayerNetwork() {
        var random = RandomSource(seed: 5)
        let w1 = Matrix(rows: 8, columns: 2), b1 = Matrix(rows: 8), w2 = Matrix(rows: 1, columns: 8), b2 = Matrix(rows: 1)
        w1.randomize(scale: 1, using: &random)
        w2.randomize(scale: 1, using: &random)
        let parameters = [("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2)].map { NamedParameter(name: $0.0, matrix: $0.1) }
        let inputs = Matrix(rows: 2, columns: 4, values: [0, 0, 1, 1, 0, 1, 0, 1])
        let targets: [Float] = [0, 1, 1, 0]
        let solver = Solver(optimizer: .adam)
        let graph = Graph()
        var outputs: [Float] = []
        for _ in 0..<600 {
            graph.reset()
            let out = graph.sigmoid(graph.affine(w2, graph.tanh(graph.affine(w1, inputs, b1)), b2))
            for column in 0..<4 { out.gradients[column] = out.values[column] - targets[column] }
            graph.backward()
            solver.step(parameters, learningRate: 0.05, regc: 0, clipval: 5)
            outputs = out.valueArray
        }
        for (output, target) in zip(outputs, targets) { #expect(abs(output - target) < 0.1) }
    }
}
