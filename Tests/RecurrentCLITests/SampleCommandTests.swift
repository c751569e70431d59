import Foundation
import Testing

@Suite("recurrent sample")
struct SampleCommandTests {
    @Test("the same seed gives the same --count lines")
    func seededSamplesRepeat() throws {
        let workspace = try Workspace()
        try workspace.trainModel()
        let first = try workspace.run("sample", "--model", "model.json", "--seed", "11", "--count", "4")
        let second = try workspace.run("sample", "--model", "model.json", "--seed", "11", "--count", "4")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdoutLines.count == 4)
        #expect(first.stdout == second.stdout)
        #expect(first.stderr.isEmpty)

        let defaultCount = try workspace.run("sample", "--model", "model.json", "--seed", "11")
        #expect(defaultCount.stdoutLines.count == 5)
    }

    @Test("--greedy does not depend on the seed; --prime starts every line")
    func greedyIgnoresSeed() throws {
        let workspace = try Workspace()
        try workspace.trainModel()
        let one = try workspace.run("sample", "--model", "model.json", "--greedy", "--seed", "1", "--count", "3")
        let two = try workspace.run("sample", "--model", "model.json", "--greedy", "--seed", "2", "--count", "3")
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stdout == two.stdout)
        #expect(Set(one.stdoutLines).count == 1)

        let primed = try workspace.run("sample", "--model", "model.json", "--prime", "the ", "--max-length", "10",
                                       "--seed", "5")
        #expect(primed.status == 0, "\(primed.stderr)")
        for line in primed.stdoutLines {
            #expect(line.hasPrefix("the "))
            #expect(line.unicodeScalars.count <= 14)
        }
    }

    @Test("a prime outside the vocabulary is a usage error")
    func primeOutsideVocabulary() throws {
        let workspace = try Workspace()
        try workspace.trainModel()
        let arguments = ["sample", "--model", "model.json", "--prime", "thé"]
        let output = try workspace.run(arguments)
        expectUsageError(output, arguments)
        #expect(output.stderr.contains("U+00E9"))
    }
}
