import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// `recurrent serve` as a subprocess: SIGKILL mid-training, start again on
/// the same database, and the job goes on from its checkpoint with its
/// history.
@Suite(.serialized)
struct ServeRestartTests {
    /// A running `recurrent serve` on a free port.
    final class Server {
        let process: Process
        let port: Int
        let logs: [URL]

        /// `arguments` replaces the usual flags (port 0, the workspace's
        /// database and public folder, checkpoints every second, one job).
        init(in workspace: Workspace, extra: [String] = [], arguments: [String]? = nil,
             environment: [String: String] = [:]) throws {
            let (process, stdout, stderr) = try RecurrentProcess.start(
                arguments ?? (["serve", "--port", "0", "--database", workspace.path("data/service.sqlite"), "--public", workspace.path("public"),
                               "--checkpoint-seconds", "1", "--max-jobs", "1"] + extra),
                in: workspace.folder, environment: environment)
            self.process = process
            logs = [stdout, stderr]
            // The port is in the "listening on" line of the log.
            let deadline = Date().addingTimeInterval(20)
            var found: Int?
            while found == nil && Date() < deadline && process.isRunning {
                for log in logs {
                    let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                    if let range = text.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                        found = Int(text[range].split(separator: ":").last ?? "")
                    }
                }
                usleep(20_000)
            }
            guard let found else {
                process.terminate()
                throw ServerError(message: "the server did not start: \(logs.map { (try? String(contentsOf: $0, encoding: .utf8)) ?? "" })")
            }
            port = found
        }

        func kill(_ signal: Int32) {
            Foundation.kill(process.processIdentifier, signal)
            process.waitUntilExit()
        }

        /// Everything the server wrote to stdout and stderr so far.
        var log: String { logs.map { (try? String(contentsOf: $0, encoding: .utf8)) ?? "" }.joined() }

        /// A JSON request; returns the status and the decoded body.
        func request(_ method: String, _ path: String, _ body: [String: Any]? = nil,
                     headers: [String: String] = [:]) throws -> (Int, [String: Any]) {
            try exchange(method, path, body, headers: headers).0
        }

        /// A JSON request; returns the status, the decoded body and the response headers.
        func exchange(_ method: String, _ path: String, _ body: [String: Any]? = nil,
                      headers: [String: String] = [:]) throws -> ((Int, [String: Any]), [AnyHashable: Any]) {
            var headers = headers
            var data: Data?
            if let body {
                data = try JSONSerialization.data(withJSONObject: body)
                headers["Content-Type"] = "application/json"
            }
            let (status, answer, answerHeaders) = try send(method, path, data, headers: headers)
            return ((status, (try? JSONSerialization.jsonObject(with: answer)) as? [String: Any] ?? [:]), answerHeaders)
        }

