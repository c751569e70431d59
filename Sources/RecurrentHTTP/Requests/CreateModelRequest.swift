import Recurrent
import RecurrentStore

/// `POST /api/models`: the model's shape, its training settings, its corpus
/// and whether to start training at once. Every field is optional.
struct CreateModelRequest: Decodable, Sendable {
    var name: String?
    var generator: String?
    var hiddenSizes: [Int]?
    var letterSize: Int?
    var optimizer: String?
    var start: Bool?
    var settings: TrainingSettingsInput
    var corpusSettings: CorpusSettings
    var corpus: CorpusInput

    enum CodingKeys: String, CodingKey {
        case name, generator, optimizer, start
        case hiddenSizes = "hidden_sizes", letterSize = "letter_size"
    }

    init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        name = try values.string(.name)
        generator = try values.string(.generator)
        hiddenSizes = try values.integers(.hiddenSizes)
        letterSize = try values.integer(.letterSize)
        optimizer = try values.string(.optimizer)
        start = try values.boolean(.start)
        settings = try TrainingSettingsInput(from: decoder)
        corpusSettings = try CorpusSettings(from: decoder)
        corpus = try CorpusInput(from: decoder)
    }

    /// The generator named, checked, or `fallback`.
    static func checkedGenerator(_ name: String?, default fallback: Generator) throws(APIError) -> Generator {
        guard let name else { return fallback }
        guard let generator = Generator(rawValue: name) else {
            throw APIError.invalid("generator", "must be one of \(Generator.allCases.map(\.rawValue).joined(separator: ", ")) (got \(name.debugDescription))")
        }
        return generator
    }

    /// The optimizer named, checked, or `fallback`.
    static func checkedOptimizer(_ name: String?, default fallback: Optimizer) throws(APIError) -> Optimizer {
        guard let name else { return fallback }
        guard let optimizer = Optimizer(rawValue: name) else {
            throw APIError.invalid("optimizer", "must be one of \(Optimizer.allCases.map(\.rawValue).joined(separator: ", ")) (got \(name.debugDescription))")
        }
        return optimizer
    }

    /// `name`, checked, or `fallback`.
    static func checkedName(_ name: String?, default fallback: String) throws(APIError) -> String {
        guard let name else { return fallback }
        try ServiceLimits.checkName(name)
        return name
    }

    /// The model's configuration, each value checked against `limits`
    /// (the demo's where not given).
    func configuration(limits: ServiceLimits) throws(APIError) -> ModelConfig {
        let demo = ModelConfig.demo
        let sizes = hiddenSizes ?? demo.hiddenSizes
        if hiddenSizes != nil { try limits.checkHiddenSizes(sizes) }
        let letters = letterSize ?? demo.letterSize
        if letterSize != nil { try limits.checkLetterSize(letters) }
        var config = ModelConfig(
            generator: try Self.checkedGenerator(generator, default: demo.generator),
            hiddenSizes: sizes, letterSize: letters,
            optimizer: try Self.checkedOptimizer(optimizer, default: demo.optimizer),
            regc: try settings.checkedRegc(default: demo.regc),
            clipval: try settings.checkedClipval(default: demo.clipval),
            seed: try settings.checkedSeed())
        try corpusSettings.apply(to: &config, limits: limits)
        // A text trains with Adam unless told otherwise (TrainingSettings.textDefaultOptimizer).
        if optimizer == nil && config.corpus == .text { config.optimizer = TrainingSettings.textDefaultOptimizer }
        return config
    }

    /// The settings that may change later, checked.
    func mutableSettings(for config: ModelConfig) throws(APIError) -> MutableSettings {
        let defaultRate = config.corpus == .text
            ? TrainingSettings.textDefaultLearningRate(hiddenSizes: config.hiddenSizes, optimizer: config.optimizer) : 0.01
        let maxTicks = try settings.checkedMaxTicks()
        // The cosine's budget is max_ticks.
        if config.learningRateSchedule == .cosine && maxTicks == nil {
            throw APIError.invalid("lr_schedule", "a cosine schedule runs over max_ticks: give max_ticks too")
        }
        return MutableSettings(learningRate: try settings.checkedLearningRate(default: defaultRate),
                               sampleTemperature: try settings.checkedSampleTemperature(default: 1),
                               maxTicks: maxTicks)
    }
}
