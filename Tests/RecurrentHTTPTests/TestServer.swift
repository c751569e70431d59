import Foundation
import Hummingbird
import Logging
import HummingbirdTesting
import NIOCore
import Testing
@testable import RecurrentHTTP
@testable import RecurrentJobs
@testable import RecurrentStore
import RecurrentTestSupport

/// The store a test's service runs on: the HTTP tests run on both.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// A SQLite file in the test's temporary folder: a single node.
    case sqlite
    /// A fresh database on the suite's PostgreSQL server (the suite needs
    /// the `.postgresServer` trait): a cluster node of role `all`, which
    /// claims its jobs from the database with leases.
    case postgres

    var testDescription: String { rawValue }
}

/// A service on a real store (see ``StoreKind``), driven through real HTTP
/// on loopback (HummingbirdTesting `.live`).
final class TestServer: Sendable {
    /// Ten short sentences (about 25 distinct characters).
    static let sentences = [
        "the cat sat on the mat", "a dog ran in the park", "the sun is hot today", "birds sing in the tree",
        "we like to read books", "the rain falls on the roof", "she drinks a cup of tea", "he walks to the shop",
        "my friend plays the drum", "the moon is bright at night",
    ]
    static var corpus: String { sentences.joined(separator: "\n") }

    let folder: URL
    let service: RecurrentService

    init(store kind: StoreKind = .sqlite, maxJobs: Int = 2, checkpointSeconds: Double = 30,
         limits: (inout ServiceConfiguration.Limits) -> Void = { _ in },
         logger: Logger? = nil, configure: (inout ServiceConfiguration) -> Void = { _ in }) async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("recurrent-server-tests-\(UUID().uuidString)")
        var configuration = ServiceConfiguration()
        switch kind {
        case .sqlite:
            configuration.databasePath = folder.appendingPathComponent("data/recurrent.sqlite").path
        case .postgres:
            let server = try #require(PostgresServer.shared, "a PostgreSQL test needs its suite's .postgresServer trait")
            // The URL in the configuration (not only the store) is what makes the scheduler a cluster node's.
            configuration.databasePath = try await server.createDatabase()
        }
        configuration.maxJobs = maxJobs
        configuration.checkpointSeconds = checkpointSeconds
        configuration.publicDirectory = Self.publicDirectory
        // One thread a job, as before jobs shared the cores, unless a test says otherwise.
        configuration.limits.jobThreads = 1
        limits(&configuration.limits)
        configure(&configuration)
        // Quiet unless a test brings its own logger: one line per request would bury the test output.
        service = try await RecurrentService.open(configuration: configuration,
                                                  logger: logger ?? makeServiceLogger(format: .text, level: .warning))
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// The repository's `public` folder (the OpenAPI document lives there).
    static var publicDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("public").path
    }

    var store: any ModelStore { service.store }

    /// Runs `body` against the live server, then stops every job.
    func run(_ body: @escaping @Sendable (Client) async throws -> Void) async throws {
        try await service.recover()
        let app = service.makeApplication()
        do {
            try await app.test(.live) { client in try await body(Client(client: client)) }
        } catch {
            await service.shutdown()
            throw error
        }
        await service.shutdown()
    }

    /// A small model request: lstm [8], letter size 3, on the ten sentences.
    static func smallModel(_ extra: [String: Any] = [:]) -> [String: Any] {
        var body: [String: Any] = ["name": "small", "text": corpus, "generator": "lstm", "hidden_sizes": [8],
                                   "letter_size": 3, "seed": 7]
        for (key, value) in extra { body[key] = value }
        return body
    }
}

/// A decoded response.
struct Reply: @unchecked Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var text: String

    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }
    var error: [String: Any] { json["error"] as? [String: Any] ?? [:] }
    var errorCode: String? { error["code"] as? String }
    var errorField: String? { error["field"] as? String }
}

/// JSON helpers over the test client.
struct Client: Sendable {
    let client: any TestClientProtocol

    func request(_ method: HTTPRequest.Method, _ uri: String, body: Any? = nil, raw: String? = nil,
                 headers extra: HTTPFields = [:]) async throws -> Reply {
        var buffer: ByteBuffer?
        if let raw { buffer = ByteBuffer(string: raw) }
        if let body { buffer = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)) }
        var headers: HTTPFields = [.contentType: "application/json"]
        headers.append(contentsOf: extra)
        return try await client.execute(uri: uri, method: method, headers: headers, body: buffer) { response in
            Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
        }
    }

    func get(_ uri: String) async throws -> Reply { try await request(.get, uri) }
    func post(_ uri: String, _ body: Any? = nil) async throws -> Reply { try await request(.post, uri, body: body) }

    /// Creates a model and returns its id.
    func create(_ body: [String: Any] = TestServer.smallModel(), sourceLocation: SourceLocation = #_sourceLocation) async throws -> Int {
        let reply = try await post("/api/models", body)
        try #require(reply.status == .created, "create: \(reply.text)", sourceLocation: sourceLocation)
        return try #require(reply.json["id"] as? Int, sourceLocation: sourceLocation)
    }

    func model(_ id: Int) async throws -> [String: Any] { try await get("/api/models/\(id)").json }

    /// Polls `condition` on the model until it holds or `timeout` passes.
    @discardableResult
    func waitForModel(_ id: Int, timeout: Double = 20, sourceLocation: SourceLocation = #_sourceLocation,
                      _ condition: @Sendable ([String: Any]) -> Bool) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        var last: [String: Any] = [:]
        while Date() < deadline {
            last = try await model(id)
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("model \(id) did not reach the expected state in \(timeout) s; last: \(last)", sourceLocation: sourceLocation)
        return last
    }

    /// Polls a GET until `condition` holds on its JSON.
    @discardableResult
    func waitFor(_ uri: String, timeout: Double = 20, sourceLocation: SourceLocation = #_sourceLocation,
                 _ condition: @Sendable ([String: Any]) -> Bool) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        var last: [String: Any] = [:]
        while Date() < deadline {
            last = try await get(uri).json
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("\(uri) did not reach the expected state in \(timeout) s; last: \(last)", sourceLocation: sourceLocation)
        return last
    }
}

func ticks(_ model: [String: Any]) -> Int { model["ticks"] as? Int ?? -1 }
func status(_ model: [String: Any]) -> String { model["status"] as? String ?? "?" }
