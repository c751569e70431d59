import CKernels
import Testing
@testable import Recurrent

/// Runs one kernel call at a C level and at the portable level on identical
/// random buffers, and expects every buffer to agree afterwards.
enum KernelComparison {
    /// The C levels this CPU can run, each compared with the portable one.
    static let compiledLevels = CPUKernels.available.filter {
        $0 != .portable && recurrent_kernels_for_level($0.code) != nil
    }

    /// Each element within `tolerance` of the portable result, relative to
    /// its size and at least 1 (values here are of order 1; the C kernels use
    /// the same approximations but fuse and order operations differently).
    static let tolerance: Float = 2e-6

    /// Buffers of `sizes` floats filled from `seed` (uniform in −2...2, or
    /// 0...2 for the indices in `positive`); `body` gets the buffers and a
    /// level's kernels. Returns the worst relative difference, and fails the
    /// test on a NaN or a difference past ``tolerance``.
    @discardableResult
    static func expectAgreement(_ level: CPUKernels.Level, _ label: String, sizes: [Int], positive: Set<Int> = [],
                                seed: UInt64 = 1, tolerance: Float = tolerance,
                                sourceLocation: SourceLocation = #_sourceLocation,
                                _ body: (Kernels, [UnsafeMutablePointer<Float>]) -> Void) -> Float {
        var random = RandomSource(seed: seed)
        let contents = sizes.enumerated().map { index, count in
            (0..<count).map { _ in
                let unit = random.nextUnitFloat()
                return positive.contains(index) ? 2 * unit : 4 * unit - 2
            }
        }
        let expected = run(Kernels(level: .portable), contents, body)
        let actual = run(Kernels(level: level), contents, body)
        var worst: Float = 0
        for (buffer, (a, e)) in zip(actual, expected).enumerated() {
            for (index, (x, y)) in zip(a, e).enumerated() {
                let difference = abs(x - y) / max(abs(y), 1)
                guard !x.isNaN, !y.isNaN, difference <= tolerance else {
                    Issue.record("\(level) \(label): buffer \(buffer)[\(index)] is \(x), portable \(y)",
                                 sourceLocation: sourceLocation)
                    return difference
                }
                worst = max(worst, difference)
            }
        }
        return worst
    }

    private static func run(_ kernels: Kernels, _ contents: [[Float]],
                            _ body: (Kernels, [UnsafeMutablePointer<Float>]) -> Void) -> [[Float]] {
        // One spare float past each buffer, so a kernel that overruns changes it.
        let buffers = contents.map { values in
            let pointer = UnsafeMutablePointer<Float>.allocate(capacity: values.count + 1)
            pointer.initialize(from: values + [1234], count: values.count + 1)
            return pointer
        }
        defer { buffers.forEach { $0.deallocate() } }
        body(kernels, buffers)
        return zip(buffers, contents).map { pointer, values in Array(UnsafeBufferPointer(start: pointer, count: values.count + 1)) }
    }
}
