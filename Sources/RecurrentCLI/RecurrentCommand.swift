import ArgumentParser
import Foundation
import Recurrent
import RecurrentHTTP
import RecurrentLaunch

/// The `recurrent` command: trains, samples, evaluates and checks character
/// models from the shell.
@main
struct RecurrentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recurrent",
        abstract: "Train and use character-level recurrent language models (a Swift recurrentjs).",
        discussion: """
            Loss is reported in nats per prediction and perplexity = exp(loss); a \
            sentence of n characters makes n + 1 predictions (each character, then END).
            Every usage error exits with status 2.
            """,
        version: ServiceVersion.current,
        subcommands: [TrainCommand.self, SampleCommand.self, EvaluateCommand.self, GradientCheckCommand.self,
                      ServeCommand.self, BackupCommand.self]
    )

    /// Replaces ArgumentParser's entry point so that every usage error, its own
    /// or ours, is one `error: ` line on stderr and exit status 2 (it would
    /// print usage text and exit 64).
    static func main() {
        // Before anything else: may restart the process once with faster BLAS kernels.
        OpenBLASKernelChoice.applyBeforeStart()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exitReporting(error)
        }
    }

    private static func exitReporting(_ error: any Error) -> Never {
        if let failure = error as? CommandError {
            StandardError.writeLine("error: \(failure.message)")
            Foundation.exit(failure.exitStatus)
        }
        if let code = error as? ExitCode {
            Foundation.exit(code.rawValue)
        }
        // Help and version requests: let ArgumentParser print them and exit 0.
        let code = exitCode(for: error)
        if code == .success {
            exit(withError: error)
        }
        let message = message(for: error)
            .split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
        StandardError.writeLine("error: \(message.isEmpty ? String(describing: error) : message)")
        // ArgumentParser's parse and validation errors (its EX_USAGE, 64) are
        // usage errors like ours.
        Foundation.exit(code == .validationFailure ? CommandError.usageStatus : code.rawValue)
    }
}
