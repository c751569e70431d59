/// `POST /api/models/estimate`: what a create request with the same body
/// would train, without creating anything.
struct EstimateResponse: Encodable, Sendable {
    /// Bytes the model would need to train (what the memory budget checks).
    var memoryBytes: Int
    var memoryBudgetBytes: Int
    /// Whether `memoryBytes` is within the budget (a create would be refused otherwise).
    var fits: Bool
    var parameterCount: Int
    var vocabularySize: Int
    /// Characters (Unicode scalars) of the corpus as it would be stored.
    var characters: Int
    /// Text corpora: the characters at the end held out for validation (0 for sentences).
    var validationCharacters: Int
    /// Sentences: how many; a text corpus is one entry.
    var sentenceCount: Int

    enum CodingKeys: String, CodingKey {
        case fits, characters
        case memoryBytes = "memory_bytes", memoryBudgetBytes = "memory_budget_bytes", parameterCount = "parameter_count"
        case vocabularySize = "vocabulary_size", validationCharacters = "validation_characters", sentenceCount = "sentence_count"
    }
}
