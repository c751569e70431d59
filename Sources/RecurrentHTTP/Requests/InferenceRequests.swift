/// `POST /api/models/{id}/generate`: how many samples, how long, how hot.
struct GenerateRequest: Decodable, Sendable {
    var count: Int?
    var maxLength: Int?
    var temperature: Double?
    var greedy: Bool?
    var prime: String?
    var seed: Int?
    var stream: Bool?

    enum CodingKeys: String, CodingKey {
        case count, temperature, greedy, prime, seed, stream
        case maxLength = "max_length"
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
    }
}

/// `POST /api/models/{id}/evaluate`: the text to score.
struct EvaluateRequest: Decodable, Sendable {
    var text: String?

    enum CodingKeys: String, CodingKey { case text }

    init(from decoder: any Decoder) throws {
        text = try decoder.container(keyedBy: CodingKeys.self).string(.text)
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
