import Foundation
import GRDB
import RecurrentStore

/// Columns every table of a model's history shares.
enum HistoryColumns {
    static let id = Column("id")
    static let modelID = Column("model_id")
    static let step = Column("step")
}

/// A row of `metrics`: a point of a model's loss history.
struct MetricRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "metrics"

    var id: Int64?
    var modelID: ModelID
    var step: Int
    var medianPerplexity: Double
    var meanLoss: Double
    var learningRate: Double
    var ticksPerSecond: Double
    var time: Double
    var validationLoss: Double?

    enum CodingKeys: String, CodingKey {
        case id, step, time
        case modelID = "model_id"
        case medianPerplexity = "median_perplexity"
        case meanLoss = "mean_loss"
        case learningRate = "learning_rate"
        case ticksPerSecond = "ticks_per_sec"
        case validationLoss = "validation_loss"
    }

    init(modelID: ModelID, _ point: MetricPoint) {
        id = nil
        self.modelID = modelID
        step = point.step
        medianPerplexity = point.medianPerplexity
        meanLoss = point.meanLoss
        learningRate = point.learningRate
        ticksPerSecond = point.ticksPerSecond
        time = point.time
        validationLoss = point.validationLoss.finiteOrNil
    }

    var point: MetricPoint {
        MetricPoint(step: step, medianPerplexity: medianPerplexity, meanLoss: meanLoss, learningRate: learningRate,
                    ticksPerSecond: ticksPerSecond, time: time, validationLoss: validationLoss)
    }
}

/// A row of `samples`: a text a job recorded while training.
struct SampleRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "samples"

    var id: Int64?
    var modelID: ModelID
    var step: Int
    /// ``SampleEntry/Kind``'s raw value (the table checks it).
    var kind: String
    var temperature: Double?
    var text: String
    var time: Double

    enum CodingKeys: String, CodingKey {
        case id, step, kind, temperature, text, time
        case modelID = "model_id"
    }

    init(modelID: ModelID, _ sample: SampleEntry) {
        id = nil
        self.modelID = modelID
        step = sample.step
        kind = sample.kind.rawValue
        temperature = sample.temperature
        text = sample.text
        time = sample.time
    }

    var entry: SampleEntry {
        SampleEntry(id: id ?? 0, step: step, kind: SampleEntry.Kind(rawValue: kind) ?? .sample,
                    temperature: temperature, text: text, time: time)
    }
}
