import Dispatch
import Foundation
import Recurrent
import Hummingbird
import Logging

/// The training service: its store, its scheduler and its HTTP application.
///
/// `recurrent serve` calls ``run(configuration:)``; tests build the service
/// and run ``makeApplication()`` with HummingbirdTesting.
public final class RecurrentService: Sendable {
    public let configuration: ServiceConfiguration
    let store: ModelStore
    let scheduler: JobScheduler
    let logger: Logger
    private let started = Date()

    /// Opens (and migrates) the database; no job starts until ``recover()``.
    public init(configuration: ServiceConfiguration, logger: Logger = Logger(label: "recurrent.serve")) throws {
        self.configuration = configuration
        self.logger = logger
        store = try ModelStore(path: configuration.databasePath)
        scheduler = JobScheduler(store: store, configuration: configuration, logger: logger)
    }

    /// Queues again the jobs that were running or queued when the service
    /// last stopped; they continue from their checkpoints.
    public func recover() throws {
        try scheduler.recover()
    }

    /// Checkpoints every running job and waits for its thread to end.
    public func shutdown() {
        scheduler.shutdown()
    }

    /// The router with every API route, the error envelope and the static files.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        let routes = RouteTable()
        router.add(middleware: ErrorEnvelopeMiddleware(maxBodyBytes: configuration.limits.maxBodyBytes, routes: routes))
        router.add(middleware: StaticFiles(configuration.publicDirectory, logger: logger))
        let models = ModelRoutes(store: store, scheduler: scheduler, limits: configuration.limits)
        HealthRoutes(scheduler: scheduler, started: started).register(on: router)
        TransferRoutes(models: models).register(on: router)
        models.register(on: router)
        InferenceRoutes(models: models).register(on: router)
        EventStream(models: models).register(on: router)
        routes.record(router.routes)
        return router
    }

    /// The HTTP application listening on the configured host and port.
    public func makeApplication(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> Application<RouterResponder<BasicRequestContext>> {
        Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "recurrent"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// Runs the service until SIGTERM or SIGINT, which checkpoint every job
    /// before the process exits.
    public static func run(configuration: ServiceConfiguration) async throws {
        var configured = Logger(label: "recurrent.serve")
        configured.logLevel = .info
        let logger = configured
        // Process-wide; set before any job starts so OpenBLAS's worker threads
        // inherit the training threads' floating-point mode.
        BLASThreads.set(configuration.blasThreads)
        let service = try RecurrentService(configuration: configuration, logger: logger)
        let signals = ShutdownSignals { [service] in
            service.logger.info("stopping: checkpointing every job")
            service.shutdown()
        }
        try service.recover()
        let app = service.makeApplication { port in
            logger.info("recurrent \(ServiceVersion.current) listening on http://\(configuration.host):\(port)")
        }
        try await app.run()
        withExtendedLifetime(signals) {}
    }
}

/// Catches SIGTERM and SIGINT: runs `onSignal` (checkpoint every job) once,
/// then ends the process. A second signal while it runs ends it at once.
// Unchecked: the sources are set once in init and Dispatch sources are thread-safe.
final class ShutdownSignals: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]

    init(onSignal: @escaping @Sendable () -> Void) {
        let queue = DispatchQueue(label: "recurrent.signals")
        let once = StopFlag()
        sources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                if once.isStopped { _exit(1) }
                once.stop()
                DispatchQueue.global().async {
                    onSignal()
                    exit(0)
                }
            }
            source.resume()
            return source
        }
    }
}
