import Recurrent

/// A `generate` request's settings, checked: the engine's sampling options,
/// and a beam search's when `beam_width` is given.
struct GenerateSettings: Sendable {
    /// Most stop sequences a request may give, and most characters in each.
    static let maxStopSequences = 16, maxStopLength = 100
    /// Most alternatives `logprobs` may ask for at each character.
    static let maxLogprobs = 20
    /// Largest `repetition_window`.
    static let maxRepetitionWindow = 100_000
    /// Most characters (`count` × `max_length`) a `logprobs` answer may
    /// describe: each comes with up to 21 log-probabilities, so at the limits
    /// of `count` and `max_length` the answer was 116 MB of JSON and 9 s;
    /// here it stays near 12 MB and a second.
    static let maxLogprobCharacters = 20_000

    var count: Int
    var options: SamplingOptions
    /// Nil: sampling. A beam search ignores the temperature, greedy, top-k,
    /// top-p, min-p and the repetition penalty.
    var beam: BeamSearchOptions?
    var stream: Bool
    var temperature: Double

    /// Checks every field of `body`, naming the first bad one; the prime's
    /// characters are checked against the model later.
    init(_ body: GenerateRequest, limits: ServiceLimits, defaultTemperature: Double) throws(APIError) {
        count = body.count ?? 1
        try limits.checkGenerateCount(count)
        let maxLength = body.maxLength ?? 100
        try limits.checkGenerateLength(maxLength)
        temperature = try TrainingSettingsInput.positive(body.temperature, field: "temperature", default: defaultTemperature)
        let seed = try body.seed.map { seed throws(APIError) in try ServiceLimits.checkSeed(seed) }
        stream = body.stream ?? false
        options = SamplingOptions(temperature: Float(temperature), greedy: body.greedy ?? false, maxLength: maxLength,
                                  prime: body.prime ?? "", seed: seed)
        if let topK = body.topK {
            try ServiceLimits.checkInteger(topK, in: 0...limits.maxTopK, field: "top_k")
            options.topK = topK
        }
        if let topP = body.topP {
            // The engine takes a Float: a positive Double below its range would arrive as 0.
            guard topP > 0 && topP <= 1 && Float(topP) > 0 else {
                throw APIError.invalid("top_p", "must be a number in (0, 1] (got \(topP))")
            }
            options.topP = Float(topP)
        }
        if let minP = body.minP {
            guard (0...1).contains(minP) else { throw APIError.invalid("min_p", "must be a number in [0, 1] (got \(minP))") }
            options.minP = Float(minP)
        }
        if let penalty = body.repetitionPenalty {
            try ServiceLimits.checkPositive(penalty, field: "repetition_penalty")
            options.repetitionPenalty = Float(penalty)
        }
        if let window = body.repetitionWindow {
            try ServiceLimits.checkInteger(window, in: 0...Self.maxRepetitionWindow, field: "repetition_window")
            options.repetitionWindow = window
        }
        if let stop = body.stop {
            guard stop.count <= Self.maxStopSequences else {
                throw APIError.invalid("stop", "must have at most \(Self.maxStopSequences) sequences (got \(stop.count))")
            }
            for (index, sequence) in stop.enumerated() {
                guard (1...Self.maxStopLength).contains(sequence.unicodeScalars.count) else {
                    throw APIError.invalid("stop[\(index)]", "must have 1 to \(Self.maxStopLength) characters")
                }
            }
            options.stop = stop
        }
        if let logprobs = body.logprobs {
            try ServiceLimits.checkInteger(logprobs, in: 0...Self.maxLogprobs, field: "logprobs")
            guard count * maxLength <= Self.maxLogprobCharacters else {
                throw APIError.invalid("logprobs",
                                       "needs count × max_length of at most \(Self.maxLogprobCharacters) (got \(count) × \(maxLength))")
            }
            options.logprobs = logprobs
        }
        if let width = body.beamWidth {
            try ServiceLimits.checkInteger(width, in: 1...BeamSearchOptions.maximumWidth, field: "beam_width")
            guard count <= width else {
                throw APIError.invalid("count", "must be at most beam_width (\(width)) for a beam search (got \(count))")
            }
            beam = BeamSearchOptions(width: width, lengthPenalty: 0)
        }
        if let penalty = body.lengthPenalty {
            guard beam != nil else { throw APIError.invalid("length_penalty", "needs beam_width") }
            guard penalty.isFinite && penalty >= 0 && penalty <= 100 else {
                throw APIError.invalid("length_penalty", "must be a number in 0...100 (got \(penalty))")
            }
            beam?.lengthPenalty = penalty
        }
    }
}
