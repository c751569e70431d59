import Foundation
import Testing

/// `recurrent sample`'s decoding options: filters, stop sequences, beam
/// search and the JSON lines.
@Suite("recurrent sample: decoding options")
struct SampleDecodingTests {
    static func objects(_ output: RecurrentProcess.Output) throws -> [[String: Any]] {
        try output.stdoutLines.map { line in
            try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not an object: \(line)")
        }
    }

    @Test("--json prints text, logprob and finish_reason; --logprobs adds the tokens")
    func jsonLines() throws {
        let workspace = try Workspace()
        try workspace.trainModel()
        let plain = try workspace.run("sample", "--model", "model.json", "--seed", "3", "--count", "4", "--max-length", "40")
        let output = try workspace.run("sample", "--model", "model.json", "--seed", "3", "--count", "4", "--max-length", "40",
                                       "--json", "--logprobs", "2")
        #expect(output.status == 0, "\(output.stderr)")
        let objects = try Self.objects(output)
        #expect(objects.count == 4)
        #expect(objects.compactMap { $0["text"] as? String } == plain.stdoutLines)
        for object in objects {
            let reason = try #require(object["finish_reason"] as? String)
            #expect(["end", "length"].contains(reason))
            let logprob = try #require(object["logprob"] as? Double)
            let tokens = try #require(object["tokens"] as? [[String: Any]])
            let sum = tokens.reduce(0.0) { $0 + ($1["logprob"] as? Double ?? .nan) }
            #expect(abs(sum - logprob) < 1e-6 * max(1, abs(logprob)))
            #expect(tokens.allSatisfy { ($0["top"] as? [[String: Any]])?.count == 2 })
            let characters = tokens.compactMap { $0["char"] as? String }.joined()
            #expect(characters == object["text"] as? String)
            if reason == "end" { #expect(tokens.last?["char"] is NSNull) }
        }

        let greedy = try workspace.run("sample", "--model", "model.json", "--greedy", "--json", "--count", "1")
        let object = try #require(try Self.objects(greedy).first)
        #expect(Set(object.keys) == ["text", "logprob", "finish_reason"])
    }

    @Test("--beam-width 1 gives the greedy text; wider beams print --count results, best first")
    func beamSearch() throws {
        let workspace = try Workspace()
        try workspace.trainModel()
        let greedy = try workspace.run("sample", "--model", "model.json", "--greedy", "--count", "1")
        let beam = try workspace.run("sample", "--model", "model.json", "--beam-width", "1")
        #expect(beam.status == 0, "\(beam.stderr)")
        #expect(beam.stdout == greedy.stdout)

        let wide = try workspace.run("sample", "--model", "model.json", "--beam-width", "4", "--count", "3", "--json",
                                     "--length-penalty", "0.6")
        #expect(wide.status == 0, "\(wide.stderr)")
        let objects = try Self.objects(wide)
        #expect(objects.count == 3)
        #expect(Set(objects.compactMap { $0["text"] as? String }).count == 3)
    }

    @Test("a --stop sequence never appears in the text and ends it with finish_reason stop")
    func stopSequences() throws {
        let workspace = try Workspace()
        try workspace.trainModel()
        let free = try workspace.run("sample", "--model", "model.json", "--greedy", "--count", "1")
        let text = try #require(free.stdoutLines.first)
        try #require(text.contains(" t"), "greedy text: \(text)")
        let stopped = try workspace.run("sample", "--model", "model.json", "--greedy", "--count", "1", "--json",
                                        "--stop", " t", "--stop", "zz")
        let object = try #require(try Self.objects(stopped).first)
        #expect(object["finish_reason"] as? String == "stop")
        let cut = try #require(object["text"] as? String)
        #expect(!cut.contains(" t"))
        #expect(text.hasPrefix(cut + " t"))

        let sampled = try workspace.run("sample", "--model", "model.json", "--seed", "9", "--count", "6", "--json",
                                        "--stop", "e", "--top-p", "0.9", "--min-p", "0.05", "--top-k", "10")
        for object in try Self.objects(sampled) {
            #expect(!(object["text"] as? String ?? "e").contains("e"))
        }
    }

    @Test("sample i of a run is the single sample of seed + i")
    func seedsPerSample() throws {
        let workspace = try Workspace()
        try workspace.trainModel()
        let batch = try workspace.run("sample", "--model", "model.json", "--seed", "40", "--count", "3", "--temperature", "0.8")
        for index in 0..<3 {
            let single = try workspace.run("sample", "--model", "model.json", "--seed", "\(40 + index)", "--count", "1",
                                           "--temperature", "0.8")
            #expect(single.stdoutLines == [batch.stdoutLines[index]])
        }
    }

    @Test("bad decoding values are one-line usage errors", arguments: [
        ["--top-p", "0"], ["--top-p", "1.5"], ["--top-k", "-1"], ["--min-p", "2"], ["--repetition-penalty", "0"],
        ["--repetition-window", "-3"], ["--stop", ""], ["--logprobs", "3"], ["--json", "--logprobs", "-1"],
        ["--beam-width", "0"], ["--beam-width", "65"], ["--beam-width", "2", "--count", "3"],
        ["--beam-width", "2", "--top-p", "0.5"], ["--beam-width", "2", "--greedy"], ["--length-penalty", "0.6"],
        ["--beam-width", "2", "--length-penalty", "-1"],
    ])
    func badValues(extra: [String]) throws {
        let workspace = try Workspace()
        try workspace.write("model.json", "{}")
        let arguments = ["sample", "--model", "model.json"] + extra
        expectUsageError(try workspace.run(arguments), arguments)
    }
}
