#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How the learning rate moves over a run whose length is known (a number
/// of ticks, or of seconds): an optional linear warm-up over the first
/// ticks, then constant or a cosine decay.
///
/// The schedule gives a factor for the base rate (the rate as set, after any
/// per-epoch decay). The warm-up factor at tick `t` (counted from 0) is
/// `(t + 1) / warmupTicks`; the cosine factor at fraction `p` of the budget
/// is `0.1 + 0.9 · (1 + cos πp) / 2`, from 1 down to a tenth of the base
/// rate at the end (nanoGPT's floor: the last ticks still learn); both
/// multiply.
public struct LearningRateSchedule: Sendable, Equatable, Codable {
    /// The shape after the warm-up.
    public enum Shape: String, Sendable, Codable, CaseIterable {
        /// The base rate throughout.
        case constant
        /// Half a cosine from the base rate to a tenth of it over the budget.
        case cosine
    }

    /// Constant or cosine after the warm-up.
    public var shape: Shape
    /// Ticks over which the rate rises linearly to the base rate (0: none).
    public var warmupTicks: Int

    /// The fraction of the base rate the cosine ends at.
    public static let cosineFloor = 0.1

    /// A schedule; the default changes nothing.
    public init(shape: Shape = .constant, warmupTicks: Int = 0) {
        precondition(warmupTicks >= 0, "warm-up ticks must not be negative")
        self.shape = shape
        self.warmupTicks = warmupTicks
    }

    /// Whether the factor is always 1.
    public var isConstant: Bool { shape == .constant && warmupTicks == 0 }

    /// The factor of the base rate for tick `tick` (ticks done before it),
    /// with `progress` the fraction of the budget used (clamped to 0...1;
    /// nil when the run has no known length, where the cosine holds the
    /// base rate).
    public func factor(tick: Int, progress: Double?) -> Double {
        var factor = 1.0
        if warmupTicks > 0 && tick < warmupTicks { factor = Double(max(0, tick) + 1) / Double(warmupTicks) }
        if shape == .cosine, let progress {
            let done = min(1, max(0, progress))
            factor *= Self.cosineFloor + (1 - Self.cosineFloor) * (1 + cos(Double.pi * done)) / 2
        }
        return factor
    }
}
