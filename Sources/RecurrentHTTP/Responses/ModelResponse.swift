import RecurrentStore

/// A model as the API shows it: the stored row, with the live figures of its
/// job laid over it while it trains (the row is written about once a second).
/// Every field is always present; unknown values are null.
struct ModelResponse: Encodable, Sendable {
    var id: Int64
    var name: String
    var status: String
    var config: ConfigResponse
    var learningRate: Double
    var sampleTemperature: Double
    var maxTicks: Int?
    var vocabulary: [String]
    var vocabularySize: Int
    var parameterCount: Int
    var sentenceCount: Int
    var hasCorpus: Bool
    /// The uploaded corpus it trains on (`POST /api/corpora`), if any.
    var corpusID: Int64?
    var ticks: Int
    var epoch: Double
    var perplexity: Double?
    var medianPerplexity: Double?
    var ticksPerSec: Double?
    var charsPerSec: Double?
    var lastTickAt: String?
    var clippedRatio: Double?
    var greedy: String?
    var validationLoss: Double?
    var bestValidationLoss: Double?
    var bestStep: Int?
    var checkpointTicks: Int?
    var checkpointAt: String?
    /// In a cluster, the worker holding the job's lease.
    var worker: WorkerResponse?
    /// Threads the running job trains with now (on the node that trains it).
    var threads: Int?
    var error: String?
    var createdAt: String
    var updatedAt: String

    enum CodingKeys: String, CodingKey {
        case id, name, status, config, vocabulary, ticks, epoch, perplexity, greedy, error, worker, threads
        case learningRate = "learning_rate", sampleTemperature = "sample_temperature", maxTicks = "max_ticks"
        case vocabularySize = "vocabulary_size", parameterCount = "parameter_count", sentenceCount = "sentence_count"
        case hasCorpus = "has_corpus", corpusID = "corpus_id", medianPerplexity = "median_perplexity", ticksPerSec = "ticks_per_sec"
        case charsPerSec = "chars_per_sec", lastTickAt = "last_tick_at", clippedRatio = "clipped_ratio"
        case validationLoss = "validation_loss", bestValidationLoss = "best_validation_loss", bestStep = "best_step"
        case checkpointTicks = "checkpoint_ticks", checkpointAt = "checkpoint_at"
        case createdAt = "created_at", updatedAt = "updated_at"
    }

    init(_ record: ModelRecord, live: ProgressFigures?) {
        var figures = record.figures
        if let live, record.status == .running {
            figures = live
            figures.greedyText = live.greedyText ?? record.figures.greedyText
        }
        let training = record.status == .running
        id = record.id
        name = record.name
        status = record.status.rawValue
        config = ConfigResponse(record.config)
        learningRate = record.settings.learningRate
        sampleTemperature = record.settings.sampleTemperature
        maxTicks = record.settings.maxTicks
        vocabulary = record.vocabulary
        vocabularySize = record.vocabulary.count
        parameterCount = record.parameterCount
        sentenceCount = record.sentenceCount
        hasCorpus = record.sentenceCount > 0
        corpusID = record.corpusID
        ticks = figures.ticks
        epoch = figures.epoch
        perplexity = figures.latestPerplexity
        medianPerplexity = figures.medianPerplexity
        // Rates describe a training job; a stopped model has none.
        ticksPerSec = training ? figures.ticksPerSecond : nil
        charsPerSec = training ? figures.charactersPerSecond : nil
        lastTickAt = APITime.string(figures.lastTickAt)
        clippedRatio = figures.clippedRatio
        greedy = figures.greedyText
        validationLoss = figures.validationLoss
        bestValidationLoss = figures.bestValidationLoss
        bestStep = figures.bestStep
        checkpointTicks = record.checkpointTicks
        checkpointAt = APITime.string(record.checkpointAt)
        worker = record.lease.map(WorkerResponse.init)
        threads = training ? live?.threads : nil
        // While storage fails, a running job says so here.
        error = record.error ?? (training ? live?.storageError : nil)
        createdAt = APITime.string(record.createdAt) ?? ""
        updatedAt = APITime.string(record.updatedAt) ?? ""
    }
}

/// The worker that holds a job's lease, since when, and until when unless it
/// renews it.
struct WorkerResponse: Encodable, Sendable {
    var id: String
    var since: String?
    var leaseExpiresAt: String?

    enum CodingKeys: String, CodingKey {
        case id, since
        case leaseExpiresAt = "lease_expires_at"
    }

    init(_ lease: LeaseHolder) {
        id = lease.owner
        since = APITime.string(lease.since)
        leaseExpiresAt = APITime.string(lease.expiresAt)
    }
}

/// A model's configuration as the API shows it; the text-corpus settings
/// only for text corpora.
struct ConfigResponse: Encodable, Sendable {
    var config: ModelConfig

    init(_ config: ModelConfig) { self.config = config }

    enum CodingKeys: String, CodingKey {
        case generator, regc, clipval, corpus, dropout, seed
        case hiddenSizes = "hidden_sizes", letterSize = "letter_size", optimizer, batchSize = "batch_size"
        case sequenceLength = "seq_length", validationFraction = "val_fraction", validationInterval = "val_interval"
        case learningRateDecay = "lr_decay"
        case learningRateSchedule = "lr_schedule", warmupTicks = "warmup_ticks", earlyStop = "early_stop"
        case precision
    }

    func encode(to encoder: any Encoder) throws {
        var values = encoder.container(keyedBy: CodingKeys.self)
        try values.encode(config.generator.rawValue, forKey: .generator)
        try values.encode(config.hiddenSizes, forKey: .hiddenSizes)
        try values.encode(config.letterSize, forKey: .letterSize)
        try values.encode(config.optimizer.rawValue, forKey: .optimizer)
        try values.encode(config.regc, forKey: .regc)
        try values.encode(config.clipval, forKey: .clipval)
        try values.encode(config.corpus.rawValue, forKey: .corpus)
        try values.encode(config.batchSize, forKey: .batchSize)
        try values.encode(config.dropout, forKey: .dropout)
        try values.encode(config.learningRateSchedule.rawValue, forKey: .learningRateSchedule)
        try values.encode(config.warmupTicks, forKey: .warmupTicks)
        try values.encode(config.earlyStop, forKey: .earlyStop)
        if config.corpus == .text {
            try values.encode(config.precision.rawValue, forKey: .precision)
            try values.encode(config.sequenceLength, forKey: .sequenceLength)
            try values.encode(config.validationFraction, forKey: .validationFraction)
            try values.encode(config.validationInterval, forKey: .validationInterval)
            try values.encode(config.learningRateDecay, forKey: .learningRateDecay)
        }
        try values.encodeIfPresent(config.seed.map { Int64(bitPattern: $0) }, forKey: .seed)
    }
}
