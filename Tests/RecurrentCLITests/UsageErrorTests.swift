import Foundation
import Testing

@Suite("usage errors")
struct UsageErrorTests {
    /// Bad uses that need no model file.
    static let cases: [[String]] = [
        ["train"],
        ["train", "--data", "missing.txt"],
        ["train", "--data", "."],
        ["train", "--data", "empty.txt"],
        ["train", "--data", "corpus.txt", "--learning-rate", "-1"],
        ["train", "--data", "corpus.txt", "--learning-rate", "fast"],
        ["train", "--data", "corpus.txt", "--hidden-sizes", "20,x"],
        ["train", "--data", "corpus.txt", "--hidden-sizes", "0"],
        ["train", "--data", "corpus.txt", "--generator", "transformer"],
        ["train", "--data", "corpus.txt", "--optimizer", "sgd"],
        ["train", "--data", "corpus.txt", "--clipval", "0"],
        ["train", "--data", "corpus.txt", "--regc", "-0.1"],
        ["train", "--data", "corpus.txt", "--ticks", "0"],
        ["train", "--data", "corpus.txt", "--ticks", "5", "--seconds", "5"],
        ["train", "--data", "corpus.txt", "--out", "no/such/folder/model.json"],
        ["train", "--data", "corpus.txt", "--resume", "missing.json"],
        ["train", "--data", "corpus.txt", "--resume", "corpus.txt"],
        ["train", "--data", "corpus.txt", "--unknown-flag"],
        ["train", "--data", "corpus.txt", "--corpus", "book"],
        ["train", "--data", "corpus.txt", "--corpus", "text", "--val-fraction", "1"],
        ["train", "--data", "corpus.txt", "--corpus", "text", "--seq-length", "0"],
        ["train", "--data", "corpus.txt", "--batch-size", "0"],
        ["train", "--data", "corpus.txt", "--dropout", "1.5"],
        ["train", "--data", "corpus.txt", "--lr-decay", "0"],
        ["train", "--data", "corpus.txt", "--threads", "0"],
        ["sample"],
        ["sample", "--model", "missing.json"],
        ["sample", "--model", "corpus.txt"],
        ["sample", "--model", "malformed.json"],
        ["sample", "--model", "array.json"],
        ["evaluate", "--model", "malformed.json", "--data", "corpus.txt"],
        ["evaluate", "--data", "corpus.txt"],
        ["gradcheck", "--generator", "lstmx"],
        ["gradcheck", "--bound", "-1"],
        ["no-such-command"],
    ]

    @Test("exit 2 with one error line", arguments: cases)
    func usageError(_ arguments: [String]) throws {
        let workspace = try Workspace()
        try workspace.write("empty.txt", "\n   \n\t\n")
        try workspace.write("malformed.json", #"{"generator":"lstm","hidden_sizes":[20],"letter_size":5}"#)
        try workspace.write("array.json", "[1, 2, 3]")
        expectUsageError(try workspace.run(arguments), arguments)
    }

    @Test("bad uses that involve a trained model")
    func usageErrorsWithModel() throws {
        let workspace = try Workspace()
        try workspace.trainModel()
        let cases: [[String]] = [
            ["train", "--data", "corpus.txt", "--resume", "model.json", "--generator", "rnn"],
            ["train", "--data", "corpus.txt", "--resume", "model.json", "--hidden-sizes", "30"],
            ["sample", "--model", "model.json", "--temperature", "0"],
            ["sample", "--model", "model.json", "--count", "x"],
            ["evaluate", "--model", "model.json", "--data", "missing.txt"],
        ]
        for arguments in cases {
            expectUsageError(try workspace.run(arguments), arguments)
        }
    }

    @Test("--help prints help on stdout and exits 0", arguments: [["--help"], ["train", "--help"], ["help", "sample"]])
    func help(_ arguments: [String]) throws {
        let workspace = try Workspace()
        let output = try workspace.run(arguments)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("USAGE"))
        #expect(output.stderr.isEmpty)
    }
}
