import ArgumentParser
import Dispatch
import Foundation
import Recurrent
import RecurrentServer
import Synchronization

/// `recurrent serve`: the training service (REST API, background jobs,
/// SQLite). Only the arguments live here; the service is RecurrentServer.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the training service: a JSON API that trains models in the background and keeps them in SQLite.",
        discussion: """
            The API is described by /openapi.json. SIGTERM or SIGINT checkpoints every \
            job before the process exits; on the next start, jobs that were running or \
            queued continue from their checkpoints.
            """
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "TCP port to listen on (0 picks a free one).")
    var port = 8080

    @Option(help: "The SQLite database file (its folder is created when missing).")
    var database = "./data/recurrent.sqlite"

    @Option(name: .customLong("max-jobs"), help: "Jobs training at once (default: the number of cores); others wait queued.")
    var maxJobs: Int?

    @Option(name: .customLong("checkpoint-seconds"), help: "Seconds between checkpoints of a running job.")
    var checkpointSeconds = 30.0

    @Option(help: "Threads OpenBLAS uses for each large product (default 1: concurrent jobs keep a core each).")
    var blasThreads = 1

    @Option(name: .customLong("public"), help: "Folder of static files served at / (the page and openapi.json).")
    var publicDirectory = "./public"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        if let maxJobs, maxJobs < 1 { throw ValidationError("--max-jobs must be at least 1") }
        guard checkpointSeconds > 0, checkpointSeconds.isFinite else { throw ValidationError("--checkpoint-seconds must be positive") }
        guard blasThreads >= 1 else { throw ValidationError("--blas-threads must be at least 1") }
    }

    func run() throws {
        // Before any thread starts: OpenBLAS picks its kernels when it loads,
        // so this may re-execute the process once with better ones.
        BLASKernels.selectFastKernels()
        var configuration = ServiceConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.databasePath = database
        if let maxJobs { configuration.maxJobs = maxJobs }
        configuration.checkpointSeconds = checkpointSeconds
        configuration.publicDirectory = publicDirectory
        configuration.blasThreads = blasThreads
        let failure = Mutex<String?>(nil)
        let done = DispatchSemaphore(value: 0)
        let settings = configuration
        // ArgumentParser's root command is synchronous; the service runs on
        // the concurrency pool while this thread waits.
        Task {
            do {
                try await RecurrentService.run(configuration: settings)
            } catch {
                failure.withLock { $0 = "\(error)" }
            }
            done.signal()
        }
        done.wait()
        if let message = failure.withLock({ $0 }) { throw CommandError.failure("serve: \(message)") }
    }
}
