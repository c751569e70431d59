import Hummingbird
import NIOCore
import RecurrentJobs
import RecurrentStore

/// `GET /metrics`: the service's metrics in the Prometheus text format.
struct MetricsRoutes: Sendable {
    let metrics: ServiceMetrics
    let store: any ModelStore

    func register(on router: Router<BasicRequestContext>) {
        router.get("/metrics") { _, _ in
            // The counters live in this process: while the database is away
            // they are still served, with the models-by-status gauges as last read.
            let counts = try? await store.statusCounts()
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: metrics.render(jobCounts: counts))))
        }
    }
}
