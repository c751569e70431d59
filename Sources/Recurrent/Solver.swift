import CKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which update rule a ``Solver`` applies.
public enum Optimizer: String, Sendable, CaseIterable, Codable {
    /// RMSProp exactly as the original library.
    case rmsprop
    /// Adam (beta1 0.9, beta2 0.999, eps 1e-8) with the same clipping and L2.
    case adam
}

/// Updates parameters from their gradients, then zeroes the gradients.
///
/// RMSProp, per element with gradient `g` and cache `r`:
/// `r = 0.999·r + 0.001·g²` (unclipped `g`); `g = clamp(g, −clip, clip)`;
/// `w −= learningRate·g/√(r + 1e-8) + regc·w`.
///
/// Adam clips `g` first, then `m = β1·m + (1−β1)·g`, `v = β2·v + (1−β2)·g²`,
/// `w −= learningRate·m̂/(√v̂ + ε) + regc·w` with bias-corrected `m̂`, `v̂`.
///
/// State is kept per parameter name, as the original keys its step cache.
public final class Solver: @unchecked Sendable {
    /// The update rule.
    public let optimizer: Optimizer
    /// RMSProp's cache decay (`decay_rate` in the model JSON).
    public let decayRate = 0.999
    /// RMSProp's smoothing term (`smooth_eps` in the model JSON).
    public let smoothEpsilon = 1e-8
    /// Adam's first-moment decay.
    public let beta1: Float = 0.9
    /// Adam's second-moment decay.
    public let beta2: Float = 0.999
    /// Adam's epsilon.
    public let adamEpsilon: Float = 1e-8

    /// RMSProp's cache of squared gradients (`step_cache`), by parameter name.
    public private(set) var stepCache: [String: Matrix] = [:]
    /// Adam's first moments, by parameter name.
    public private(set) var firstMoments: [String: Matrix] = [:]
    /// Adam's second moments, by parameter name.
    public private(set) var secondMoments: [String: Matrix] = [:]
    /// Adam's step count.
    public private(set) var adamSteps: Int = 0

    /// A solver with no state yet; it creates each parameter's on its first step.
    public init(optimizer: Optimizer = .rmsprop) {
        self.optimizer = optimizer
    }

    /// Replaces the solver state (for loading a model file or a checkpoint).
    public func restore(stepCache: [String: Matrix], firstMoments: [String: Matrix] = [:],
                        secondMoments: [String: Matrix] = [:], adamSteps: Int = 0) {
        self.stepCache = stepCache
        self.firstMoments = firstMoments
        self.secondMoments = secondMoments
        self.adamSteps = adamSteps
    }

    /// An independent copy of the solver and its state (for exporting a
    /// consistent snapshot while training goes on).
    public func copy() -> Solver {
        func duplicate(_ table: [String: Matrix]) -> [String: Matrix] {
            table.mapValues { matrix in
                let twin = Matrix(rows: matrix.rows, columns: matrix.columns)
                twin.copyValues(from: matrix)
                return twin
            }
        }
        let twin = Solver(optimizer: optimizer)
        twin.restore(stepCache: duplicate(stepCache), firstMoments: duplicate(firstMoments),
                     secondMoments: duplicate(secondMoments), adamSteps: adamSteps)
        return twin
    }

    private func state(_ table: inout [String: Matrix], for parameter: NamedParameter) -> Matrix {
        if let existing = table[parameter.name], existing.count == parameter.matrix.count { return existing }
        let fresh = Matrix(rows: parameter.matrix.rows, columns: parameter.matrix.columns)
        table[parameter.name] = fresh
        return fresh
    }

    /// One update of every parameter; returns the fraction of gradient
    /// elements that were clipped.
    @discardableResult
    public func step(_ parameters: [NamedParameter], learningRate: Float, regc: Float, clipval: Float) -> Float {
        var clipped = 0, total = 0
        if optimizer == .adam { adamSteps += 1 }
        for parameter in parameters {
            let matrix = parameter.matrix
            total += matrix.count
            switch optimizer {
            case .rmsprop:
                let cache = state(&stepCache, for: parameter)
                clipped += rmsprop(matrix, cache: cache.values, learningRate: learningRate, regc: regc, clipval: clipval)
            case .adam:
                let m = state(&firstMoments, for: parameter), v = state(&secondMoments, for: parameter)
                clipped += adam(matrix, m: m.values, v: v.values, learningRate: learningRate, regc: regc, clipval: clipval)
            }
        }
        return total == 0 ? 0 : Float(clipped) / Float(total)
    }

    private func rmsprop(_ matrix: Matrix, cache: UnsafeMutablePointer<Float>,
                         learningRate: Float, regc: Float, clipval: Float) -> Int {
        Kernels.selected.table.rmsprop(matrix.values, matrix.gradients, cache, matrix.count, Float(decayRate),
                                       Float(1 - decayRate), Float(smoothEpsilon), learningRate, regc, clipval)
    }

