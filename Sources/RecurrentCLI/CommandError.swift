import Foundation

/// A failure the command reports as one `error: ` line on stderr.
struct CommandError: Error, CustomStringConvertible {
    /// Exit status of bad use: a missing or malformed file, a bad value.
    static let usageStatus: Int32 = 2
    /// Exit status of a run that went wrong after valid input (for example a
    /// diverged model or a failed write).
    static let failureStatus: Int32 = 1

    let message: String
    let exitStatus: Int32

    /// Bad use (exit status 2).
    static func usage(_ message: String) -> CommandError {
        CommandError(message: message, exitStatus: usageStatus)
    }

    /// A failure of valid work (exit status 1).
    static func failure(_ message: String) -> CommandError {
        CommandError(message: message, exitStatus: failureStatus)
    }

    var description: String { message }
}
