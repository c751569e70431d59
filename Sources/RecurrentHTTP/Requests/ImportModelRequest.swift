/// `POST /api/models/import`: the request's own fields around the model file
/// (whose matrices `ModelFile` reads): a name, the corpus, and settings
/// given at the top level or in the file's `training` record.
struct ImportModelRequest: Decodable, Sendable {
    var name: String?
    var corpus: CorpusInput
    var settings: TrainingSettingsInput
    var corpusSettings: CorpusSettings
    var training: TrainingRecord

    enum CodingKeys: String, CodingKey { case name, training }

    init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        name = try values.string(.name)
        corpus = try CorpusInput(from: decoder)
        settings = try TrainingSettingsInput(from: decoder)
        corpusSettings = try CorpusSettings(from: decoder)
        do {
            training = try values.decodeIfPresent(TrainingRecord.self, forKey: .training) ?? TrainingRecord()
        } catch let error as DecodingError where error.codingPath.count > 1 {
            throw error.movedUp()
        }
    }
}

extension TrainingRecord {
    init() {}
}

extension DecodingError {
    /// The same error one level up its coding path (`training.seed` as `seed`).
    func movedUp() -> DecodingError {
        switch self {
        case .typeMismatch(let type, let context): .typeMismatch(type, context.movedUp())
        case .valueNotFound(let type, let context): .valueNotFound(type, context.movedUp())
        case .keyNotFound(let key, let context): .keyNotFound(key, context.movedUp())
        case .dataCorrupted(let context): .dataCorrupted(context.movedUp())
        @unknown default: self
        }
    }
}

extension DecodingError.Context {
    fileprivate func movedUp() -> DecodingError.Context {
        DecodingError.Context(codingPath: Array(codingPath.dropFirst()), debugDescription: debugDescription, underlyingError: underlyingError)
    }
}
