import Foundation
import Testing

/// The built `recurrent` executable, run as a subprocess.
///
/// SwiftPM puts it in the same build-products folder as the test bundle:
/// on Linux the bundle is the test executable itself, on macOS a `.xctest`
/// bundle whose folder is the products folder.
enum RecurrentProcess {
    /// What a finished run left behind.
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String

        var stdoutLines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }
        var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
    }

    static let binaryName = "recurrent"

    /// The executable, or an error explaining where it was looked for.
    static func executable() throws -> URL {
        var candidates: [URL] = []
        var folders: [URL] = []
        if let main = Bundle.main.executableURL { folders.append(main.deletingLastPathComponent()) }
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            // Walk up out of the bundle (Contents/MacOS/... on macOS).
            var folder = bundle.bundleURL
            for _ in 0..<4 {
                folder = folder.deletingLastPathComponent()
                folders.append(folder)
            }
        }
        folders.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        candidates += folders.map { $0.appendingPathComponent(binaryName) }
        // An explicit choice replaces the search, so a wrong one is reported.
        if let override = ProcessInfo.processInfo.environment["RECURRENT_BINARY"] {
            candidates = [URL(fileURLWithPath: override)]
        }
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) {
            return found
        }
        throw MissingExecutable(searched: candidates.map(\.path))
    }

    struct MissingExecutable: Error, CustomStringConvertible {
        let searched: [String]
        var description: String {
            "the `recurrent` executable was not found next to the test bundle; build it (swift build --build-tests, or -c release for both) "
                + "or set RECURRENT_BINARY. Looked at: \(searched.joined(separator: ", "))"
        }
    }

    /// Starts `recurrent arguments` in `directory`, with output going to files
    /// (pipes could fill up and stall the child while nobody reads them).
    /// The child's environment is this process's without any `RECURRENT_`
    /// variable (a developer's shell must not change what a test sees), plus
    /// `environment`. A `launcher` (e.g. `taskset -c 0`) runs it.
    static func start(_ arguments: [String], in directory: URL, environment: [String: String] = [:],
                      launcher: [String] = []) throws -> (Process, URL, URL) {
        let process = Process()
        if let program = launcher.first {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = launcher.dropFirst() + [try executable().path] + arguments
        } else {
            process.executableURL = try executable()
            process.arguments = arguments
        }
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("RECURRENT_") }
            .merging(environment) { _, new in new }
        process.currentDirectoryURL = directory
        let id = UUID().uuidString
        let stdoutURL = directory.appendingPathComponent("stdout-\(id).txt")
        let stderrURL = directory.appendingPathComponent("stderr-\(id).txt")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, stdoutURL, stderrURL)
    }

    /// Waits at most `timeout` seconds; false if the process is still running.
    static func wait(for process: Process, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            return false
        }
        process.waitUntilExit()
        return true
    }

    static func collect(_ process: Process, stdout: URL, stderr: URL) throws -> Output {
        Output(status: process.terminationStatus,
               stdout: try String(contentsOf: stdout, encoding: .utf8),
               stderr: try String(contentsOf: stderr, encoding: .utf8))
    }

    /// Runs `recurrent arguments` to completion (at most `timeout` seconds).
    static func run(_ arguments: [String], in directory: URL, timeout: Double = 30,
                    environment: [String: String] = [:], launcher: [String] = []) throws -> Output {
        let (process, stdout, stderr) = try start(arguments, in: directory, environment: environment, launcher: launcher)
        let finished = wait(for: process, timeout: timeout)
        #expect(finished, "recurrent \(arguments.joined(separator: " ")) ran longer than \(timeout) s")
        return try collect(process, stdout: stdout, stderr: stderr)
    }
}
