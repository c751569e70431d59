import Foundation
import Hummingbird
import RecurrentJobs

/// `GET /api/health`: whether the service is up, its version and uptime, and
/// how many jobs train or wait, and the limits a client can check first.
struct HealthRoutes: Sendable {
    let scheduler: JobScheduler
    let limits: ServiceLimits
    let started: Date
    let role: ServiceRole

    func register(on router: Router<BasicRequestContext>) {
        router.get("/api/health") { _, _ in
            // `running` is this node's; `queued` the queue it draws from (in a cluster, the database's).
            JSONResponse.make(HealthResponse(
                version: ServiceVersion.current,
                uptimeSeconds: Date().timeIntervalSince(started),
                jobs: .init(running: scheduler.runningCount, queued: await scheduler.waitingCount(),
                            maxRunning: scheduler.configuration.trains ? scheduler.configuration.maxJobs : 0),
                role: role.rawValue, workerID: scheduler.configuration.cluster?.workerID, limits: .init(limits)))
        }
    }
}
