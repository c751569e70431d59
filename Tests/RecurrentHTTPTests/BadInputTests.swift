import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import RecurrentHTTP
@testable import RecurrentJobs
@testable import RecurrentStore
import RecurrentTestSupport

/// Every refused request: a 4xx in the error envelope, naming the field to
/// blame, and nothing stored.
@Suite(.serialized, .postgresServer)
struct BadInputTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var body: String
        var status: Int
        var code: String
        var field: String?
        var testDescription: String { name }
    }

    static func model(_ changes: String) -> String {
        "{\"text\":\"the cat sat\\nthe dog ran\",\"hidden_sizes\":[8],\"letter_size\":3\(changes.isEmpty ? "" : ",")\(changes)}"
    }

    static let creationCases: [Case] = [
        Case(name: "malformed JSON", body: "{\"text\": \"abc\"", status: 400, code: "malformed_json"),
        Case(name: "body not an object", body: "[1,2]", status: 400, code: "invalid_type"),
        Case(name: "hidden_sizes wrong type", body: model("\"hidden_sizes\":\"20\""), status: 400, code: "invalid_type", field: "hidden_sizes"),
        Case(name: "letter_size wrong type", body: model("\"letter_size\":\"5\""), status: 400, code: "invalid_type", field: "letter_size"),
        Case(name: "learning_rate boolean", body: model("\"learning_rate\":true"), status: 400, code: "invalid_type", field: "learning_rate"),
        Case(name: "text wrong type", body: "{\"text\":42}", status: 400, code: "invalid_type", field: "text"),
        Case(name: "unknown generator", body: model("\"generator\":\"transformer\""), status: 422, code: "invalid_value", field: "generator"),
        Case(name: "unknown optimizer", body: model("\"optimizer\":\"sgd\""), status: 422, code: "invalid_value", field: "optimizer"),
        Case(name: "unknown schedule", body: model("\"lr_schedule\":\"linear\",\"max_ticks\":10"), status: 422, code: "invalid_value", field: "lr_schedule"),
        Case(name: "cosine without max_ticks", body: model("\"lr_schedule\":\"cosine\""), status: 422, code: "invalid_value", field: "lr_schedule"),
        Case(name: "negative warm-up", body: model("\"warmup_ticks\":-1"), status: 422, code: "invalid_value", field: "warmup_ticks"),
        Case(name: "unknown precision", body: model("\"precision\":\"float16\""), status: 422, code: "invalid_value", field: "precision"),
        Case(name: "precision wrong type", body: model("\"precision\":16"), status: 400, code: "invalid_type", field: "precision"),
        Case(name: "early_stop too large", body: model("\"early_stop\":100001"), status: 422, code: "invalid_value", field: "early_stop"),
        Case(name: "early_stop wrong type", body: model("\"early_stop\":\"3\""), status: 400, code: "invalid_type", field: "early_stop"),
        Case(name: "hidden size 0", body: model("\"hidden_sizes\":[0]").replacingOccurrences(of: "\"hidden_sizes\":[8],", with: ""), status: 422, code: "invalid_value", field: "hidden_sizes[0]"),
        Case(name: "hidden size 1025", body: model("\"hidden_sizes\":[4,1025]").replacingOccurrences(of: "\"hidden_sizes\":[8],", with: ""), status: 422, code: "invalid_value", field: "hidden_sizes[1]"),
        Case(name: "nine layers", body: model("\"hidden_sizes\":[2,2,2,2,2,2,2,2,2]").replacingOccurrences(of: "\"hidden_sizes\":[8],", with: ""), status: 422, code: "invalid_value", field: "hidden_sizes"),
        Case(name: "no layers", body: model("\"hidden_sizes\":[]").replacingOccurrences(of: "\"hidden_sizes\":[8],", with: ""), status: 422, code: "invalid_value", field: "hidden_sizes"),
        Case(name: "letter size 0", body: model("\"letter_size\":0").replacingOccurrences(of: "\"letter_size\":3,", with: ""), status: 422, code: "invalid_value", field: "letter_size"),
        Case(name: "letter size 513", body: model("\"letter_size\":513").replacingOccurrences(of: "\"letter_size\":3,", with: ""), status: 422, code: "invalid_value", field: "letter_size"),
        Case(name: "learning rate 0", body: model("\"learning_rate\":0"), status: 422, code: "invalid_value", field: "learning_rate"),
        Case(name: "negative learning rate", body: model("\"learning_rate\":-0.01"), status: 422, code: "invalid_value", field: "learning_rate"),
        Case(name: "learning rate beyond Float", body: model("\"learning_rate\":1e300"), status: 422, code: "invalid_value", field: "learning_rate"),
        Case(name: "clipval 0", body: model("\"clipval\":0"), status: 422, code: "invalid_value", field: "clipval"),
        Case(name: "negative clipval", body: model("\"clipval\":-5"), status: 422, code: "invalid_value", field: "clipval"),
        Case(name: "negative regc", body: model("\"regc\":-1e-6"), status: 422, code: "invalid_value", field: "regc"),
        Case(name: "non-positive sample temperature", body: model("\"sample_temperature\":0"), status: 422, code: "invalid_value", field: "sample_temperature"),
        Case(name: "max_ticks 0", body: model("\"max_ticks\":0"), status: 422, code: "invalid_value", field: "max_ticks"),
        Case(name: "empty corpus after trimming", body: "{\"text\":\"  \\n\\t\\n   \"}", status: 422, code: "empty_corpus", field: "text"),
        Case(name: "empty sentences", body: "{\"sentences\":[\" \",\"\"]}", status: 422, code: "empty_corpus", field: "sentences"),
        Case(name: "no corpus at all", body: "{\"hidden_sizes\":[8]}", status: 422, code: "empty_corpus", field: "text"),
        Case(name: "corpus over the limit", body: "{\"text\":\"\(String(repeating: "abcdefghi\\n", count: 30))\"}", status: 422, code: "corpus_too_large", field: "text"),
        Case(name: "body over the limit", body: "{\"text\":\"\(String(repeating: "a", count: 5000))\"}", status: 413, code: "body_too_large"),
        Case(name: "over the memory budget", body: model("\"hidden_sizes\":[512,512]").replacingOccurrences(of: "\"hidden_sizes\":[8],", with: ""), status: 422, code: "memory_budget", field: "hidden_sizes"),
    ]

    /// Small limits, so the size cases stay small: corpus 200 bytes, body 4000, budget 16 MiB.
    static func server(_ store: StoreKind) async throws -> TestServer {
        try await TestServer(store: store) { limits in
            limits.maxCorpusBytes = 200
            limits.maxBodyBytes = 4000
            limits.memoryBudgetBytes = 16 * 1024 * 1024
        }
    }

    @Test(arguments: StoreKind.allCases, creationCases)
    func refusedCreation(store: StoreKind, _ refused: Case) async throws {
        let server = try await Self.server(store)
        try await server.run { client in
            let reply = try await client.request(.post, "/api/models", raw: refused.body)
            #expect(reply.status.code == refused.status, "\(reply.text)")
            #expect(reply.errorCode == refused.code, "\(reply.text)")
            #expect(reply.errorField == refused.field, "\(reply.text)")
            #expect(!(reply.error["message"] as? String ?? "").isEmpty)
            #expect(try await server.store.totalModels() == 0)
        }
    }

    static let modelCases: [Case] = [
        Case(name: "prime outside the vocabulary", body: "{\"prime\":\"the Z\"}", status: 422, code: "unknown_character", field: "prime"),
        Case(name: "generate count over the limit", body: "{\"count\":101}", status: 422, code: "invalid_value", field: "count"),
        Case(name: "generate count 0", body: "{\"count\":0}", status: 422, code: "invalid_value", field: "count"),
        Case(name: "max_length over the limit", body: "{\"max_length\":2001}", status: 422, code: "invalid_value", field: "max_length"),
        Case(name: "generate temperature 0", body: "{\"temperature\":0}", status: 422, code: "invalid_value", field: "temperature"),
        Case(name: "generate count wrong type", body: "{\"count\":\"3\"}", status: 400, code: "invalid_type", field: "count"),
        Case(name: "generate malformed JSON", body: "{\"count\":", status: 400, code: "malformed_json"),
        Case(name: "generate negative top_k", body: "{\"top_k\":-1}", status: 422, code: "invalid_value", field: "top_k"),
        Case(name: "generate top_p 0", body: "{\"top_p\":0}", status: 422, code: "invalid_value", field: "top_p"),
        Case(name: "generate beam_width over the limit", body: "{\"beam_width\":65}", status: 422, code: "invalid_value", field: "beam_width"),
        Case(name: "generate empty stop sequence", body: "{\"stop\":[\"\"]}", status: 422, code: "invalid_value", field: "stop[0]"),
    ]

    @Test(arguments: StoreKind.allCases, modelCases)
    func refusedGeneration(store: StoreKind, _ refused: Case) async throws {
        let server = try await Self.server(store)
        try await server.run { client in
            let id = try await client.create(["text": "the cat sat\nthe dog ran", "hidden_sizes": [8], "letter_size": 3, "start": false])
            let reply = try await client.request(.post, "/api/models/\(id)/generate", raw: refused.body)
            #expect(reply.status.code == refused.status, "\(reply.text)")
            #expect(reply.errorCode == refused.code, "\(reply.text)")
            #expect(reply.errorField == refused.field, "\(reply.text)")
            #expect(try await server.store.totalModels() == 1)
            #expect(try await server.store.rowCounts(Int64(id))["samples"] == 0)
        }
    }

    @Test(arguments: StoreKind.allCases) func predictContextOutsideTheVocabulary(store: StoreKind) async throws {
        let server = try await Self.server(store)
        try await server.run { client in
            let id = try await client.create(["text": "the cat sat", "hidden_sizes": [8], "letter_size": 3, "start": false])
            let reply = try await client.post("/api/models/\(id)/predict", ["context": "xyz"])
            #expect(reply.status == .unprocessableContent)
            #expect(reply.errorCode == "unknown_character")
            #expect(reply.errorField == "context")
        }
    }

    @Test(arguments: StoreKind.allCases) func patchWithBadValuesChangesNothing(store: StoreKind) async throws {
        let server = try await Self.server(store)
        try await server.run { client in
            let id = try await client.create(["text": "the cat sat", "hidden_sizes": [8], "letter_size": 3, "start": false])
            let reply = try await client.request(.patch, "/api/models/\(id)", body: ["learning_rate": -1])
            #expect(reply.status == .unprocessableContent)
            #expect(reply.errorField == "learning_rate")
            let typed = try await client.request(.patch, "/api/models/\(id)", body: ["max_ticks": "many"])
            #expect(typed.status == .badRequest)
            #expect(try await client.model(id)["learning_rate"] as? Double == 0.01)
        }
    }

    @Test(arguments: StoreKind.allCases, [
        ("GET", "/api/models/999"), ("PATCH", "/api/models/999"), ("DELETE", "/api/models/999"),
        ("POST", "/api/models/999/pause"), ("POST", "/api/models/999/resume"), ("POST", "/api/models/999/cancel"),
        ("GET", "/api/models/999/metrics"), ("GET", "/api/models/999/samples"), ("POST", "/api/models/999/generate"),
        ("POST", "/api/models/999/evaluate"), ("POST", "/api/models/999/predict"), ("GET", "/api/models/999/export"),
        ("GET", "/api/models/999/events"), ("GET", "/api/models/abc"),
    ])
    func unknownModelIs404(store: StoreKind, route: (String, String)) async throws {
        let (method, path) = route
        let server = try await Self.server(store)
        try await server.run { client in
            let reply = try await client.request(HTTPRequest.Method(method)!, path, raw: "{}")
            #expect(reply.status == .notFound)
            #expect(reply.errorCode == "model_not_found")
            #expect(reply.errorField == "id")
        }
    }

    @Test(arguments: StoreKind.allCases) func unknownRouteUsesTheEnvelope(store: StoreKind) async throws {
        let server = try await Self.server(store)
        try await server.run { client in
            let reply = try await client.get("/api/nothing")
            #expect(reply.status == .notFound)
            #expect(reply.errorCode == "route_not_found")
        }
    }
}

