import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// `recurrent serve` configured by environment variables, flags winning
/// over them, and the documentation listing every one.
@Suite(.serialized)
struct ServeConfigurationTests {
    typealias Server = ServeRestartTests.Server

    @Test func environmentVariablesConfigureTheService() throws {
        let workspace = try Workspace()
        try FileManager.default.createDirectory(atPath: workspace.path("site"), withIntermediateDirectories: true)
        try "<p>from the environment</p>".write(toFile: workspace.path("site/index.html"), atomically: true, encoding: .utf8)
        let server = try Server(in: workspace, arguments: ["serve"], environment: [
            "RECURRENT_HOST": "127.0.0.1",
            "RECURRENT_PORT": "0",
            "RECURRENT_DATABASE": workspace.path("elsewhere/env.sqlite"),
            "RECURRENT_PUBLIC": workspace.path("site"),
            "RECURRENT_MAX_JOBS": "3",
            "RECURRENT_API_TOKEN": "env-token",
            "RECURRENT_CORS_ORIGINS": "https://a.example, https://b.example",
            "RECURRENT_LOG_FORMAT": "json",
            "RECURRENT_MAX_CORPUS_BYTES": "100",
        ])
        defer { server.kill(SIGKILL) }
        #expect(FileManager.default.fileExists(atPath: workspace.path("elsewhere/env.sqlite")))
        let health = try server.request("GET", "/api/health").1
        #expect((health["jobs"] as? [String: Any])?["max_running"] as? Int == 3)
        let page = try String(contentsOf: URL(string: "http://127.0.0.1:\(server.port)/")!, encoding: .utf8)
        #expect(page.contains("from the environment"))

        let model: [String: Any] = ["sentences": Workspace.sentences.prefix(2).map { $0 }, "hidden_sizes": [4], "letter_size": 2]
        #expect(try server.request("POST", "/api/models", model).0 == 401)
        let tooLong: [String: Any] = ["sentences": Workspace.sentences, "hidden_sizes": [4], "letter_size": 2]
        let refused = try server.request("POST", "/api/models", tooLong, headers: ["Authorization": "Bearer env-token"])
        #expect(refused.0 == 422 && (refused.1["error"] as? [String: Any])?["code"] as? String == "corpus_too_large")
        let (created, headers) = try server.exchange("POST", "/api/models", model,
                                                     headers: ["Authorization": "Bearer env-token", "Origin": "https://b.example"])
        #expect(created.0 == 201, "\(created.1)")
        #expect(headers["Access-Control-Allow-Origin"] as? String == "https://b.example")

        // Every log line is one JSON object.
        let lines = server.log.split(separator: "\n").filter { !$0.isEmpty }
        #expect(!lines.isEmpty)
        for line in lines {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any], "not JSON: \(line)")
        }
    }

    @Test func aFlagWinsOverItsVariable() throws {
        let workspace = try Workspace()
        try FileManager.default.createDirectory(atPath: workspace.path("public"), withIntermediateDirectories: true)
        let server = try Server(in: workspace, extra: ["--max-jobs", "2"], environment: ["RECURRENT_MAX_JOBS": "5"])
        defer { server.kill(SIGKILL) }
        let health = try server.request("GET", "/api/health").1
        #expect((health["jobs"] as? [String: Any])?["max_running"] as? Int == 2)
    }

    @Test(arguments: [
        ("RECURRENT_PORT", "eighty", "RECURRENT_PORT=eighty"),
        ("RECURRENT_PORT", "70000", "port"),
        ("RECURRENT_MAX_JOBS", "0", "max jobs"),
        ("RECURRENT_LOG_LEVEL", "loud", "RECURRENT_LOG_LEVEL=loud"),
        ("RECURRENT_TOKEN_FOR_READS", "true", "needs an API token"),
        ("RECURRENT_CORS_ORIGINS", "example.org", "CORS origin"),
        ("RECURRENT_API_TOKEN_FILE", "/nonexistent/token", "cannot read the API token file"),
        ("RECURRENT_IDLE_TIMEOUT", "-1", "idle timeout"),
    ])
    func aBadVariableIsAUsageError(name: String, value: String, mentions: String) throws {
        let workspace = try Workspace()
        // No --port flag for the port's own cases: the flag would win.
        let arguments = ["serve"] + (name == "RECURRENT_PORT" ? [] : ["--port", "0"])
        let output = try RecurrentProcess.run(arguments, in: workspace.folder, timeout: 10, environment: [name: value])
        #expect(output.status == 2)
        #expect(output.stderrLines.count == 1, "\(output.stderr)")
        #expect(output.stderr.contains(mentions), "\(output.stderr)")
    }

    @Test func tokenFileIsRead() throws {
        let workspace = try Workspace()
        try FileManager.default.createDirectory(atPath: workspace.path("public"), withIntermediateDirectories: true)
        try "from-a-file\n".write(toFile: workspace.path("token"), atomically: true, encoding: .utf8)
        let server = try Server(in: workspace, extra: ["--api-token-file", workspace.path("token")])
        defer { server.kill(SIGKILL) }
        #expect(try server.request("DELETE", "/api/models/1").0 == 401)
        #expect(try server.request("DELETE", "/api/models/1", headers: ["Authorization": "Bearer from-a-file"]).0 == 404)
    }

    /// `serve --help` and the README's configuration table name the same variables.
    @Test func helpAndReadmeListEveryVariable() throws {
        let workspace = try Workspace()
        let help = try RecurrentProcess.run(["serve", "--help"], in: workspace.folder)
        #expect(help.status == 0)
        let pattern = /RECURRENT_[A-Z_]+/
        let inHelp = Set(help.stdout.matches(of: pattern).map { String($0.output) })
        #expect(inHelp.count >= 15, "\(inHelp.sorted())")
        let readmeURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let readme = try String(contentsOf: readmeURL, encoding: .utf8)
        let inReadme = Set(readme.matches(of: pattern).map { String($0.output) }).subtracting(["RECURRENT_BINARY"])
        #expect(inHelp == inReadme, "only in --help: \(inHelp.subtracting(inReadme).sorted()); only in README: \(inReadme.subtracting(inHelp).sorted())")
    }
}
