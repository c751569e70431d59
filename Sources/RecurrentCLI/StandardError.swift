import Foundation

/// Unbuffered writes to stderr, where progress and diagnostics go so that
/// stdout carries only results.
enum StandardError {
    static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func writeLine(_ text: String) {
        write(text + "\n")
    }

    /// Whether stderr is a terminal, where a live progress line can be redrawn.
    static var isTerminal: Bool { isatty(2) == 1 }
}
