import Dispatch
import Foundation
import Recurrent
import RecurrentJobs
import RecurrentPostgres
import RecurrentSQLite
import RecurrentStore
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The training service: its store, its scheduler and its HTTP application.
///
/// `recurrent serve` calls ``run(configuration:)``; tests build the service
/// and run ``makeApplication()`` with HummingbirdTesting.
public final class RecurrentService: Sendable {
    public let configuration: ServiceConfiguration
    let store: any ModelStore
    let scheduler: JobScheduler
    let metrics: ServiceMetrics
    let logger: Logger
    private let started = Date()

    /// Opens (and migrates) the SQLite database of the configuration; no
    /// job starts until ``recover()``. The logger defaults to the
    /// configuration's level and format on standard error.
    public convenience init(configuration: ServiceConfiguration, logger: Logger? = nil) throws {
        try self.init(configuration: configuration, store: SQLiteModelStore(path: configuration.databasePath),
                      logger: logger)
    }

    /// The service on an open store (SQLite, or PostgreSQL for a cluster).
    public init(configuration: ServiceConfiguration, store: any ModelStore, logger: Logger? = nil) throws {
        if configuration.role != .all && !(store is any JobLeaseStore) {
            throw StoreError.cannotOpen("--role \(configuration.role.rawValue) needs a shared PostgreSQL database "
                                        + "(--database postgres://...); with SQLite a node does everything (--role all)")
        }
        self.configuration = configuration
        self.logger = logger ?? makeServiceLogger(format: configuration.logFormat, level: configuration.logLevel)
        metrics = ServiceMetrics()
        self.store = store
        scheduler = JobScheduler(store: store, configuration: configuration.scheduler, metrics: metrics, logger: self.logger)
    }

    /// Opens the configuration's database, SQLite or PostgreSQL (waiting at
    /// most `connectionTimeout` for the server), and builds the service.
    public static func open(configuration: ServiceConfiguration, logger: Logger? = nil,
                            connectionTimeout: Duration = .seconds(10)) async throws -> RecurrentService {
        let logger = logger ?? makeServiceLogger(format: configuration.logFormat, level: configuration.logLevel)
        guard configuration.usesPostgres else { return try RecurrentService(configuration: configuration, logger: logger) }
        let store = try await PostgresModelStore(url: configuration.databasePath, connectionTimeout: connectionTimeout,
                                                 logger: logger)
        do {
            return try RecurrentService(configuration: configuration, store: store, logger: logger)
        } catch {
            try? await store.close()
            throw error
        }
    }

    /// Queues again the jobs that were running or queued when the service
    /// last stopped; they continue from their checkpoints.
    public func recover() async throws {
        try await scheduler.recover()
    }

    /// Checkpoints every running job, waits for its thread to end, and
    /// closes the store (its file then holds everything).
    public func shutdown() async {
        await scheduler.shutdown()
        await closeStore()
    }

    /// Closes the store, logging (not throwing) a failure: the jobs have
    /// checkpointed already, and a store that cannot be closed cleanly still
    /// recovers on its next start.
    func closeStore() async {
        do {
            try await store.close()
        } catch {
            logger.error("could not close the database cleanly: \(error)")
        }
    }

