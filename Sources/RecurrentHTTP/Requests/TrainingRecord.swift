import RecurrentStore

/// The `training` object of an exported model file (and of one written by
/// `recurrent train`): the settings and progress the original library does
/// not keep. Written on export; read on import, where its fields are named
/// as the top-level settings they stand for (`learning_rate`, not
/// `training.learning_rate`).
struct TrainingRecord: Codable, Sendable {
    var settings = TrainingSettingsInput()
    var corpusSettings = CorpusSettings()
    var optimizer: String?
    var ticks: Int?
    /// The random generator's four words, as decimal strings.
    var randomState: [String]?

    enum CodingKeys: String, CodingKey {
        case optimizer, ticks, regc, clipval, seed, corpus, dropout
        case randomState = "random_state", learningRate = "learning_rate", sampleTemperature = "sample_temperature"
        case maxTicks = "max_ticks", batchSize = "batch_size", sequenceLength = "seq_length"
        case validationFraction = "val_fraction", validationInterval = "val_interval", learningRateDecay = "lr_decay"
        case learningRateSchedule = "lr_schedule", warmupTicks = "warmup_ticks", earlyStop = "early_stop"
        case precision
    }

    init(settings: TrainingSettingsInput, corpusSettings: CorpusSettings, optimizer: String, ticks: Int, randomState: [String]?) {
        self.settings = settings
        self.corpusSettings = corpusSettings
        self.optimizer = optimizer
        self.ticks = ticks
        self.randomState = randomState
    }

    /// What an export records of `record` at `ticks`.
    init(record: ModelRecord, ticks: Int, randomState: [UInt64]?) {
        let config = record.config
        var settings = TrainingSettingsInput()
        settings.learningRate = record.settings.learningRate
        settings.sampleTemperature = record.settings.sampleTemperature
        settings.maxTicks = record.settings.maxTicks
        settings.regc = config.regc
        settings.clipval = config.clipval
        settings.seed = config.seed.map { Int(Int64(bitPattern: $0)) }
        var corpus = CorpusSettings()
        corpus.corpus = config.corpus.rawValue
        corpus.batchSize = config.batchSize
        corpus.dropout = config.dropout
        // Written only when set, so files without them stay as they were.
        if config.learningRateSchedule != .constant { corpus.learningRateSchedule = config.learningRateSchedule.rawValue }
        if config.warmupTicks != 0 { corpus.warmupTicks = config.warmupTicks }
        if config.earlyStop != 0 { corpus.earlyStop = config.earlyStop }
        if config.precision != .float32 { corpus.precision = config.precision.rawValue }
        if config.corpus == .text {
            corpus.sequenceLength = config.sequenceLength
            corpus.validationFraction = config.validationFraction
            corpus.validationInterval = config.validationInterval
            corpus.learningRateDecay = config.learningRateDecay
        }
        self.init(settings: settings, corpusSettings: corpus, optimizer: config.optimizer.rawValue, ticks: ticks,
                  randomState: randomState?.map(String.init))
    }

    init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        settings = try TrainingSettingsInput(from: decoder)
        corpusSettings = try CorpusSettings(from: decoder)
        ticks = try values.integer(.ticks)
        // A damaged random state is dropped: the model trains on with a fresh one.
        randomState = try? values.strings(.randomState)
    }

    /// Given fields only (an absent one is left out, not null).
    func encode(to encoder: any Encoder) throws {
        var values = encoder.container(keyedBy: CodingKeys.self)
        func put<T: Encodable>(_ value: T?, _ key: CodingKeys) throws { if let value { try values.encode(value, forKey: key) } }
        try put(settings.learningRate, .learningRate)
        try put(settings.regc, .regc)
        try put(settings.clipval, .clipval)
        try put(optimizer, .optimizer)
        try put(ticks, .ticks)
        try put(settings.sampleTemperature, .sampleTemperature)
        try put(randomState, .randomState)
        try put(settings.maxTicks, .maxTicks)
        try put(settings.seed, .seed)
        try put(corpusSettings.corpus, .corpus)
        try put(corpusSettings.batchSize, .batchSize)
        try put(corpusSettings.dropout, .dropout)
        try put(corpusSettings.sequenceLength, .sequenceLength)
        try put(corpusSettings.validationFraction, .validationFraction)
        try put(corpusSettings.validationInterval, .validationInterval)
        try put(corpusSettings.learningRateDecay, .learningRateDecay)
        try put(corpusSettings.learningRateSchedule, .learningRateSchedule)
        try put(corpusSettings.warmupTicks, .warmupTicks)
        try put(corpusSettings.earlyStop, .earlyStop)
        try put(corpusSettings.precision, .precision)
    }
}
