import Foundation
import Hummingbird
import RecurrentJobs

/// `GET /api/health`: whether the service is up, its version and uptime, and
/// how many jobs train or wait.
struct HealthRoutes: Sendable {
    let scheduler: JobScheduler
    let started: Date

    func register(on router: Router<BasicRequestContext>) {
        router.get("/api/health") { _, _ in
            JSON.response([
                "status": "ok",
                "version": ServiceVersion.current,
                "uptime_seconds": Date().timeIntervalSince(started),
                "jobs": ["running": scheduler.runningCount, "queued": scheduler.queuedCount,
                         "max_running": scheduler.configuration.maxJobs],
            ] as [String: Any])
        }
    }
}
