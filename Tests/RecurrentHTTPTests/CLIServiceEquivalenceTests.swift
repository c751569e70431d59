import Foundation
import RecurrentTestSupport
import Testing

/// `recurrent train` and a service job run the same shared training run
/// (RecurrentTraining): given the same settings, corpus and seed, they hold
/// the same weights after the same number of ticks.
///
/// Here rather than in RecurrentCLITests because it needs both a live service
/// (TestServer) and the built `recurrent` executable, which SwiftPM puts
/// beside this test bundle too.
@Suite(.postgresServer) struct CLIServiceEquivalenceTests {
    static let sentencesCorpus = TestServer.sentences.joined(separator: "\n") + "\n"
    static let text = String(repeating: """
        It was the best of times, it was the worst of times, it was the age of wisdom, \
        it was the age of foolishness, it was the epoch of belief, it was the epoch of incredulity.

        """, count: 5)

    @Test("a sentence corpus: the CLI's file and the service's export hold the same weights", arguments: StoreKind.allCases)
    func sentences(store: StoreKind) async throws {
        try await compare(store: store, corpus: Self.sentencesCorpus, ticks: 150, service: [
            "generator": "lstm", "hidden_sizes": [8], "letter_size": 3, "seed": 7, "batch_size": 2,
            "learning_rate": 0.01, "optimizer": "rmsprop",
        ], cli: ["--generator", "lstm", "--hidden-sizes", "8", "--letter-size", "3", "--seed", "7",
                 "--batch-size", "2", "--learning-rate", "0.01", "--optimizer", "rmsprop"])
    }

    @Test("a text corpus with decay over several passes, and Adam", arguments: StoreKind.allCases)
    func text(store: StoreKind) async throws {
        try await compare(store: store, corpus: Self.text, ticks: 120, service: [
            "generator": "gru", "hidden_sizes": [10], "letter_size": 4, "seed": 5, "corpus": "text",
            "batch_size": 4, "seq_length": 16, "val_fraction": 0.1, "val_interval": 25, "lr_decay": 0.8,
            "learning_rate": 0.005, "optimizer": "adam",
        ], cli: ["--generator", "gru", "--hidden-sizes", "10", "--letter-size", "4", "--seed", "5", "--corpus", "text",
                 "--batch-size", "4", "--seq-length", "16", "--val-fraction", "0.1", "--val-interval", "25",
                 "--lr-decay", "0.8", "--learning-rate", "0.005", "--optimizer", "adam"])
    }

    /// Trains `ticks` ticks both ways and compares every weight.
    private func compare(store: StoreKind, corpus: String, ticks: Int, service: [String: Any], cli: [String]) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("recurrent-equivalence-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(corpus.utf8).write(to: folder.appendingPathComponent("corpus.txt"))
        let output = try Self.runCLI(["train", "--data", "corpus.txt", "--ticks", String(ticks), "--out", "cli.json"] + cli,
                                     in: folder)
        try #require(output.status == 0, "recurrent train failed: \(output.stderr)")
        let fromCLI = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("cli.json")))
            as? [String: Any])

        let server = try await TestServer(store: store)
        var body = service
        body["name"] = "equivalence"
        body["text"] = corpus
        body["max_ticks"] = ticks
        let exported = try await Self.trainOnService(server, body: body)

        #expect((fromCLI["training"] as? [String: Any])?["ticks"] as? Int == ticks)
        #expect((exported["training"] as? [String: Any])?["ticks"] as? Int == ticks)
        #expect(fromCLI["vocab"] as? [String] == exported["vocab"] as? [String])
        let cliWeights = try #require(fromCLI["model"] as? [String: Any])
        let serviceWeights = try #require(exported["model"] as? [String: Any])
        #expect(Set(cliWeights.keys) == Set(serviceWeights.keys))
        var compared = 0, worst = 0.0, worstName = ""
        for name in cliWeights.keys.sorted() {
            let a = Self.numbers(cliWeights[name]), b = Self.numbers(serviceWeights[name])
            try #require(a.count == b.count && !a.isEmpty, "\(name): \(a.count) vs \(b.count) values")
            for (x, y) in zip(a, b) {
                let error = abs(x - y) / max(1, abs(x))
                if error > worst { (worst, worstName) = (error, name) }
            }
            compared += a.count
        }
        #expect(compared > 100)
        // Single-threaded on both sides, so in practice exactly equal; the
        // tolerance only allows for a different float summation order.
        #expect(worst <= 1e-5, "largest relative difference \(worst) in \(worstName)")
    }

    /// Creates the model, waits until it has trained `max_ticks` and returns its export.
    private static func trainOnService(_ server: TestServer, body: [String: Any]) async throws -> [String: Any] {
        nonisolated(unsafe) var exported: [String: Any] = [:]
        nonisolated(unsafe) let request = body
        try await server.run { client in
            let id = try await client.create(request)
            let done = try await client.waitForModel(id, timeout: 120) { status($0) == "succeeded" || status($0) == "failed" }
            try #require(status(done) == "succeeded", "the job ended \(status(done)): \(done)")
            let reply = try await client.get("/api/models/\(id)/export")
            try #require(reply.status == .ok, "export: \(reply.text)")
            exported = reply.json
        }
        return exported
    }

    /// Every number in a matrix's JSON, in a fixed order.
    private static func numbers(_ value: Any?) -> [Double] {
        switch value {
        case let number as NSNumber: [number.doubleValue]
        case let array as [Any]: array.flatMap { numbers($0) }
        case let object as [String: Any]: object.keys.sorted().flatMap { numbers(object[$0]) }
        default: []
        }
    }

    // MARK: The executable

    struct Output {
        var status: Int32
        var stderr: String
    }

    /// Runs the built `recurrent` (beside this test bundle, or
    /// $RECURRENT_BINARY) in `folder`, without the caller's `RECURRENT_` variables.
    private static func runCLI(_ arguments: [String], in folder: URL, timeout: Double = 120) throws -> Output {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("RECURRENT_") }
        process.currentDirectoryURL = folder
        let stderrURL = folder.appendingPathComponent("stderr.txt")
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stderr: try String(contentsOf: stderrURL, encoding: .utf8))
    }

    private static func executable() throws -> URL {
        if let override = ProcessInfo.processInfo.environment["RECURRENT_BINARY"] {
            return URL(fileURLWithPath: override)
        }
        var folders: [URL] = []
        if let main = Bundle.main.executableURL { folders.append(main.deletingLastPathComponent()) }
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            var folder = bundle.bundleURL
            for _ in 0..<4 {
                folder = folder.deletingLastPathComponent()
                folders.append(folder)
            }
        }
        folders.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        let candidates = folders.map { $0.appendingPathComponent("recurrent") }
        return try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) },
                            "the `recurrent` executable was not found beside the tests: \(candidates.map(\.path))")
    }
}
