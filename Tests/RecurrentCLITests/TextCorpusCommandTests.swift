import Foundation
import Recurrent
import Testing

@Suite("recurrent train --corpus text")
struct TextCorpusCommandTests {
    @Test("trains on a continuous text, reports validation and writes the best model")
    func trainsWithValidation() throws {
        let workspace = try Workspace()
        let book = String(repeating: Workspace.sentences.joined(separator: "\n") + "\n", count: 20)
        try workspace.write("book.txt", book)
        let output = try workspace.run("train", "--data", "book.txt", "--corpus", "text", "--hidden-sizes", "16",
                                       "--letter-size", "4", "--batch-size", "4", "--seq-length", "16",
                                       "--val-fraction", "0.1", "--val-interval", "20", "--dropout", "0.1",
                                       "--ticks", "100", "--seed", "5", "--out", "book.json")
        try #require(output.status == 0, "train failed: \(output.stderr)")
        #expect(output.stderr.contains("val loss"), "progress shows validation: \(output.stderr)")
        #expect(output.stdout.contains("best validation loss"))

        let loaded = try ModelFile.load(workspace.data("book.json"))
        #expect(loaded.model.vocabulary.index(of: "\n") != nil, "newlines are characters of a text corpus")
        let training = try #require(workspace.json("book.json")["training"] as? [String: Any])
        #expect(training["corpus"] as? String == "text")
        #expect(training["batch_size"] as? Int == 4)
        #expect(training["seq_length"] as? Int == 16)

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
}
