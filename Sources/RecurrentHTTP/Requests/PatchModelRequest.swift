/// `PATCH /api/models/{id}`: a new name or settings; absent or null fields
/// keep their value, except `max_ticks`, whose explicit null removes the limit.
struct PatchModelRequest: Decodable, Sendable {
    var name: String?
    var learningRate: Double?
    var sampleTemperature: Double?
    var maxTicks: Int?
    /// `"max_ticks": null` was sent.
    var removesMaxTicks = false

    enum CodingKeys: String, CodingKey {
        case name
        case learningRate = "learning_rate", sampleTemperature = "sample_temperature", maxTicks = "max_ticks"
    }

    init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        learningRate = try values.number(.learningRate)
        sampleTemperature = try values.number(.sampleTemperature)
        removesMaxTicks = values.isNull(.maxTicks)
        maxTicks = try values.integer(.maxTicks)
        name = try values.string(.name)
    }
}
