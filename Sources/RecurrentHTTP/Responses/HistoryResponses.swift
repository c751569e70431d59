import RecurrentStore

/// A point of the loss history.
struct MetricPointResponse: Encodable, Sendable {
    var step: Int
    var medianPerplexity: Double
    var meanLoss: Double
    var learningRate: Double
    var ticksPerSec: Double
    var time: String?
    var validationLoss: Double?

    enum CodingKeys: String, CodingKey {
        case step, time
        case medianPerplexity = "median_perplexity", meanLoss = "mean_loss", learningRate = "learning_rate"
        case ticksPerSec = "ticks_per_sec", validationLoss = "validation_loss"
    }

    init(_ point: MetricPoint) {
        step = point.step
        medianPerplexity = point.medianPerplexity
        meanLoss = point.meanLoss
        learningRate = point.learningRate
        ticksPerSec = point.ticksPerSecond
        time = APITime.string(point.time)
        validationLoss = point.validationLoss
    }
}

/// `GET /api/models/{id}/metrics`: a page of the loss history.
struct MetricsResponse: Encodable, Sendable {
    var metrics: [MetricPointResponse]
    /// The `after_step` of the next page; null on the last.
    var nextAfterStep: Int?

    enum CodingKeys: String, CodingKey {
        case metrics
        case nextAfterStep = "next_after_step"
    }
}

/// A recorded sample; without `id` in the event stream (the row gets its id
/// when the next flush writes it).
struct SampleResponse: Encodable, Sendable {
    var id: Int64?
    var step: Int
    var kind: String
    var temperature: Double?
    var text: String
    var time: String?

    enum CodingKeys: String, CodingKey { case id, step, kind, temperature, text, time }

    init(_ entry: SampleEntry, withID: Bool = true) {
        id = withID ? entry.id : nil
        step = entry.step
        kind = entry.kind.rawValue
        temperature = entry.temperature
        text = entry.text
        time = APITime.string(entry.time)
    }

    func encode(to encoder: any Encoder) throws {
        var values = encoder.container(keyedBy: CodingKeys.self)
        if let id { try values.encode(id, forKey: .id) }
        try values.encode(step, forKey: .step)
        try values.encode(kind, forKey: .kind)
        try values.encodeIfPresent(temperature, forKey: .temperature)
        try values.encode(text, forKey: .text)
        try values.encodeIfPresent(time, forKey: .time)
    }
}

/// `GET /api/models/{id}/samples`: a page of recorded samples.
struct SamplesResponse: Encodable, Sendable {
    var samples: [SampleResponse]
    /// The `after` of the next page (the last id, or the one asked for).
    var nextAfter: Int64

    enum CodingKeys: String, CodingKey {
        case samples
        case nextAfter = "next_after"
    }
}

/// `GET /api/models`: a page of models, newest first.
struct ModelListResponse: Encodable, Sendable {
    var models: [ModelResponse]
    /// The `after` of the next page; null on the last.
    var nextAfter: Int64?

    enum CodingKeys: String, CodingKey {
        case models
        case nextAfter = "next_after"
    }
}

/// `GET /api/health`.
struct HealthResponse: Encodable, Sendable {
    struct Jobs: Encodable, Sendable {
        var running: Int
        var queued: Int
        var maxRunning: Int

        enum CodingKeys: String, CodingKey {
            case running, queued
            case maxRunning = "max_running"
        }
    }

    /// The limits a client can check before it sends a corpus or a model
    /// (the page says them in words and refuses a file over them).
    struct Limits: Encodable, Sendable {
        var maxCorpusBytes: Int
        var maxBodyBytes: Int
        var memoryBudgetBytes: Int
        var maxUploadBytes: Int

        init(_ limits: ServiceLimits) {
            maxCorpusBytes = limits.maxCorpusBytes
            maxBodyBytes = limits.maxBodyBytes
            memoryBudgetBytes = limits.memoryBudgetBytes
            maxUploadBytes = limits.maxUploadBytes
        }

        enum CodingKeys: String, CodingKey {
            case maxCorpusBytes = "max_corpus_bytes", maxBodyBytes = "max_body_bytes", memoryBudgetBytes = "memory_budget_bytes"
            case maxUploadBytes = "max_upload_bytes"
        }
    }

    var status = "ok"
    var version: String
    var uptimeSeconds: Double
    var jobs: Jobs
    /// `all`, `api` or `worker`.
    var role: String
    /// In a cluster, the name of this node's leases.
    var workerID: String?
    var limits: Limits

    enum CodingKeys: String, CodingKey {
        case status, version, jobs, role, limits
        case uptimeSeconds = "uptime_seconds", workerID = "worker_id"
    }
}