    /// The router with every API route, the error envelope, access control
    /// and the static files.
    ///
    /// Middleware order, outermost first: metrics and the request log see
    /// every final answer; CORS headers go on errors too; the error envelope
    /// turns every error into JSON; the token check runs before any body is
    /// read; static files last.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        let routes = RouteTable()
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        router.add(middleware: RequestLogMiddleware(logger: logger))
        if !configuration.corsOrigins.isEmpty {
            router.add(middleware: AllowedOriginsMiddleware(origins: configuration.corsOrigins))
        }
        router.add(middleware: ErrorEnvelopeMiddleware(maxBodyBytes: configuration.limits.maxBodyBytes, routes: routes))
        if configuration.requiresToken, let token = configuration.apiToken {
            router.add(middleware: BearerTokenMiddleware(token: token, tokenForReads: configuration.tokenForReads))
        }
        if configuration.role.servesAPI {
            router.add(middleware: StaticFiles(configuration.publicDirectory, logger: logger))
        }
        let limits = configuration.limits
        let lookup = ModelLookup(store: store)
        // Every route's bodies go through one reader (one budget for the service).
        let bodies = BodyReader(limit: limits.maxBodyBytes)
        HealthRoutes(scheduler: scheduler, limits: limits, started: started, role: configuration.role).register(on: router)
        MetricsRoutes(metrics: metrics, store: store).register(on: router)
        // A worker answers only its health and metrics.
        guard configuration.role.servesAPI else {
            routes.record(router.routes)
            return router
        }
        let library = ModelLibrary(store: store, scheduler: scheduler)
        ExportRoutes(store: store, library: library, lookup: lookup).register(on: router)
        ImportRoutes(library: library, limits: limits, bodies: bodies).register(on: router)
        EstimateRoutes(limits: limits, bodies: bodies).register(on: router)
        ModelRoutes(store: store, scheduler: scheduler, library: library, limits: limits, lookup: lookup, bodies: bodies)
            .register(on: router)
        HistoryRoutes(store: store, limits: limits, lookup: lookup).register(on: router)
        CorpusRoutes(store: store, limits: limits).register(on: router)
        InferenceRoutes(scheduler: scheduler, library: library, limits: limits, lookup: lookup, bodies: bodies).register(on: router)
        EventStream(scheduler: scheduler, lookup: lookup).register(on: router)
        routes.record(router.routes)
        return router
    }

    /// The HTTP application listening on the configured host and port.
    public func makeApplication(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> Application<RouterResponder<BasicRequestContext>> {
        let idleTimeout = configuration.idleTimeoutSeconds > 0
            ? TimeAmount.nanoseconds(Int64(configuration.idleTimeoutSeconds * 1e9)) : nil
        return Application(
            router: makeRouter(),
            server: .http1(configuration: .init(idleTimeout: idleTimeout)),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "recurrent"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// Runs the service until SIGTERM or SIGINT.
    ///
    /// On the signal: every job is asked to checkpoint and stop and every
    /// event stream ends; the server stops accepting connections and finishes
    /// the requests in flight; then the process waits for the jobs'
    /// checkpoints. All of it within `shutdownSeconds`, after which the
    /// process exits anyway (each job keeps its last checkpoint).
    public static func run(configuration: ServiceConfiguration) async throws {
        // Process-wide; set before any job starts so OpenBLAS's worker threads
        // inherit the training threads' floating-point mode.
        BLASThreads.set(configuration.blasThreads)
        let service = try await RecurrentService.open(configuration: configuration)
        let logger = service.logger
        try await service.recover()
        let app = service.makeApplication { port in
            logger.info("recurrent \(ServiceVersion.current) listening on http://\(configuration.host):\(port)")
        }
        let stopping = JobsShutdown(scheduler: service.scheduler, seconds: configuration.shutdownSeconds, logger: logger)
        // Services stop in reverse order: the jobs first (quick: they are only
        // told to stop, which also ends the event streams), then the server.
        var group = ServiceGroupConfiguration(
            services: [.init(service: app), .init(service: stopping)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        group.maximumGracefulShutdownDuration = .milliseconds(Int64(configuration.shutdownSeconds * 1000))
        try await ServiceGroup(configuration: group).run()
        let finished = await service.scheduler.waitForJobs(timeout: max(0, stopping.deadline.timeIntervalSinceNow))
        await service.closeStore()
        if finished {
            logger.info("stopped: every job checkpointed")
        } else {
            logger.error("stopped before every job had checkpointed; they continue from their previous checkpoints")
        }
    }
}

/// The part of the service's lifecycle that belongs to the jobs: on graceful
/// shutdown it tells every job to checkpoint and stop and arms a watchdog
/// that ends the process if stopping takes longer than allowed.
final class JobsShutdown: Service, Sendable {
    let scheduler: JobScheduler
    let seconds: Double
    let logger: Logger
    private let started = Mutex<Date?>(nil)

    init(scheduler: JobScheduler, seconds: Double, logger: Logger) {
        self.scheduler = scheduler
        self.seconds = seconds
        self.logger = logger
    }

    /// When the process must be gone by (far away until shutdown starts).
    var deadline: Date { started.withLock { $0 ?? .distantFuture }.addingTimeInterval(seconds) }

    func run() async throws {
        // Cancellation (the group ending some other way) stops the jobs too.
        try? await gracefulShutdown()
        started.withLock { $0 = Date() }
        logger.info("stopping: checkpointing every job (at most \(seconds) s)")
        let logger = logger
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds + 1) {
            logger.critical("shutdown took longer than \(self.seconds) s; exiting without waiting further")
            _exit(1)
        }
        scheduler.beginShutdown()
    }
}
