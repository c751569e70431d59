import Foundation
import Recurrent

/// Where training stands, as the progress line shows it.
struct TrainingProgress {
    var ticks: Int
    var epoch: Double
    /// Median perplexity of the recent ticks.
    var perplexity: Double
    /// Predictions per second this run: a sentence of n characters counts n + 1.
    var charactersPerSecond: Double
    /// Estimated seconds until the run ends.
    var secondsLeft: Double
    /// Latest validation loss (text corpora).
    var validationLoss: Double? = nil
    /// Best validation so far (text corpora).
    var bestValidation: ValidationResult? = nil

    var line: String {
        var line = "tick \(ticks)  epoch \(String(format: "%.2f", epoch))  perplexity \(String(format: "%.3f", perplexity))"
        if let validationLoss {
            line += "  val loss \(String(format: "%.4f", validationLoss))"
            if let bestValidation { line += " (best \(String(format: "%.4f", bestValidation.loss)) at \(bestValidation.step))" }
        }
        return line + "  \(Int(charactersPerSecond.rounded())) chars/s  \(Self.duration(secondsLeft)) left"
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let whole = Int(seconds.rounded(.up))
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m\(String(format: "%02d", whole % 60))s" }
        return "\(whole / 3600)h\(String(format: "%02d", whole / 60 % 60))m"
    }
}

/// Shows training progress on stderr: on a terminal a single line redrawn in
/// place a few times a second; otherwise (a log file, a pipe) a plain line
/// every 100 ticks or every second, whichever is rarer, so logs stay short.
/// The first tick is always shown, so a person (or a benchmark) sees when
/// training has begun.
struct ProgressReporter {
    enum Style { case live, plain }

    let style: Style
    private var lastTicks = 0
    private var lastTime: ContinuousClock.Instant
    private var lineShown = false
    private var firstShown = false

    static let liveInterval: Duration = .milliseconds(100)
    static let plainInterval: Duration = .seconds(1)
    static let plainTicks = 100

    init(style: Style, ticks: Int, now: ContinuousClock.Instant) {
        self.style = style
        lastTicks = ticks
        lastTime = now
    }

    /// Whether a line is due at `ticks`, `now`.
    func isDue(ticks: Int, now: ContinuousClock.Instant) -> Bool {
        guard firstShown else { return true }
        return switch style {
        case .live: now - lastTime >= Self.liveInterval
        case .plain: ticks - lastTicks >= Self.plainTicks && now - lastTime >= Self.plainInterval
        }
    }

    /// Shows `progress` and restarts the cadence.
    mutating func show(_ progress: TrainingProgress, now: ContinuousClock.Instant) {
        lastTicks = progress.ticks
        lastTime = now
        firstShown = true
        switch style {
        case .live:
            // Carriage return and erase-to-end-of-line redraw the line in place.
            StandardError.write("\r" + progress.line + "\u{1B}[K")
            lineShown = true
        case .plain:
            StandardError.writeLine(progress.line)
        }
    }

    /// Writes other text (samples) to stderr, moving off the live line first.
    mutating func interject(_ text: String) {
        endLine()
        StandardError.write(text)
    }

    /// Ends the live line so that what follows starts on a fresh one.
    mutating func endLine() {
        if lineShown {
            StandardError.write("\r\u{1B}[K")
            lineShown = false
        }
    }

    /// Shows the final state, kept on screen.
    mutating func finish(_ progress: TrainingProgress, now: ContinuousClock.Instant) {
        show(progress, now: now)
        if style == .live {
            StandardError.write("\n")
            lineShown = false
        }
    }
}
