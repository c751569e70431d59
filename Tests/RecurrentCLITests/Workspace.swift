import Foundation
import Testing

/// A temporary folder holding a small corpus, removed when the test ends.
final class Workspace {
    /// Ten short sentences: about 25 distinct characters.
    static let sentences = [
        "the cat sat on the mat",
        "a dog ran in the park",
        "the sun is hot today",
        "birds sing in the tree",
        "we like to read books",
        "the rain falls on the roof",
        "she drinks a cup of tea",
        "he walks to the shop",
        "my friend plays the drum",
        "the moon is bright at night",
    ]

    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("recurrent-cli-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // Blank and padded lines check that the file is split as for training.
        try write("corpus.txt", "  " + Self.sentences[0] + "  \n\n" + Self.sentences.dropFirst().joined(separator: "\n") + "\n")
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: folder.appendingPathComponent(name))
    }

    func data(_ name: String) throws -> Data { try Data(contentsOf: folder.appendingPathComponent(name)) }

    /// Runs `recurrent` in this folder.
    func run(_ arguments: String..., timeout: Double = 30) throws -> RecurrentProcess.Output {
        try RecurrentProcess.run(arguments, in: folder, timeout: timeout)
    }

    func run(_ arguments: [String], timeout: Double = 30) throws -> RecurrentProcess.Output {
        try RecurrentProcess.run(arguments, in: folder, timeout: timeout)
    }

    /// Trains `name` on the corpus, 300 ticks with seed 7, and requires success.
    @discardableResult
    func trainModel(_ name: String = "model.json", extra: [String] = []) throws -> RecurrentProcess.Output {
        let output = try run(["train", "--data", "corpus.txt", "--ticks", "300", "--seed", "7", "--out", name] + extra)
        try #require(output.status == 0, "train failed: \(output.stderr)")
        return output
    }

    /// The model file's top-level JSON.
    func json(_ name: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: data(name)) as? [String: Any])
    }
}

/// Checks what every usage error must look like: status 2, one `error: `
/// line on stderr, no crash report.
func expectUsageError(_ output: RecurrentProcess.Output, _ arguments: [String],
                      sourceLocation: SourceLocation = #_sourceLocation) {
    let command = arguments.joined(separator: " ")
    #expect(output.status == 2, "\(command): status \(output.status), stderr: \(output.stderr)", sourceLocation: sourceLocation)
    #expect(output.stderrLines.count == 1, "\(command): stderr should be one line: \(output.stderr)", sourceLocation: sourceLocation)
    #expect(output.stderr.hasPrefix("error: "), "\(command): \(output.stderr)", sourceLocation: sourceLocation)
    for marker in ["Fatal error", "Stack dump", "Backtrace", "Current stack trace"] {
        #expect(!output.stderr.contains(marker), "\(command): crash report: \(output.stderr)", sourceLocation: sourceLocation)
    }
    #expect(output.stdout.isEmpty, "\(command): nothing should reach stdout: \(output.stdout)", sourceLocation: sourceLocation)
}
