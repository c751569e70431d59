import Foundation
import Recurrent
import Testing

@Suite("recurrent train")
struct TrainCommandTests {
    @Test("writes a model that loads, with the tick count in its training field")
    func trainsAndWrites() throws {
        let workspace = try Workspace()
        let output = try workspace.trainModel()
        #expect(output.stdoutLines.count == 1, "one summary line: \(output.stdout)")
        #expect(output.stdout.contains("model.json"))

        let loaded = try ModelFile.load(workspace.data("model.json"))
        #expect(loaded.hadSolverState)
        #expect(loaded.model.generator == .lstm)
        #expect(loaded.model.hiddenSizes == [20, 20])
        #expect(loaded.model.letterSize == 5)
        #expect(loaded.model.vocabulary == Vocabulary(sentences: Workspace.sentences))

        let training = try #require(workspace.json("model.json")["training"] as? [String: Any])
        #expect(training["ticks"] as? Int == 300)
        #expect(training["optimizer"] as? String == "rmsprop")
        #expect((training["learning_rate"] as? Double).map { abs($0 - 0.01) < 1e-9 } == true)
        #expect((training["clipval"] as? Double) == 5)
    }

    @Test("the same seed trains the same model")
    func seedIsReproducible() throws {
        let workspace = try Workspace()
        try workspace.trainModel("a.json")
        try workspace.trainModel("b.json")
        #expect(try workspace.data("a.json") == workspace.data("b.json"))
    }

    @Test("--resume continues the tick count, settings and optimizer")
    func resumeContinues() throws {
        let workspace = try Workspace()
        try workspace.trainModel("first.json", extra: ["--generator", "gru", "--hidden-sizes", "8", "--optimizer", "adam",
                                                       "--learning-rate", "0.005"])
        let output = try workspace.run("train", "--data", "corpus.txt", "--resume", "first.json", "--ticks", "200",
                                       "--out", "second.json")
        try #require(output.status == 0, "resume failed: \(output.stderr)")
        let loaded = try ModelFile.load(workspace.data("second.json"))
        #expect(loaded.model.generator == .gru)
        #expect(loaded.model.hiddenSizes == [8])
        #expect(loaded.solver.optimizer == .adam)
        let training = try #require(workspace.json("second.json")["training"] as? [String: Any])
        #expect(training["ticks"] as? Int == 500)
        #expect((training["learning_rate"] as? Double).map { abs($0 - 0.005) < 1e-9 } == true)
    }

    @Test("300 ticks and a resumed 300 make the same file as 600 ticks at once")
    func resumeIsSeamless() throws {
        let workspace = try Workspace()
        try workspace.trainModel("half.json")
        let resumed = try workspace.run("train", "--data", "corpus.txt", "--resume", "half.json", "--ticks", "300",
                                        "--out", "resumed.json")
        try #require(resumed.status == 0, "resume failed: \(resumed.stderr)")
        let straight = try workspace.run("train", "--data", "corpus.txt", "--ticks", "600", "--seed", "7",
                                         "--out", "straight.json")
        try #require(straight.status == 0, "train failed: \(straight.stderr)")
        #expect(try workspace.data("resumed.json") == workspace.data("straight.json"))
    }

    @Test("--resume refuses data with characters outside the model's vocabulary")
    func resumeRefusesUnknownCharacters() throws {
        let workspace = try Workspace()
        try workspace.trainModel()
        try workspace.write("other.txt", "the cat\nZebra!\n")
        let arguments = ["train", "--data", "other.txt", "--resume", "model.json", "--ticks", "10", "--out", "x.json"]
        let output = try workspace.run(arguments)
        expectUsageError(output, arguments)
        #expect(output.stderr.contains("'Z'"))
        #expect(!FileManager.default.fileExists(atPath: workspace.path("x.json")))
    }

    @Test("progress lines go to stderr when it is not a terminal")
    func plainProgress() throws {
        let workspace = try Workspace()
        let output = try workspace.trainModel()
        let progress = output.stderrLines.filter { $0.hasPrefix("tick ") }
        #expect(!progress.isEmpty, "no progress line in: \(output.stderr)")
        #expect(progress.last?.hasPrefix("tick 300 ") == true)
        for label in ["epoch 30.00", "perplexity", "chars/s", "left"] {
            #expect(progress.last?.contains(label) == true, "\(label) missing from \(progress.last ?? "")")
        }
        #expect(!output.stderr.contains("\r"), "no live redraw when stderr is a file")
        #expect(!output.stdout.contains("tick "), "progress stays off stdout")
    }

    @Test("Ctrl-C stops a long run promptly and still writes the model")
    func interruptWritesModel() throws {
        let workspace = try Workspace()
        let arguments = ["train", "--data", "corpus.txt", "--seconds", "60", "--seed", "3", "--out", "interrupted.json"]
        let (process, stdout, stderr) = try RecurrentProcess.start(arguments, in: workspace.folder)
        usleep(1_500_000)
        let interruptedAt = Date()
        process.interrupt()
        let finished = RecurrentProcess.wait(for: process, timeout: 10)
        try #require(finished, "train did not stop within 10 s of SIGINT")
        #expect(Date().timeIntervalSince(interruptedAt) < 10)
        let output = try RecurrentProcess.collect(process, stdout: stdout, stderr: stderr)
        #expect(output.status == 0, "stderr: \(output.stderr)")
        #expect(output.stdout.hasPrefix("interrupted"), "summary: \(output.stdout)")
        #expect(output.stderrLines.contains { $0.hasPrefix("tick ") }, "progress: \(output.stderr)")

        let loaded = try ModelFile.load(workspace.data("interrupted.json"))
        #expect(loaded.hadSolverState)
        let training = try #require(workspace.json("interrupted.json")["training"] as? [String: Any])
        #expect((training["ticks"] as? Int ?? 0) > 0)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: workspace.folder.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }

    @Test("a run that diverges stops, writes nothing and exits with status 1 (the service's rule)")
    func divergenceWritesNothing() throws {
        let workspace = try Workspace()
        let output = try workspace.run("train", "--data", "corpus.txt", "--ticks", "3000", "--seed", "7",
                                       "--learning-rate", "1000", "--out", "model.json")
        #expect(output.status == 1, "stderr: \(output.stderr)")
        #expect(output.stderr.contains("training diverged at tick"), "stderr: \(output.stderr)")
        #expect(!FileManager.default.fileExists(atPath: workspace.path("model.json")))
    }

    @Test("the file keeps the rate as set and the first loss, the yardstick of divergence")
    func recordsTheRuleInputs() throws {
        let workspace = try Workspace()
        try workspace.trainModel()
        let training = try #require(workspace.json("model.json")["training"] as? [String: Any])
        let first = try #require((training["first_loss"] as? String).flatMap(Double.init))
        #expect(first > 0 && first.isFinite)
        try #require(try workspace.run("train", "--data", "corpus.txt", "--resume", "model.json", "--ticks", "10",
                                       "--out", "more.json").status == 0)
        let more = try #require(workspace.json("more.json")["training"] as? [String: Any])
        #expect((more["first_loss"] as? String).flatMap(Double.init) == first, "kept across --resume")
    }
}
