import Foundation
import Recurrent
import Testing

@Suite("recurrent train --corpus text")
struct TextCorpusCommandTests {
    static let book = String(repeating: Workspace.sentences.joined(separator: "\n") + "\n", count: 20)

    @Test("a file that is not UTF-8 text, or is empty, is refused with the byte offset")
    func refusesFilesThatAreNotText() throws {
        let workspace = try Workspace()
        let cases: [(String, [UInt8], String)] = [
            ("bad.txt", Array("abc".utf8) + [0xFF, 0x64], "not valid UTF-8 at byte offset 3"),
            ("binary.bin", Array("ELF".utf8) + [0, 1, 2], "not a text file: control character U+0000 at byte offset 3"),
            ("empty.txt", [], "empty: no characters at byte offset 0"),
        ]
        for (name, bytes, message) in cases {
            try Data(bytes).write(to: URL(fileURLWithPath: workspace.path(name)))
            let arguments = ["train", "--data", name, "--corpus", "text", "--ticks", "1", "--out", "x.json"]
            let output = try workspace.run(arguments)
            expectUsageError(output, arguments)
            #expect(output.stderr.contains("data file '\(name)': \(message)"), "\(output.stderr)")
        }
    }

    /// `train` on `book.txt` (a small LSTM, windows of 16, 10% validation) with `options`.
    static func trainBook(in workspace: Workspace, _ options: String...) throws -> RecurrentProcess.Output {
        try workspace.write("book.txt", book)
        return try workspace.run(["train", "--data", "book.txt", "--corpus", "text", "--hidden-sizes", "16",
                                             "--letter-size", "4", "--seq-length", "16", "--val-fraction", "0.1",
                                             "--seed", "5", "--out", "book.json"] + options)
    }

    @Test("--threads 2 splits a text's streams between two workers")
    func trainsWithTwoWorkers() throws {
        let workspace = try Workspace()
        let book = Self.book
        // The original's RMSProp (at 0.002), whose large first steps reach this loss within 200 ticks.
        let output = try Self.trainBook(in: workspace, "--batch-size", "16", "--val-interval", "50", "--threads", "2",
                                        "--optimizer", "rmsprop", "--ticks", "200")
        try #require(output.status == 0, "train failed: \(output.stderr)")
        let loaded = try ModelFile.load(workspace.data("book.json"))
        let corpus = try TextCorpus(text: book, vocabulary: loaded.model.vocabulary, validationFraction: 0.1)
        let probe = TextTrainer(model: loaded.model, corpus: corpus, settings: TrainingSettings(batchSize: 4),
                                options: TextTrainingOptions(sequenceLength: 16), random: RandomSource(seed: 1))
        // Trained: well below the loss of a uniform guess.
        let loss = try #require(probe.validate()).loss
        #expect(loss < log(Double(loaded.model.vocabulary.symbolCount)) * 0.7, "validation loss \(loss)")
    }

