import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import RecurrentHTTP
@testable import RecurrentJobs
@testable import RecurrentStore

/// `generate`'s decoding options and `evaluate`'s per-character surprisals,
/// over real loopback HTTP.
@Suite struct DecodingServiceTests {
    static var model: [String: Any] { ["text": TestServer.corpus, "hidden_sizes": [16], "letter_size": 4, "start": false, "seed": 3] }

    static func samples(_ reply: Reply) -> [[String: Any]] { reply.json["samples"] as? [[String: Any]] ?? [] }

    static func lines(_ reply: Reply) throws -> [[String: Any]] {
        try reply.text.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    @Test func samplesCarryFinishReasonLogprobAndTokens() async throws {
        let server = try await TestServer()
        try await server.run { client in
            let id = try await client.create(Self.model)
            let plain = try await client.post("/api/models/\(id)/generate", ["count": 2, "seed": 1, "max_length": 30])
            #expect(plain.status == .ok, "\(plain.text)")
            for sample in Self.samples(plain) {
                #expect(Set(sample.keys) == ["text", "done_reason", "finish_reason", "logprob"])
                let finish = try #require(sample["finish_reason"] as? String)
                #expect(sample["done_reason"] as? String == (finish == "length" ? "length" : "stop"))
            }

            let body: [String: Any] = ["count": 6, "seed": 5, "max_length": 60, "top_k": 12, "top_p": 0.9, "min_p": 0.02,
                                       "repetition_penalty": 1.2, "repetition_window": 16, "stop": ["e", "zz"], "logprobs": 2]
            let reply = try await client.post("/api/models/\(id)/generate", body)
            #expect(reply.status == .ok, "\(reply.text)")
            let samples = Self.samples(reply)
            #expect(samples.count == 6)
            var stops = 0
            for sample in samples {
                let text = try #require(sample["text"] as? String)
                #expect(!text.contains("e"))
                let finish = try #require(sample["finish_reason"] as? String)
                if finish == "stop" { stops += 1; #expect(sample["done_reason"] as? String == "stop") }
                let tokens = try #require(sample["tokens"] as? [[String: Any]])
                let sum = tokens.reduce(0.0) { $0 + ($1["logprob"] as? Double ?? .nan) }
                let logprob = try #require(sample["logprob"] as? Double)
                #expect(abs(sum - logprob) < 1e-6 * max(1, abs(logprob)))
                #expect(tokens.allSatisfy { ($0["top"] as? [[String: Any]])?.count == 2 })
                // END is a null `char`, never a missing one.
                let entries = tokens + tokens.flatMap { $0["top"] as? [[String: Any]] ?? [] }
                #expect(entries.allSatisfy { $0.keys.contains("char") })
                #expect(tokens.compactMap { $0["char"] as? String }.joined() == text)
            }
            #expect(stops > 0)

            // Streamed: the same samples, character by character, then the end line.
            let streamed = try await client.post("/api/models/\(id)/generate", body.merging(["stream": true]) { $1 })
            #expect(streamed.headers[.contentType] == "application/x-ndjson")
            let lines = try Self.lines(streamed)
            for (index, sample) in samples.enumerated() {
                let mine = lines.filter { $0["sample"] as? Int == index }
                let text = mine.compactMap { $0["text"] as? String }.joined()
                #expect(text == sample["text"] as? String)
                #expect(mine.dropLast().allSatisfy { ($0["text"] as? String)?.unicodeScalars.count == 1 })
                let end = try #require(mine.last)
                #expect(end["done"] as? Bool == true)
                #expect(end["finish_reason"] as? String == sample["finish_reason"] as? String)
                #expect(end["done_reason"] as? String == sample["done_reason"] as? String)
                #expect(abs((end["logprob"] as? Double ?? 0) - (sample["logprob"] as? Double ?? 1)) < 1e-3)
                #expect((end["tokens"] as? [Any])?.count == (sample["tokens"] as? [Any])?.count)
            }
        }
    }

    @Test func beamSearchAnswersWhenDone() async throws {
        let server = try await TestServer()
        try await server.run { client in
            let id = try await client.create(Self.model)
            let greedy = try await client.post("/api/models/\(id)/generate", ["greedy": true, "max_length": 40])
            let one = try await client.post("/api/models/\(id)/generate", ["beam_width": 1, "max_length": 40, "temperature": 0.5])
            #expect(one.status == .ok, "\(one.text)")
            #expect(Self.samples(one).first?["text"] as? String == Self.samples(greedy).first?["text"] as? String)

            let wide = try await client.post("/api/models/\(id)/generate",
                                             ["beam_width": 4, "count": 3, "length_penalty": 0.6, "max_length": 40, "logprobs": 1])
            #expect(wide.status == .ok, "\(wide.text)")
            let samples = Self.samples(wide)
            #expect(samples.count == 3)
            #expect(samples.allSatisfy { ($0["tokens"] as? [Any]) != nil && $0["finish_reason"] != nil })

            let streamed = try await client.post("/api/models/\(id)/generate", ["beam_width": 4, "count": 2, "stream": true,
                                                                              "max_length": 40])
            let lines = try Self.lines(streamed)
            #expect(lines.count == 4)
            #expect(lines.filter { $0["done"] as? Bool == true }.count == 2)
        }
    }

    @Test func evaluatePerCharacterReturnsEverySurprisal() async throws {
        let server = try await TestServer()
        try await server.run { client in
            let id = try await client.create(Self.model)
            let text = "the cat sat\nzzz qqq\nthe sun"
            let plain = try await client.post("/api/models/\(id)/evaluate", ["text": text])
            #expect(plain.json["characters"] == nil)
            let reply = try await client.post("/api/models/\(id)/evaluate", ["text": text, "per_character": true])
            #expect(reply.status == .ok, "\(reply.text)")
            let characters = try #require(reply.json["characters"] as? [[String: Any]])
            #expect(characters.count == 3)
            #expect(characters[1]["skipped"] as? Bool == true)
            #expect((characters[0]["surprisal"] as? [Double])?.count == "the cat sat".count + 1)
            let total = characters.flatMap { $0["surprisal"] as? [Double] ?? [] }.reduce(0, +)
            #expect(abs(total - (reply.json["total_cost"] as? Double ?? 0)) < 1e-9 * total)
            #expect(reply.json["total_cost"] as? Double == plain.json["total_cost"] as? Double)
            #expect(reply.json["skipped"] as? Int == 1)
        }
    }

    @Test(arguments: [
        ("{\"top_k\":-1}", "top_k"), ("{\"top_p\":0}", "top_p"), ("{\"top_p\":1.5}", "top_p"), ("{\"top_p\":5e-324}", "top_p"), ("{\"min_p\":2}", "min_p"),
        ("{\"repetition_penalty\":0}", "repetition_penalty"), ("{\"repetition_window\":-1}", "repetition_window"),
        ("{\"stop\":[\"a\",\"\"]}", "stop[1]"), ("{\"beam_width\":65}", "beam_width"), ("{\"beam_width\":0}", "beam_width"),
        ("{\"beam_width\":2,\"count\":3}", "count"), ("{\"length_penalty\":1}", "length_penalty"),
        ("{\"beam_width\":2,\"length_penalty\":-1}", "length_penalty"), ("{\"logprobs\":21}", "logprobs"), ("{\"logprobs\":0,\"count\":11,\"max_length\":2000}", "logprobs"),
        ("{\"stop\":\"e\"}", "stop"),
    ])
    func badValuesNameTheField(body: String, field: String) async throws {
        let server = try await TestServer()
        try await server.run { client in
            let id = try await client.create(Self.model)
            let reply = try await client.request(.post, "/api/models/\(id)/generate", raw: body)
            #expect([400, 422].contains(reply.status.code), "\(reply.text)")
            #expect(reply.errorField == field, "\(reply.text)")
        }
    }
}
