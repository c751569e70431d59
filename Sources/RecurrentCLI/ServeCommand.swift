import ArgumentParser
import Dispatch
import Foundation
import Logging
import Recurrent
import RecurrentHTTP
import Synchronization

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension LogFormat: ExpressibleByArgument {}
extension ServiceRole: ExpressibleByArgument {}

/// `recurrent serve`: the training service (REST API, background jobs,
/// SQLite). Only the arguments live here; the service is RecurrentHTTP.
/// Every option has an environment variable (`RECURRENT_...`) used when the
/// flag is absent.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the training service: a JSON API that trains models in the background and keeps them in SQLite, or in PostgreSQL for a cluster.",
        discussion: """
            Every option can also be set by the environment variable named in its help; \
            a flag wins over its variable. The API is described by /openapi.json; \
            metrics are at /metrics. SIGTERM or SIGINT checkpoints every job, ends the \
            event streams and stops listening within --shutdown-seconds; on the next \
            start, jobs that were running or queued continue from their checkpoints. \
            RECURRENT_KERNELS=auto|portable|avx2|avx512 chooses the engine's CPU kernels \
            (default auto: the best this CPU has), for every command.
            """
    )

    @Option(help: "Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface). Env: RECURRENT_HOST.")
    var host: String?

    @Option(help: "TCP port to listen on; 0 picks a free one (default 8080). Env: RECURRENT_PORT.")
    var port: Int?

    @Option(help: "The SQLite database file, its folder created when missing (default ./data/recurrent.sqlite); or a PostgreSQL URL, postgres://USER[:PASSWORD]@HOST:PORT/DB (PGPASSWORD is used when the URL has no password), shared by the nodes of a cluster. Env: RECURRENT_DATABASE.")
    var database: String?

    @Option(help: "What this node does: all (API and training), api (API and page, no training) or worker (training; only /api/health and /metrics). api and worker need PostgreSQL (default all). Env: RECURRENT_ROLE.")
    var role: ServiceRole?

    @Option(name: .customLong("worker-id"), help: "The name of this node's job leases in a cluster, unique per node (default: host name and process id). Env: RECURRENT_WORKER_ID.")
    var workerID: String?

    @Option(name: .customLong("lease-seconds"), help: "Seconds a cluster worker's claim on a job lasts unless renewed (every third of it); a job whose worker died moves to another after this long (default 15). Env: RECURRENT_LEASE_SECONDS.")
    var leaseSeconds: Double?

    @Option(name: .customLong("max-jobs"), help: "Jobs training at once; others wait queued (default: the number of cores). Env: RECURRENT_MAX_JOBS.")
    var maxJobs: Int?

    @Option(name: .customLong("checkpoint-seconds"), help: "Seconds between checkpoints of a running job (default 30). Env: RECURRENT_CHECKPOINT_SECONDS.")
    var checkpointSeconds: Double?

    @Option(help: "Threads OpenBLAS uses for each large product (default 1: concurrent jobs keep a core each). Env: RECURRENT_BLAS_THREADS.")
    var blasThreads: Int?

    @Option(name: .customLong("job-threads"), help: "Threads each text-corpus job trains with, its streams split among them (default: the cores this process may use, shared among the jobs training at the moment). Env: RECURRENT_JOB_THREADS.")
    var jobThreads: Int?

    @Option(name: .customLong("public"), help: "Folder of static files served at / (default ./public). Env: RECURRENT_PUBLIC.")
    var publicDirectory: String?

    @Option(name: .customLong("max-body-bytes"), help: "Largest request body in bytes; larger is a 413 (default 16777216). Env: RECURRENT_MAX_BODY_BYTES.")
    var maxBodyBytes: Int?

    @Option(name: .customLong("max-corpus-bytes"), help: "Largest training corpus in bytes of UTF-8; larger is a 422 (default 10000000). Env: RECURRENT_MAX_CORPUS_BYTES.")
    var maxCorpusBytes: Int?

    @Option(name: .customLong("max-upload-bytes"), help: "Largest corpus uploaded on its own (POST /api/corpora, streamed to storage) in bytes; larger is a 413 (default 1073741824). Env: RECURRENT_MAX_UPLOAD_BYTES.")
    var maxUploadBytes: Int?

    @Option(name: .customLong("api-token"), help: "Token that state-changing requests must send as `Authorization: Bearer <token>` (default: none, no auth). Prefer the variable or --api-token-file: flags show in `ps`. Env: RECURRENT_API_TOKEN.")
    var apiToken: String?

    @Option(name: .customLong("api-token-file"), help: "File holding the API token (first line), e.g. a container secret. Env: RECURRENT_API_TOKEN_FILE.")
    var apiTokenFile: String?

    @Flag(name: .customLong("token-for-reads"), help: "With a token, reads (GET /api/..., /metrics, generate/evaluate/predict) need it too; /api/health and the page stay open. Env: RECURRENT_TOKEN_FOR_READS=true.")
    var tokenForReads = false

    @Option(name: .customLong("cors-origin"), help: "An origin allowed to call the API from its pages, such as https://example.org, or * for any; repeat for more (default: none, CORS off). Env: RECURRENT_CORS_ORIGINS (comma-separated).")
    var corsOrigins: [String] = []

    @Option(name: .customLong("log-level"), help: "Least severe level logged: \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")) (default info: one line per request and job event). Env: RECURRENT_LOG_LEVEL.")
    var logLevel: Logger.Level?

    @Option(name: .customLong("log-format"), help: "Log lines as text or json (one object a line) (default text). Env: RECURRENT_LOG_FORMAT.")
    var logFormat: LogFormat?

    @Option(name: .customLong("shutdown-seconds"), help: "Most seconds SIGTERM may take to checkpoint every job and stop (default 8, under Docker's 10 s stop timeout). Env: RECURRENT_SHUTDOWN_SECONDS.")
    var shutdownSeconds: Double?

    @Option(name: .customLong("idle-timeout"), help: "Seconds a connection may stay silent (no request, or an unfinished request head) before it is closed; 0: never (default 30). Responses and event streams are never cut. Env: RECURRENT_IDLE_TIMEOUT.")
    var idleTimeout: Double?

    func validate() throws {
        _ = try configuration(environment: EnvironmentSettings())
    }

    /// The service's configuration: each flag, else its variable, else the default.
    func configuration(environment: EnvironmentSettings) throws -> ServiceConfiguration {
        var configuration = ServiceConfiguration()
        configuration.host = try host ?? environment.value("RECURRENT_HOST") ?? configuration.host
        configuration.port = try port ?? environment.value("RECURRENT_PORT") ?? configuration.port
        guard (0...65535).contains(configuration.port) else { throw ValidationError("the port must be in 0...65535") }
        configuration.databasePath = try database ?? environment.value("RECURRENT_DATABASE") ?? configuration.databasePath
        configuration.role = try role ?? environment.value("RECURRENT_ROLE") ?? configuration.role
        if configuration.role != .all && !configuration.usesPostgres {
            throw ValidationError("--role \(configuration.role.rawValue) needs a PostgreSQL database shared by the cluster "
                                  + "(--database postgres://USER@HOST:PORT/DB); with SQLite one node does everything (--role all)")
        }
        configuration.workerID = try workerID ?? environment.value("RECURRENT_WORKER_ID") ?? configuration.workerID
        guard !configuration.workerID.isEmpty, configuration.workerID.count <= 200,
              !configuration.workerID.contains(where: { $0.isNewline }) else {
            throw ValidationError("the worker id must be 1 to 200 characters on one line")
        }
        configuration.leaseSeconds = try leaseSeconds ?? environment.value("RECURRENT_LEASE_SECONDS") ?? configuration.leaseSeconds
        guard configuration.leaseSeconds >= 1, configuration.leaseSeconds <= 3600 else {
            throw ValidationError("lease seconds must be in [1, 3600]")
        }
        if let maxJobs = try maxJobs ?? environment.value("RECURRENT_MAX_JOBS") {
            guard maxJobs >= 1 else { throw ValidationError("max jobs must be at least 1") }
            configuration.maxJobs = maxJobs
        }
        configuration.checkpointSeconds = try checkpointSeconds ?? environment.value("RECURRENT_CHECKPOINT_SECONDS") ?? configuration.checkpointSeconds
        guard configuration.checkpointSeconds > 0, configuration.checkpointSeconds.isFinite else {
            throw ValidationError("checkpoint seconds must be positive")
        }
        configuration.blasThreads = try blasThreads ?? environment.value("RECURRENT_BLAS_THREADS") ?? configuration.blasThreads
        guard configuration.blasThreads >= 1 else { throw ValidationError("BLAS threads must be at least 1") }
        configuration.limits.jobThreads = try jobThreads ?? environment.value("RECURRENT_JOB_THREADS") ?? configuration.limits.jobThreads
        if let threads = configuration.limits.jobThreads, !(1...64).contains(threads) {
            throw ValidationError("job threads must be in 1...64")
        }
        configuration.publicDirectory = try publicDirectory ?? environment.value("RECURRENT_PUBLIC") ?? configuration.publicDirectory
        configuration.limits.maxBodyBytes = try maxBodyBytes ?? environment.value("RECURRENT_MAX_BODY_BYTES") ?? configuration.limits.maxBodyBytes
        guard configuration.limits.maxBodyBytes >= 1024 else { throw ValidationError("max body bytes must be at least 1024") }
        configuration.limits.maxCorpusBytes = try maxCorpusBytes ?? environment.value("RECURRENT_MAX_CORPUS_BYTES") ?? configuration.limits.maxCorpusBytes
        guard configuration.limits.maxCorpusBytes >= 1 else { throw ValidationError("max corpus bytes must be positive") }
        configuration.limits.maxUploadBytes = try maxUploadBytes ?? environment.value("RECURRENT_MAX_UPLOAD_BYTES") ?? configuration.limits.maxUploadBytes
        guard configuration.limits.maxUploadBytes >= 1 else { throw ValidationError("max upload bytes must be positive") }
        configuration.apiToken = try apiToken ?? environment.value("RECURRENT_API_TOKEN") ?? readToken()
        if let token = configuration.apiToken, token.contains(where: { $0.isWhitespace || !$0.isASCII }) {
            throw ValidationError("the API token must be printable ASCII without spaces")
        }
        configuration.tokenForReads = try tokenForReads || (environment.flag("RECURRENT_TOKEN_FOR_READS") ?? false)
        if configuration.tokenForReads && !configuration.requiresToken {
            throw ValidationError("--token-for-reads needs an API token")
        }
        configuration.corsOrigins = corsOrigins.isEmpty ? environment.list("RECURRENT_CORS_ORIGINS") ?? [] : corsOrigins
        for origin in configuration.corsOrigins where origin != "*" {
            guard let url = URL(string: origin), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil,
                  url.path.isEmpty || url.path == "/" else {
                throw ValidationError("the CORS origin \(origin) must be * or scheme://host[:port], such as https://example.org")
            }
        }
        configuration.logLevel = try logLevel ?? environment.value("RECURRENT_LOG_LEVEL") ?? configuration.logLevel
        configuration.logFormat = try logFormat ?? environment.value("RECURRENT_LOG_FORMAT") ?? configuration.logFormat
        configuration.shutdownSeconds = try shutdownSeconds ?? environment.value("RECURRENT_SHUTDOWN_SECONDS") ?? configuration.shutdownSeconds
        guard configuration.shutdownSeconds > 0, configuration.shutdownSeconds <= 3600 else {
            throw ValidationError("shutdown seconds must be in (0, 3600]")
        }
        configuration.idleTimeoutSeconds = try idleTimeout ?? environment.value("RECURRENT_IDLE_TIMEOUT") ?? configuration.idleTimeoutSeconds
        guard configuration.idleTimeoutSeconds >= 0, configuration.idleTimeoutSeconds <= 86400 else {
            throw ValidationError("the idle timeout must be in [0, 86400] seconds")
        }
        return configuration

        func readToken() throws -> String? {
            guard let path = try apiTokenFile ?? environment.value("RECURRENT_API_TOKEN_FILE", as: String.self) else { return nil }
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ValidationError("cannot read the API token file \(path)")
            }
            let token = text.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard !token.isEmpty else { throw ValidationError("the API token file \(path) is empty") }
            return token
        }
    }

    func run() throws {
        let settings = try configuration(environment: EnvironmentSettings())
        let failure = Mutex<String?>(nil)
        let done = DispatchSemaphore(value: 0)
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
