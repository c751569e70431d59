/// The training settings a create or import may give: `learning_rate`,
/// `sample_temperature`, `max_ticks`, `regc`, `clipval` and `seed`.
struct TrainingSettingsInput: Decodable, Sendable {
    var learningRate: Double?
    var sampleTemperature: Double?
    var maxTicks: Int?
    var regc: Double?
    var clipval: Double?
    var seed: Int?

    enum CodingKeys: String, CodingKey {
        case regc, clipval, seed
        case learningRate = "learning_rate", sampleTemperature = "sample_temperature", maxTicks = "max_ticks"
    }

    init() {}

    init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        learningRate = try values.number(.learningRate)
        sampleTemperature = try values.number(.sampleTemperature)
        maxTicks = try values.integer(.maxTicks)
        regc = try values.number(.regc)
        clipval = try values.number(.clipval)
        seed = try values.integer(.seed)
    }

    /// Each given setting, or the one of `fallback` (an import's `training`
    /// record under its top-level fields).
    func over(_ fallback: TrainingSettingsInput) -> TrainingSettingsInput {
        var merged = self
        merged.learningRate = learningRate ?? fallback.learningRate
        merged.sampleTemperature = sampleTemperature ?? fallback.sampleTemperature
        merged.maxTicks = maxTicks ?? fallback.maxTicks
        merged.regc = regc ?? fallback.regc
        merged.clipval = clipval ?? fallback.clipval
        merged.seed = seed ?? fallback.seed
        return merged
    }

    /// `learning_rate`, checked, or `fallback`.
    func checkedLearningRate(default fallback: Double) throws(APIError) -> Double {
        try Self.positive(learningRate, field: "learning_rate", default: fallback)
    }
    /// `sample_temperature`, checked, or `fallback`.
    func checkedSampleTemperature(default fallback: Double) throws(APIError) -> Double {
        try Self.positive(sampleTemperature, field: "sample_temperature", default: fallback)
    }
    /// `clipval`, checked, or `fallback`.
    func checkedClipval(default fallback: Double) throws(APIError) -> Double {
        try Self.positive(clipval, field: "clipval", default: fallback)
    }
    /// `regc`, checked, or `fallback`.
    func checkedRegc(default fallback: Double) throws(APIError) -> Double {
        guard let regc else { return fallback }
        try ServiceLimits.checkRegc(regc)
        return regc
    }
    /// `max_ticks`, checked (nil: no limit).
    func checkedMaxTicks() throws(APIError) -> Int? {
        guard let maxTicks else { return nil }
        try ServiceLimits.checkMaxTicks(maxTicks)
        return maxTicks
    }
    /// `seed`, checked.
    func checkedSeed() throws(APIError) -> UInt64? {
        guard let seed else { return nil }
        return try ServiceLimits.checkSeed(seed)
    }

    /// A rate, temperature or clip value, checked, or `fallback`.
    static func positive(_ value: Double?, field: String, default fallback: Double) throws(APIError) -> Double {
        guard let value else { return fallback }
        try ServiceLimits.checkPositive(value, field: field)
        return value
    }
}
