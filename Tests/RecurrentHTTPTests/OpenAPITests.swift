import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import RecurrentHTTP
@testable import RecurrentJobs
@testable import RecurrentStore

/// The OpenAPI document (public/openapi.json) and the router agree.
@Suite struct OpenAPITests {
    static func document() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestServer.publicDirectory).appendingPathComponent("openapi.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func documented() throws -> Set<String> {
        let paths = try #require(try document()["paths"] as? [String: [String: Any]])
        var operations = Set<String>()
        for (path, item) in paths {
            for method in item.keys where ["get", "post", "put", "patch", "delete"].contains(method) {
                operations.insert("\(method.uppercased()) \(path)")
            }
        }
        return operations
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedPathIsRouted() async throws {
        let server = try await TestServer()
        let routed = Set(server.service.makeRouter().routes.map { "\($0.method) \($0.path)" })
        let documented = try Self.documented()
        #expect(!routed.isEmpty)
        #expect(routed.subtracting(documented).isEmpty, "routes missing from openapi.json: \(routed.subtracting(documented).sorted())")
        #expect(documented.subtracting(routed).isEmpty, "documented but not routed: \(documented.subtracting(routed).sorted())")
    }

    @Test func documentIsOpenAPI31WithTheErrorEnvelope() throws {
        let document = try Self.document()
        #expect(document["openapi"] as? String == "3.1.0")
        let schemas = (document["components"] as? [String: Any])?["schemas"] as? [String: Any]
        #expect(schemas?["Error"] != nil)
    }

    @Test func servedAtOpenapiJSON() async throws {
        let server = try await TestServer()
        try await server.run { client in
            let reply = try await client.get("/openapi.json")
            #expect(reply.status == .ok)
            #expect(reply.json["openapi"] as? String == "3.1.0")
        }
    }
}
