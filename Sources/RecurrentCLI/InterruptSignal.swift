import Dispatch
import Foundation

/// Turns Ctrl-C (SIGINT) into a flag the training loop checks every tick, so
/// the run stops between ticks and still saves the model. A second Ctrl-C,
/// say while a large model is being written, ends the process at once; the
/// write is atomic, so the previous file survives.
final class InterruptSignal: @unchecked Sendable {
    // A lock rather than `Synchronization.Atomic`, which needs macOS 15 while
    // the package supports macOS 14; the loop takes it once per tick.
    private let lock = NSLock()
    private var interrupted = false
    private let source: any DispatchSourceSignal

    /// Starts catching SIGINT until ``stop()``.
    init() {
        // The default action would kill the process before the handler runs.
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        // Held by the source until stop() cancels it.
        source.setEventHandler {
            if self.markInterrupted() { _exit(130) }
        }
        source.resume()
    }

    /// Whether Ctrl-C was pressed.
    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return interrupted
    }

    /// Restores the default SIGINT behaviour.
    func stop() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }

    /// Sets the flag; returns whether it was already set.
    private func markInterrupted() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let wasSet = interrupted
        interrupted = true
        return wasSet
    }
}