        /// A request with a raw body; returns the status, the body and the response headers.
        func send(_ method: String, _ path: String, _ body: Data?,
                  headers: [String: String] = [:]) throws -> (Int, Data, [AnyHashable: Any]) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            request.httpMethod = method
            request.timeoutInterval = 10
            for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
            request.httpBody = body
            let done = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var result: (Int, Data, [AnyHashable: Any])?
            nonisolated(unsafe) var failure: (any Error)?
            URLSession.shared.dataTask(with: request) { data, response, error in
                if let error { failure = error }
                let http = response as? HTTPURLResponse
                result = (http?.statusCode ?? 0, data ?? Data(), http?.allHeaderFields ?? [:])
                done.signal()
            }.resume()
            done.wait()
            if let failure { throw failure }
            return result!
        }

        func model(_ id: Int) throws -> [String: Any] { try request("GET", "/api/models/\(id)").1 }

        func metricSteps(_ id: Int) throws -> [Int] {
            let metrics = try request("GET", "/api/models/\(id)/metrics?limit=1000").1["metrics"] as? [[String: Any]] ?? []
            return metrics.compactMap { $0["step"] as? Int }
        }

        func waitFor(_ what: String, timeout: Double = 20, _ condition: () throws -> Bool) throws {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if try condition() { return }
                usleep(50_000)
            }
            throw ServerError(message: "timed out waiting for \(what)")
        }
    }

    struct ServerError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    @Test func killedServerResumesTheJobFromItsCheckpoint() throws {
        let workspace = try Workspace()
        try FileManager.default.createDirectory(atPath: workspace.path("public"), withIntermediateDirectories: true)
        let first = try Server(in: workspace)
        let (status, created) = try first.request("POST", "/api/models", [
            "name": "restart", "sentences": Workspace.sentences, "hidden_sizes": [8], "letter_size": 3, "seed": 5,
            "learning_rate": 0.005,
        ])
        #expect(status == 201)
        let id = try #require(created["id"] as? Int)
        try first.waitFor("a checkpoint with metrics") {
            let model = try first.model(id)
            return (model["checkpoint_ticks"] as? Int ?? 0) >= 200
        }
        let beforeKill = try first.model(id)
        let checkpointBefore = try #require(beforeKill["checkpoint_ticks"] as? Int)
        let historyBefore = try first.metricSteps(id)
        first.kill(SIGKILL)
        #expect(first.process.terminationReason == .uncaughtSignal)

        let second = try Server(in: workspace)
        defer { second.kill(SIGKILL) }
        let resumed = try second.model(id)
        #expect(resumed["status"] as? String == "running")
        #expect(resumed["learning_rate"] as? Double == 0.005)
        // It starts from its last checkpoint, not from zero.
        let checkpointAfter = try #require(resumed["checkpoint_ticks"] as? Int)
        #expect(checkpointAfter >= checkpointBefore)
        #expect((resumed["ticks"] as? Int ?? 0) >= checkpointBefore)
        // The history up to the checkpoint is intact, and nothing after it was kept twice.
        let historyAfter = try second.metricSteps(id)
        let kept = historyBefore.filter { $0 <= checkpointAfter }
        #expect(Array(historyAfter.prefix(kept.count)) == kept)
        #expect(historyAfter == historyAfter.sorted() && Set(historyAfter).count == historyAfter.count)
        try second.waitFor("training to continue") { (try second.model(id)["ticks"] as? Int ?? 0) > checkpointAfter + 100 }
        try second.waitFor("new metric points") { try second.metricSteps(id).count > kept.count }
        let later = try second.metricSteps(id)
        #expect(later == later.sorted() && Set(later).count == later.count)
    }

    @Test func sigtermEndsStreamsCheckpointsAndExitsInTime() throws {
        let workspace = try Workspace()
        try FileManager.default.createDirectory(atPath: workspace.path("public"), withIntermediateDirectories: true)
        let server = try Server(in: workspace, extra: ["--checkpoint-seconds", "3600", "--shutdown-seconds", "5"])
        let (_, created) = try server.request("POST", "/api/models", [
            "sentences": Workspace.sentences, "hidden_sizes": [8], "letter_size": 3, "seed": 5,
        ])
        let id = try #require(created["id"] as? Int)
        try server.waitFor("training") { (try server.model(id)["ticks"] as? Int ?? 0) > 100 }
        // An open event stream must not hold the shutdown up: it ends.
        let streamEnded = DispatchSemaphore(value: 0)
        var events = URLRequest(url: URL(string: "http://127.0.0.1:\(server.port)/api/models/\(id)/events")!)
        events.timeoutInterval = 60
        URLSession.shared.dataTask(with: events) { _, _, _ in streamEnded.signal() }.resume()
        // Nothing observable marks the stream as open before it ends; give the
        // request a moment to arrive.
        usleep(300_000)
        let signalled = Date()
        server.kill(SIGTERM)
        let took = Date().timeIntervalSince(signalled)
        #expect(server.process.terminationStatus == 0, "\(server.log)")
        #expect(took < 5, "shutdown took \(took) s")
        #expect(streamEnded.wait(timeout: .now() + 5) == .success, "the event stream did not end")
        #expect(server.log.contains("stopped: every job checkpointed"), "\(server.log)")

        let again = try Server(in: workspace, extra: ["--checkpoint-seconds", "3600"])
        defer { again.kill(SIGKILL) }
        // The checkpoint came from the shutdown (the periodic one is an hour away)...
        let resumed = try again.model(id)
        let checkpoint = try #require(resumed["checkpoint_ticks"] as? Int)
        #expect(checkpoint > 100)
        #expect(resumed["status"] as? String == "running")
        // ...and the restarted job trains on from it.
        try again.waitFor("training to continue") { (try again.model(id)["ticks"] as? Int ?? 0) > checkpoint + 100 }
    }
}
