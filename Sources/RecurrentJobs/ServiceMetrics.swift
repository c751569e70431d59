import CoreMetrics
import RecurrentStore
import Prometheus
import Synchronization

/// The service's metrics, recorded through swift-metrics into a Prometheus
/// registry that this service owns (no process-wide `MetricsSystem`
/// bootstrap, so every service in a process, tests included, counts alone).
/// `GET /metrics` renders the registry in the Prometheus text format.
///
/// - `recurrent_jobs{status}`: models by status (gauge, read at scrape time)
/// - `recurrent_ticks_total`, `recurrent_characters_trained_total`: training
///   progress of every job
/// - `recurrent_samples_generated_total{source}`: `recorded` while training,
///   `api` by generate calls
/// - `http_requests_total{route,method,status}` and
///   `http_request_duration_seconds{route,method,status}` (histogram)
public final class ServiceMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    public let ticks: CoreMetrics.Counter
    public let charactersTrained: CoreMetrics.Counter
    public let recordedSamples: CoreMetrics.Counter
    public let generatedSamples: CoreMetrics.Counter
    private let jobGauges: [ModelStatus: CoreMetrics.Gauge]

    private struct RequestKey: Hashable {
        var route: String
        var method: String
        var status: Int
    }
    private struct RequestMetrics: @unchecked Sendable {
        var count: CoreMetrics.Counter
        var duration: CoreMetrics.Timer
    }
    private let requestMetrics = Mutex<[RequestKey: RequestMetrics]>([:])

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
            .seconds(5), .seconds(10),
        ]
        self.factory = factory
        ticks = Counter(label: "recurrent_ticks_total", factory: factory)
        charactersTrained = Counter(label: "recurrent_characters_trained_total", factory: factory)
        recordedSamples = Counter(label: "recurrent_samples_generated_total", dimensions: [("source", "recorded")], factory: factory)
        generatedSamples = Counter(label: "recurrent_samples_generated_total", dimensions: [("source", "api")], factory: factory)
        var gauges: [ModelStatus: CoreMetrics.Gauge] = [:]
        for status in ModelStatus.allCases {
            gauges[status] = Gauge(label: "recurrent_jobs", dimensions: [("status", status.rawValue)], factory: factory)
        }
        jobGauges = gauges
    }

    /// Counts one answered request. `route` is the route's pattern
    /// (`/api/models/{id}`), so the number of series stays bounded.
    public func recordRequest(route: String, method: String, status: Int, nanoseconds: UInt64) {
        let key = RequestKey(route: route, method: method, status: status)
        let metrics = requestMetrics.withLock { cache in
            if let existing = cache[key] { return existing }
            let dimensions = [("route", key.route), ("method", key.method), ("status", String(key.status))]
            let created = RequestMetrics(count: Counter(label: "http_requests_total", dimensions: dimensions, factory: factory),
                                         duration: Timer(label: "http_request_duration_seconds", dimensions: dimensions,
                                                         factory: factory))
            cache[key] = created
            return created
        }
        metrics.count.increment()
        metrics.duration.recordNanoseconds(Int64(clamping: nanoseconds))
    }

    /// The registry in the Prometheus text exposition format, with the job
    /// gauges read from `counts` first.
    public func render(jobCounts counts: [ModelStatus: Int]?) -> [UInt8] {
        if let counts {
            for (status, gauge) in jobGauges { gauge.record(counts[status] ?? 0) }
        }
        return registry.emitToBuffer()
    }
}
