import Foundation

/// When a run has diverged, the same for `recurrent train` and service jobs.
///
/// A tick diverges when its loss per character is not finite, or when it is
/// above ``factor`` times the first loss ever recorded *and* the losses stay
/// there: with at least ``minimumTicks`` ticks in the window, the log of the
/// median perplexity of the last 100 ticks (this one included) is also above
/// ``factor`` times the first loss. One sentence that an overconfident model
/// gets badly wrong is no divergence; a rule on the single tick failed healthy
/// jobs after tens of thousands of ticks.
public struct DivergenceRule: Sendable, Equatable {
    public static let factor = 3.0
    /// Ticks the window must hold before a finite loss can count as divergence.
    public static let minimumTicks = 20

    /// The loss of the first tick ever trained (kept across resumes); nil until then.
    public private(set) var firstLoss: Double?

    public init(firstLoss: Double? = nil) {
        self.firstLoss = firstLoss
    }

    /// Whether a tick of `loss` and `perplexity`, after the ticks in `recent`, diverged.
    public func isDivergence(loss: Double, perplexity: Double, recent: RecentPerplexities) -> Bool {
        guard loss.isFinite else { return true }
        guard let first = firstLoss, loss > Self.factor * first, recent.count >= Self.minimumTicks else { return false }
        return log(recent.median(adding: perplexity) ?? 0) > Self.factor * first
    }

    /// Takes `loss` as the yardstick when none was recorded yet.
    public mutating func record(_ loss: Double) {
        if firstLoss == nil { firstLoss = loss }
    }
}
