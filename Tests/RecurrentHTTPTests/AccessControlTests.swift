import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import RecurrentHTTP
@testable import RecurrentJobs
@testable import RecurrentStore
import RecurrentTestSupport

/// The API token and CORS, over real HTTP on loopback.
@Suite(.serialized, .postgresServer)
struct AccessControlTests {
    static let token = "s3cret-token_42"
    static let bearer: HTTPFields = [.authorization: "Bearer \(token)"]

    static func server(_ store: StoreKind, tokenForReads: Bool = false, origins: [String] = []) async throws -> TestServer {
        try await TestServer(store: store, configure: { configuration in
            configuration.apiToken = token
            configuration.tokenForReads = tokenForReads
            configuration.corsOrigins = origins
        })
    }

    @Test(arguments: StoreKind.allCases) func stateChangesNeedTheRightToken(store: StoreKind) async throws {
        try await Self.server(store).run { client in
            let missing = try await client.request(.post, "/api/models", body: TestServer.smallModel())
            #expect(missing.status == .unauthorized)
            #expect(missing.errorCode == "unauthorized")
            #expect(missing.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            let wrong = try await client.request(.post, "/api/models", body: TestServer.smallModel(),
                                                 headers: [.authorization: "Bearer \(Self.token)x"])
            #expect(wrong.status == .unauthorized)
            #expect(wrong.error["message"] as? String == "the API token is wrong")
            let prefix = try await client.request(.post, "/api/models", body: TestServer.smallModel(),
                                                  headers: [.authorization: "Bearer s3cret"])
            #expect(prefix.status == .unauthorized)
            let basic = try await client.request(.post, "/api/models", body: TestServer.smallModel(),
                                                 headers: [.authorization: "Basic \(Self.token)"])
            #expect(basic.status == .unauthorized)
            // Nothing was created by the refused requests.
            #expect((try await client.get("/api/models").json["models"] as? [Any])?.isEmpty == true)

            let right = try await client.request(.post, "/api/models", body: TestServer.smallModel(["max_ticks": 100]),
                                                 headers: [.authorization: "bearer \(Self.token)"])
            #expect(right.status == .created, "\(right.text)")
            let id = try #require(right.json["id"] as? Int)
            // Reads and inference stay open without --token-for-reads.
            let reply1 = try await client.get("/api/models/\(id)")
            #expect(reply1.status == .ok)
            let reply2 = try await client.get("/metrics")
            #expect(reply2.status == .ok)
            let generated = try await client.post("/api/models/\(id)/generate", ["max_length": 5])
            #expect(generated.status == .ok, "\(generated.text)")
            // A PATCH and a DELETE without the token change nothing.
            let reply3 = try await client.request(.patch, "/api/models/\(id)", body: ["name": "renamed"])
            #expect(reply3.status == .unauthorized)
            let reply4 = try await client.request(.delete, "/api/models/\(id)")
            #expect(reply4.status == .unauthorized)
            let reply5 = try await client.model(id)
            #expect(reply5["name"] as? String == "small")
        }
    }

    @Test(arguments: StoreKind.allCases) func tokenForReadsGuardsReadsButNotHealthOrThePage(store: StoreKind) async throws {
        try await Self.server(store, tokenForReads: true).run { client in
            let reply6 = try await client.get("/api/models")
            #expect(reply6.status == .unauthorized)
            let reply7 = try await client.get("/metrics")
            #expect(reply7.status == .unauthorized)
            let reply8 = try await client.request(.get, "/api/models", headers: Self.bearer)
            #expect(reply8.status == .ok)
            let reply9 = try await client.get("/api/health")
            #expect(reply9.status == .ok)
            let reply10 = try await client.get("/")
            #expect(reply10.status == .ok)
            let reply11 = try await client.get("/openapi.json")
            #expect(reply11.status == .ok)
        }
    }

    @Test func constantTimeComparison() {
        typealias Guard = BearerTokenMiddleware<BasicRequestContext>
        #expect(Guard.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!Guard.constantTimeEqual(Array("abd".utf8), Array("abc".utf8)))
        #expect(!Guard.constantTimeEqual(Array("ab".utf8), Array("abc".utf8)))
        #expect(!Guard.constantTimeEqual(Array("abcabc".utf8), Array("abc".utf8)))
        #expect(!Guard.constantTimeEqual([], Array("abc".utf8)))
        #expect(!Guard.constantTimeEqual([], []))
    }

    /// Walks every operation of the OpenAPI document, with no token, a wrong
    /// one and the right one, in both modes. An operation marked
    /// `x-token: always` must refuse the first two; `reads` only with
    /// --token-for-reads; and no route may be missing from the walk.
    @Test(arguments: StoreKind.allCases, [false, true])
    func everyDocumentedOperationIsGuardedAsDocumented(store: StoreKind, tokenForReads: Bool) async throws {
        let document = try OpenAPITests.document()
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var operations: [(method: String, path: String, token: String)] = []
        for (path, item) in paths {
            for (method, value) in item where ["get", "post", "put", "patch", "delete"].contains(method) {
                let operation = try #require(value as? [String: Any])
                let token = operation["x-token"] as? String ?? (path == "/api/health" ? "never" : "missing")
                operations.append((method.uppercased(), path, token))
            }
        }
        // Every state-changing route is marked `always`: a new POST, PATCH or
        // DELETE that forgot its marking fails here.
        for operation in operations where operation.method != "GET" {
            let inference = ["generate", "evaluate", "predict"].contains(operation.path.split(separator: "/").last.map(String.init) ?? "")
            #expect(operation.token == (inference ? "reads" : "always"), "\(operation.method) \(operation.path) is marked \(operation.token)")
        }
        #expect(!operations.contains { $0.token == "missing" }, "operations without x-token: \(operations.filter { $0.token == "missing" })")
        // Deletion last, so the other operations still find the model.
        operations.sort { ($0.method == "DELETE" ? 1 : 0, $0.path, $0.method) < ($1.method == "DELETE" ? 1 : 0, $1.path, $1.method) }
        let walk = operations

        try await Self.server(store, tokenForReads: tokenForReads).run { client in
            let created = try await client.request(.post, "/api/models", body: TestServer.smallModel(["max_ticks": 50]),
                                                   headers: Self.bearer)
            let id = try #require(created.json["id"] as? Int, "\(created.text)")
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline,
                  status(try await client.request(.get, "/api/models/\(id)", headers: Self.bearer).json) != "succeeded" {
                try await Task.sleep(for: .milliseconds(50))
            }
            let exported = try await client.request(.get, "/api/models/\(id)/export", headers: Self.bearer).text
            let bodies: [String: String] = [
                "POST /api/models": String(decoding: try JSONSerialization.data(withJSONObject: TestServer.smallModel(["max_ticks": 10])), as: UTF8.self),
                "POST /api/models/import": exported,
                "PATCH /api/models/{id}": #"{"name":"walked"}"#,
                "POST /api/models/{id}/generate": #"{"max_length":5}"#,
                "POST /api/models/{id}/evaluate": #"{"text":"the cat sat on the mat"}"#,
                "POST /api/models/{id}/predict": #"{"prime":"the "}"#,
            ]
            for operation in walk {
                var uri = operation.path.replacingOccurrences(of: "{id}", with: String(id))
                if operation.path.hasSuffix("/events") { uri += "?max_events=1" }
                let body = bodies["\(operation.method) \(operation.path)"] ?? (operation.method == "GET" ? nil : "{}")
                let method = HTTPRequest.Method(operation.method)!
                let needsToken = operation.token == "always" || (operation.token == "reads" && tokenForReads)
                for (label, headers) in [("no token", HTTPFields()), ("a wrong token", [.authorization: "Bearer nope"] as HTTPFields)] {
                    let reply = try await client.request(method, uri, raw: body, headers: headers)
                    if needsToken {
                        #expect(reply.status == .unauthorized, "\(operation.method) \(uri) with \(label): \(reply.status)")
                        #expect(reply.errorCode == "unauthorized")
                    } else {
                        #expect(reply.status != .unauthorized, "\(operation.method) \(uri) with \(label) needs no token")
                    }
                }
                let reply = try await client.request(method, uri, raw: body, headers: Self.bearer)
                #expect(reply.status != .unauthorized, "\(operation.method) \(uri) with the right token: \(reply.text)")
                #expect(reply.status.code < 500, "\(operation.method) \(uri): \(reply.text)")
            }
        }
    }

    @Test(arguments: StoreKind.allCases) func corsIsOffUnlessOriginsAreConfigured(store: StoreKind) async throws {
        try await TestServer(store: store).run { client in
            let reply = try await client.request(.get, "/api/health", headers: [.origin: "https://example.org"])
            #expect(reply.status == .ok)
            #expect(reply.headers[.accessControlAllowOrigin] == nil)
            let preflight = try await client.request(.options, "/api/models", headers: [
                .origin: "https://example.org", .accessControlRequestMethod: "POST",
            ])
            #expect(preflight.headers[.accessControlAllowOrigin] == nil)
            #expect(preflight.status != .noContent)
        }
    }

    @Test(arguments: StoreKind.allCases) func corsAllowsOnlyTheConfiguredOrigins(store: StoreKind) async throws {
        try await Self.server(store, origins: ["https://lab.example.org"]).run { client in
            let preflight = try await client.request(.options, "/api/models", headers: [
                .origin: "https://lab.example.org", .accessControlRequestMethod: "POST",
                .accessControlRequestHeaders: "authorization, content-type",
            ])
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.accessControlAllowOrigin] == "https://lab.example.org")
            #expect(preflight.headers[.accessControlAllowHeaders]?.contains("Authorization") == true)
            #expect(preflight.headers[.accessControlAllowMethods]?.contains("PATCH") == true)
            // Errors carry the header too, so the page can read the message.
            let refused = try await client.request(.post, "/api/models", body: TestServer.smallModel(),
                                                   headers: [.origin: "https://lab.example.org"])
            #expect(refused.status == .unauthorized)
            #expect(refused.headers[.accessControlAllowOrigin] == "https://lab.example.org")
            #expect(refused.headers[.vary] == "Origin")
            let other = try await client.request(.get, "/api/health", headers: [.origin: "https://evil.example.com"])
            #expect(other.headers[.accessControlAllowOrigin] == nil)
            let otherPreflight = try await client.request(.options, "/api/models", headers: [
                .origin: "https://evil.example.com", .accessControlRequestMethod: "DELETE",
            ])
            #expect(otherPreflight.headers[.accessControlAllowOrigin] == nil)
        }
        try await TestServer(store: store, configure: { $0.corsOrigins = ["*"] }).run { client in
            let reply = try await client.request(.get, "/api/health", headers: [.origin: "https://anywhere.example"])
            #expect(reply.headers[.accessControlAllowOrigin] == "*")
        }
    }
}
