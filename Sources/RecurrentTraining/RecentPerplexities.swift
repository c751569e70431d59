import Foundation

/// The perplexities of the most recent ticks (a ring of ``capacity``), for
/// the median shown as progress and used by the ``DivergenceRule``.
public struct RecentPerplexities: Sendable, Equatable {
    public static let capacity = 100

    private var values: [Double] = []
    private var next = 0

    public init() {
        values.reserveCapacity(Self.capacity)
    }

    public var count: Int { values.count }

    public mutating func add(_ perplexity: Double) {
        if values.count < Self.capacity { values.append(perplexity) } else { values[next] = perplexity }
        next = (next + 1) % Self.capacity
    }

    /// The median; nil before the first tick.
    public var median: Double? { Self.median(values) }

    /// The median of these values and one more, without keeping it.
    public func median(adding value: Double) -> Double? { Self.median(values + [value]) }

    /// The middle value, or the mean of the two middle ones; nil when empty.
    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// The figures of the ticks since the last metric point, closed every
/// ``TrainingRun/metricInterval`` ticks (the cadence of the service's loss graph).
public struct MetricSummary: Sendable, Equatable {
    public var step: Int
    /// Median perplexity of the ticks since the previous point.
    public var medianPerplexity: Double
    /// Mean loss per character of those ticks.
    public var meanLoss: Double
    /// The rate in force at `step`.
    public var learningRate: Double
    /// Ticks per second since the previous point (0 when no time passed).
    public var ticksPerSecond: Double
}

/// Ticks and predictions per second over some interval.
public struct TrainingSpeed: Sendable, Equatable {
    public var ticksPerSecond: Double
    /// A sentence of n characters counts n + 1 predictions.
    public var charactersPerSecond: Double
}
