import ArgumentParser
import Foundation
import Recurrent

/// `recurrent gradcheck`: compares the engine's analytic gradients with finite
/// differences on a small model.
struct GradientCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradcheck",
        abstract: "Check the analytic gradients against finite differences.",
        discussion: """
            Prints one line per parameter: generator, parameter name, worst relative \
            error. Exits with status 1 if any error exceeds the bound.
            """
    )

    @Option(help: "Generator to check (default: all three).")
    var generator: Generator?

    @Option(parsing: .unconditional, help: "Largest acceptable relative error (default: \(GradientCheck.defaultBound)).")
    var bound: Double?

    func validate() throws {
        try Check.positive(bound, "--bound")
    }

    func run() throws {
        let bound = bound ?? GradientCheck.defaultBound
        var failures: [String] = []
        for generator in generator.map({ [$0] }) ?? Generator.allCases {
            for result in GradientCheck.checkModel(generator: generator) {
                let error = result.worstRelativeError
                print("\(generator.rawValue) \(result.name) \(String(format: "%.3e", error))")
                // Written so that NaN fails too.
                if !(error <= bound) { failures.append("\(generator.rawValue) \(result.name)") }
            }
        }
        guard failures.isEmpty else {
            throw CommandError.failure("gradient check failed: \(failures.joined(separator: ", ")) above the bound \(bound)")
        }
    }
}