/// The scan that refuses bodies of very many objects and arrays before parsing.
@Suite struct JSONContainerCountTests {
    static func count(_ text: String, limit: Int = .max) -> Int {
        RequestDecoder.containerCount(ByteBuffer(string: text), stoppingAfter: limit)
    }

    @Test func countsObjectsAndArraysOutsideStrings() {
        #expect(Self.count(#"{"a":[1,2,{"b":[]}]}"#) == 4)
        #expect(Self.count(#"{"text":"{[{[ not counted ]}]}"}"#) == 1)
        #expect(Self.count(#"{"text":"an escaped quote \" then [ still inside","x":[]}"#) == 2)
        #expect(Self.count(#"{"text":"a backslash \\","x":[[]]}"#) == 3)
        #expect(Self.count(String(repeating: "[", count: 50), limit: 10) == 11)
    }

    @Test func tooManyContainersIsA400BeforeParsing() throws {
        let body = "{\"x\":[" + String(repeating: "{},", count: RequestDecoder.maximumContainers) + "{}]}"
        #expect(throws: APIError.self) { try RequestDecoder.decode(EvaluateRequest.self, from: ByteBuffer(string: body)) }
        do {
            _ = try RequestDecoder.decode(EvaluateRequest.self, from: ByteBuffer(string: body))
        } catch {
            #expect(error.status == .badRequest && error.code == "too_many_containers")
        }
        let fine = "{\"x\":[" + String(repeating: "{},", count: 1000) + "{}]}"
        #expect(throws: Never.self) { try RequestDecoder.decode(EvaluateRequest.self, from: ByteBuffer(string: fine)) }
    }
}

/// A subnormal number in a request reads the same way every time, whichever
/// thread handles it (training once left threads treating subnormals as zero,
/// and the same request was then accepted, refused or answered 500).
@Suite(.serialized, .postgresServer) struct SubnormalNumberTests {
    @Test(arguments: StoreKind.allCases) func aSubnormalValueIsReadConsistently(store: StoreKind) async throws {
        try await TestServer(store: store).run { client in
            // Something trains meanwhile, on the threads the service shares.
            _ = try await client.create(TestServer.smallModel(["max_ticks": 2000]))
            var statuses: [Int] = []
            for index in 0..<12 {
                let reply = try await client.post("/api/models", TestServer.smallModel([
                    "name": "subnormal \(index)", "start": false, "regc": 1.1125369292536007e-308,
                ]))
                statuses.append(reply.status.code)
                #expect(reply.status.code < 500, "\(reply.text)")
            }
            #expect(Set(statuses) == [201], "\(statuses)")
            let stored = try await client.get("/api/models?limit=50").json["models"] as? [[String: Any]] ?? []
            #expect(stored.count == 13)
        }
    }
}
