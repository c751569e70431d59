import Foundation
import Testing

@Suite("recurrent evaluate")
struct EvaluateCommandTests {
    @Test("prints one JSON line whose numbers agree, skipping unknown characters")
    func evaluates() throws {
        let workspace = try Workspace()
        try workspace.trainModel()
        // "Zebra!" has characters the corpus lacks.
        try workspace.write("eval.txt", (Workspace.sentences + ["Zebra!"]).joined(separator: "\n"))
        let output = try workspace.run("evaluate", "--model", "model.json", "--data", "eval.txt")
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdoutLines.count == 1)

        let keys = ["sentences", "skipped", "predictions", "total_cost", "mean_loss", "perplexity"]
        let positions = keys.compactMap { output.stdout.range(of: "\"\($0)\":")?.lowerBound }
        #expect(positions.count == keys.count && positions == positions.sorted(), "key order: \(output.stdout)")

        let json = try #require(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        #expect(Set(json.keys) == Set(keys))
        #expect(json["sentences"] as? Int == Workspace.sentences.count)
        #expect(json["skipped"] as? Int == 1)
        let predictions = try #require(json["predictions"] as? Int)
        #expect(predictions == Workspace.sentences.reduce(0) { $0 + $1.count + 1 })
        let totalCost = try #require(json["total_cost"] as? Double)
        let meanLoss = try #require(json["mean_loss"] as? Double)
        let perplexity = try #require(json["perplexity"] as? Double)
        #expect(abs(meanLoss - totalCost / Double(predictions)) <= 1e-12 * max(1, meanLoss))
        #expect(abs(perplexity - exp(meanLoss)) <= 1e-12 * perplexity)
        #expect(perplexity > 1)
    }
}
