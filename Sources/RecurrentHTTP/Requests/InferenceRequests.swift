import RecurrentJobs

/// `POST /api/models/{id}/generate`: how many samples, how long, how hot,
/// and the decoding options of ``GenerateSettings``.
struct GenerateRequest: Decodable, Sendable {
    var count: Int?
    var maxLength: Int?
    var temperature: Double?
    var greedy: Bool?
    var prime: String?
    var seed: Int?
    var stream: Bool?
    var topK: Int?
    var topP: Double?
    var minP: Double?
    var repetitionPenalty: Double?
    var repetitionWindow: Int?
    var stop: [String]?
    var beamWidth: Int?
    var lengthPenalty: Double?
    var logprobs: Int?
    /// `current` (the default) or `best`; checked by ``sampledWeights()``.
    var weights: String?

    enum CodingKeys: String, CodingKey {
        case count, temperature, greedy, prime, seed, stream, stop, logprobs, weights
        case maxLength = "max_length"
        case topK = "top_k", topP = "top_p", minP = "min_p"
        case repetitionPenalty = "repetition_penalty", repetitionWindow = "repetition_window"
        case beamWidth = "beam_width", lengthPenalty = "length_penalty"
    }

    init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        count = try values.integer(.count)
        maxLength = try values.integer(.maxLength)
        temperature = try values.number(.temperature)
        greedy = try values.boolean(.greedy)
        prime = try values.string(.prime)
        seed = try values.integer(.seed)
        stream = try values.boolean(.stream)
        topK = try values.integer(.topK)
        topP = try values.number(.topP)
        minP = try values.number(.minP)
        repetitionPenalty = try values.number(.repetitionPenalty)
        repetitionWindow = try values.integer(.repetitionWindow)
        stop = try values.strings(.stop)
        beamWidth = try values.integer(.beamWidth)
        lengthPenalty = try values.number(.lengthPenalty)
        logprobs = try values.integer(.logprobs)
        weights = try values.string(.weights)
    }

    /// Which weights to sample from: the latest (`current`, the default) or
    /// those of the best validation loss (`best`); anything else is a 422
    /// naming `weights`.
    func sampledWeights() throws(APIError) -> ModelLibrary.ExportedWeights {
        guard let weights else { return .current }
        guard let choice = ModelLibrary.ExportedWeights(rawValue: weights) else {
            throw APIError.invalid("weights", "must be current or best (got \(weights.debugDescription))")
        }
        return choice
    }
}

/// `POST /api/models/{id}/evaluate`: the text to score, and whether to
/// return every character's surprisal.
struct EvaluateRequest: Decodable, Sendable {
    var text: String?
    var perCharacter: Bool?

    enum CodingKeys: String, CodingKey {
        case text
        case perCharacter = "per_character"
    }

    init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        text = try values.string(.text)
        perCharacter = try values.boolean(.perCharacter)
    }
}

/// `POST /api/models/{id}/predict`: the context and how many next characters.
struct PredictRequest: Decodable, Sendable {
    var context: String?
    var topK: Int?

    enum CodingKeys: String, CodingKey {
        case context
        case topK = "top_k"
    }

    init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        context = try values.string(.context)
        topK = try values.integer(.topK)
    }
}