    @Test("--early-stop ends the run when validation stops improving; --lr-schedule and --warmup-ticks are accepted")
    func earlyStopAndSchedule() throws {
        let workspace = try Workspace()
        // A rate too small to learn anything: the validation loss moves only
        // in its last bits, and soon three validations in a row (6 ticks)
        // bring no new best.
        let still = try Self.trainBook(in: workspace, "--batch-size", "4", "--learning-rate", "1e-12", "--regc", "0",
                                       "--val-interval", "2", "--early-stop", "3", "--ticks", "1000")
        try #require(still.status == 0, "train failed: \(still.stderr)")
        let stopped = try #require(still.stdout.firstMatch(of: /stopped early \(validation stopped improving\) after (\d+) ticks/),
                                   "\(still.stdout)")
        let best = try #require(still.stdout.firstMatch(of: /best validation loss [0-9.]+ at tick (\d+)/), "\(still.stdout)")
        #expect(Int(stopped.1) == Int(best.1).map { $0 + 6 }, "\(still.stdout)")
        let learning = try Self.trainBook(in: workspace, "--batch-size", "4", "--lr-schedule", "cosine", "--warmup-ticks", "5",
                                          "--ticks", "30")
        try #require(learning.status == 0, "train failed: \(learning.stderr)")
        #expect(learning.stdout.hasPrefix("trained 30 ticks"), "\(learning.stdout)")
        let bad = try Self.trainBook(in: workspace, "--lr-schedule", "linear")
        #expect(bad.status != 0 && bad.stderr.contains("linear"), "\(bad.stderr)")
    }

    @Test("--precision bfloat16 trains, says so where the CPU has AVX-512-BF16, and is kept for --resume")
    func bfloat16Products() throws {
        let workspace = try Workspace()
        let output = try Self.trainBook(in: workspace, "--batch-size", "16", "--val-interval", "50", "--threads", "1",
                                        "--hidden-sizes", "32", "--learning-rate", "0.01", "--precision", "bfloat16",
                                        "--ticks", "200")
        try #require(output.status == 0, "train failed: \(output.stderr)")
        #expect(output.stdout.contains(", bfloat16 products") == ProductPrecision.bfloat16IsAvailable, "\(output.stdout)")
        #expect(output.stderr.contains("no AVX-512-BF16") == !ProductPrecision.bfloat16IsAvailable, "\(output.stderr)")
        let training = try #require(workspace.json("book.json")["training"] as? [String: Any])
        #expect(training["precision"] as? String == "bfloat16")
        let loss = try #require(output.stdout.firstMatch(of: /best validation loss ([0-9.]+)/).flatMap { Double($0.1) })
        #expect(loss < 2, "trained well below a uniform guess (about 3.2): \(output.stdout)")
        let resumed = try workspace.run(["train", "--data", "book.txt", "--resume", "book.json", "--ticks", "10",
                                         "--threads", "1", "--out", "more.json"])
        try #require(resumed.status == 0, "resume failed: \(resumed.stderr)")
        #expect((try workspace.json("more.json")["training"] as? [String: Any])?["precision"] as? String == "bfloat16")
        let bad = try Self.trainBook(in: workspace, "--precision", "float16")
        #expect(bad.status != 0 && bad.stderr.contains("float16"), "\(bad.stderr)")
    }

    @Test("--threads defaults to the cores the process may run on")
    func threadsDefaultToTheAvailableCores() throws {
        let workspace = try Workspace()
        try workspace.write("book.txt", Self.book)
        let arguments = ["train", "--data", "book.txt", "--corpus", "text", "--hidden-sizes", "8", "--letter-size", "4",
                         "--seq-length", "8", "--batch-size", "16", "--ticks", "3", "--seed", "5", "--out", "book.json"]
        let one = try RecurrentProcess.run(arguments, in: workspace.folder, launcher: ["/usr/bin/taskset", "-c", "0"])
        try #require(one.status == 0, "train failed: \(one.stderr)")
        #expect(one.stdout.contains(", 1 thread;"), "one CPU in the affinity mask: \(one.stdout)")
        // Two CPUs: two workers, each training 8 of the 16 streams.
        if ProcessInfo.processInfo.activeProcessorCount >= 2 {
            let two = try RecurrentProcess.run(arguments, in: workspace.folder, launcher: ["/usr/bin/taskset", "-c", "0,1"])
            try #require(two.status == 0, "train failed: \(two.stderr)")
            #expect(two.stdout.contains(", 2 threads;"), "two CPUs in the affinity mask: \(two.stdout)")
        }
    }

    @Test("trains on a continuous text, reports validation and writes the best model")
    func trainsWithValidation() throws {
        let workspace = try Workspace()
        let output = try Self.trainBook(in: workspace, "--batch-size", "4", "--val-interval", "20", "--dropout", "0.1",
                                        "--ticks", "100")
        try #require(output.status == 0, "train failed: \(output.stderr)")
        #expect(output.stderr.contains("val loss"), "progress shows validation: \(output.stderr)")
        #expect(output.stdout.contains("best validation loss"))

        let loaded = try ModelFile.load(workspace.data("book.json"))
        #expect(loaded.model.vocabulary.index(of: "\n") != nil, "newlines are characters of a text corpus")
        let training = try #require(workspace.json("book.json")["training"] as? [String: Any])
        #expect(training["corpus"] as? String == "text")
        #expect(training["batch_size"] as? Int == 4)
        #expect(training["seq_length"] as? Int == 16)
        // A text's default solver and rate: Adam, 0.002 × √(512 / 16) capped at 0.004.
        #expect(training["optimizer"] as? String == "adam")
        #expect(training["learning_rate"] as? Double == 0.004, "a text's default learning rate")

        let best = try ModelFile.load(workspace.data("book.best.json"))
        #expect(best.model.vocabulary == loaded.model.vocabulary)
        let bestField = try #require(workspace.json("book.best.json")["best_validation"] as? [String: Any])
        #expect((bestField["step"] as? Int).map { $0 > 0 && $0 % 20 == 0 } == true)

        // Resuming keeps the corpus kind and settings from the file.
        let resumed = try workspace.run("train", "--data", "book.txt", "--resume", "book.json", "--ticks", "10",
                                        "--out", "more.json")
        try #require(resumed.status == 0, "resume failed: \(resumed.stderr)")
        let more = try #require(workspace.json("more.json")["training"] as? [String: Any])
        #expect(more["corpus"] as? String == "text")
        #expect(more["ticks"] as? Int == 110)
    }

    @Test("--resume goes on reading the text where the run stopped")
    func resumeContinuesTheStreams() throws {
        let workspace = try Workspace()
        try workspace.write("book.txt", Self.book)
        let common = ["train", "--data", "book.txt", "--corpus", "text", "--hidden-sizes", "8", "--letter-size", "4",
                      "--seq-length", "32", "--batch-size", "4", "--val-interval", "0", "--seed", "5"]
        // 100 ticks at once, and 70 then 30 more: the same place in the text.
        // A pass is 36 windows here: 70 ticks reach epoch 1.97, 100 reach 2.80,
        // so the resumed part crosses an epoch boundary.
        try #require(try workspace.run(common + ["--ticks", "100", "--out", "once.json"]).status == 0)
        try #require(try workspace.run(common + ["--ticks", "70", "--out", "first.json"]).status == 0)
        let resumed = try workspace.run(["train", "--data", "book.txt", "--resume", "first.json", "--ticks", "30",
                                         "--out", "second.json"])
        try #require(resumed.status == 0, "resume failed: \(resumed.stderr)")
        let once = try #require(workspace.json("once.json")["training"] as? [String: Any])
        let first = try #require(workspace.json("first.json")["training"] as? [String: Any])
        let second = try #require(workspace.json("second.json")["training"] as? [String: Any])
        let epochs = [once, first, second].map { $0["epoch"] as? Double ?? -1 }
        #expect(epochs[1] > 1.9 && epochs[1] < 2, "epochs \(epochs)")
        #expect(epochs[0] > 2.7 && abs(epochs[2] - epochs[0]) < 1e-9, "epochs \(epochs)")
        #expect(resumed.stdout.contains(String(format: "epoch %.2f", epochs[0])), "\(resumed.stdout)")
    }
}