    /// The RMSProp update of `count` parameters, the portable level's kernel;
    /// returns how many gradients were clipped.
    static func portableRMSProp(weights w: UnsafeMutablePointer<Float>, gradients dw: UnsafeMutablePointer<Float>,
                                cache: UnsafeMutablePointer<Float>, count: Int, decay: Float, keep: Float,
                                epsilon eps: Float, learningRate: Float, regc: Float, clip clipval: Float) -> Int {
        var clipped = 0
        var index = 0
        // Eight lanes at a time; the same arithmetic, in the same order, as the tail.
        let decays = SIMD8<Float>(repeating: decay), keeps = SIMD8<Float>(repeating: keep)
        let epsilons = SIMD8<Float>(repeating: eps), rates = SIMD8<Float>(repeating: -learningRate)
        let regcs = SIMD8<Float>(repeating: regc)
        let upper = SIMD8<Float>(repeating: clipval), lower = SIMD8<Float>(repeating: -clipval)
        var clippedLanes = SIMD8<Int32>()
        while index + 8 <= count {
            let g = MatrixProduct.load(dw + index)
            let r = MatrixProduct.load(cache + index) * decays + keeps * g * g
            MatrixProduct.store(r, cache + index)
            let over = g .> upper, under = g .< lower
            clippedLanes &+= SIMD8<Int32>().replacing(with: 1, where: over .| under)
            let limited = g.replacing(with: upper, where: over).replacing(with: lower, where: under)
            let weights = MatrixProduct.load(w + index)
            MatrixProduct.store(weights + (rates * limited / (r + epsilons).squareRoot() - regcs * weights), w + index)
            MatrixProduct.store(SIMD8<Float>(), dw + index)
            index += 8
        }
        clipped += Int(clippedLanes.wrappedSum())
        while index < count {
            var g = dw[index]
            let r = cache[index] * decay + keep * g * g
            cache[index] = r
            if g > clipval { g = clipval; clipped += 1 }
            if g < -clipval { g = -clipval; clipped += 1 }
            w[index] += -learningRate * g / sqrtf(r + eps) - regc * w[index]
            dw[index] = 0
            index += 1
        }
        return clipped
    }

    private func adam(_ matrix: Matrix, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
                      learningRate: Float, regc: Float, clipval: Float) -> Int {
        let w = matrix.values, dw = matrix.gradients, count = matrix.count
        let b1 = beta1, b2 = beta2, eps = adamEpsilon
        let correction1 = 1 - powf(b1, Float(adamSteps)), correction2 = 1 - powf(b2, Float(adamSteps))
        var clipped = 0, index = 0
        // Eight lanes at a time, with the same arithmetic in the same order as the tail.
        let upper = SIMD8<Float>(repeating: clipval), lower = SIMD8<Float>(repeating: -clipval)
        let decay1 = SIMD8<Float>(repeating: b1), keep1 = SIMD8<Float>(repeating: 1 - b1)
        let decay2 = SIMD8<Float>(repeating: b2), keep2 = SIMD8<Float>(repeating: 1 - b2)
        let corrections1 = SIMD8<Float>(repeating: correction1), corrections2 = SIMD8<Float>(repeating: correction2)
        let epsilons = SIMD8<Float>(repeating: eps), rates = SIMD8<Float>(repeating: -learningRate)
        let regcs = SIMD8<Float>(repeating: regc)
        var clippedLanes = SIMD8<Int32>()
        while index + 8 <= count {
            var g = MatrixProduct.load(dw + index)
            let over = g .> upper, under = g .< lower
            clippedLanes &+= SIMD8<Int32>().replacing(with: 1, where: over .| under)
            g = g.replacing(with: upper, where: over).replacing(with: lower, where: under)
            let first = decay1 * MatrixProduct.load(m + index) + keep1 * g
            let second = decay2 * MatrixProduct.load(v + index) + keep2 * g * g
            MatrixProduct.store(first, m + index)
            MatrixProduct.store(second, v + index)
            let update = (first / corrections1) / ((second / corrections2).squareRoot() + epsilons)
            let weights = MatrixProduct.load(w + index)
            MatrixProduct.store(weights + (rates * update - regcs * weights), w + index)
            MatrixProduct.store(SIMD8<Float>(), dw + index)
            index += 8
        }
        clipped += Int(clippedLanes.wrappedSum())
        while index < count {
            var g = dw[index]
            if g > clipval { g = clipval; clipped += 1 }
            if g < -clipval { g = -clipval; clipped += 1 }
            let first = b1 * m[index] + (1 - b1) * g
            let second = b2 * v[index] + (1 - b2) * g * g
            m[index] = first
            v[index] = second
            let update = (first / correction1) / (sqrtf(second / correction2) + eps)
            w[index] += -learningRate * update - regc * w[index]
            dw[index] = 0
            index += 1
        }
        return clipped
    }
}
