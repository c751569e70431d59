import Recurrent

/// `POST /api/models/{id}/generate` (not streamed).
struct GenerateResponse: Encodable, Sendable {
    struct Sample: Encodable, Sendable {
        var text: String
        /// Ollama's word, kept for existing readers: `stop` (END or a stop sequence) or `length`.
        var doneReason: String
        var finishReason: String
        var logprob: Double
        var tokens: [GeneratedTokenBody]?

        enum CodingKeys: String, CodingKey {
            case text, logprob, tokens
            case doneReason = "done_reason"
            case finishReason = "finish_reason"
        }

        init(_ sample: GeneratedSample) {
            text = sample.text
            doneReason = sample.finishReason.stopReason.rawValue
            finishReason = sample.finishReason.rawValue
            logprob = sample.logprob
            tokens = sample.tokens?.map(GeneratedTokenBody.init)
        }

        /// `tokens` only when asked for.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(text, forKey: .text)
            try container.encode(doneReason, forKey: .doneReason)
            try container.encode(finishReason, forKey: .finishReason)
            try container.encode(logprob, forKey: .logprob)
            if let tokens { try container.encode(tokens, forKey: .tokens) }
        }
    }

    var samples: [Sample]
    var temperature: Double
    var greedy: Bool
}

/// A character's log-probability; `char` is null for END.
struct CharacterLogprobBody: Encodable, Sendable {
    var char: String?
    var logprob: Double

    init(_ entry: CharacterLogprob) {
        char = entry.character.map { String($0) }
        logprob = entry.logprob
    }
}

/// A generated character with its log-probability and the likeliest alternatives.
struct GeneratedTokenBody: Encodable, Sendable {
    var char: String?
    var logprob: Double
    var top: [CharacterLogprobBody]

    init(_ token: GeneratedToken) {
        char = token.chosen.character.map { String($0) }
        logprob = token.chosen.logprob
        top = token.top.map(CharacterLogprobBody.init)
    }
}

/// A line of a streamed `generate`: characters of sample `sample` as they
/// are produced.
struct GeneratedText: Encodable, Sendable {
    var sample: Int
    var text: String
}

/// The last line of each streamed sample.
struct GeneratedSampleEnd: Encodable, Sendable {
    var sample: Int
    var done = true
    var doneReason: String
    var finishReason: String
    var logprob: Double
    var tokens: [GeneratedTokenBody]?

    enum CodingKeys: String, CodingKey {
        case sample, done, logprob, tokens
        case doneReason = "done_reason"
        case finishReason = "finish_reason"
    }

    init(sample index: Int, _ result: GeneratedSample) {
        sample = index
        doneReason = result.finishReason.stopReason.rawValue
        finishReason = result.finishReason.rawValue
        logprob = result.logprob
        tokens = result.tokens?.map(GeneratedTokenBody.init)
    }

    /// `tokens` only when asked for.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sample, forKey: .sample)
        try container.encode(done, forKey: .done)
        try container.encode(doneReason, forKey: .doneReason)
        try container.encode(finishReason, forKey: .finishReason)
        try container.encode(logprob, forKey: .logprob)
        if let tokens { try container.encode(tokens, forKey: .tokens) }
    }
}

/// `POST /api/models/{id}/evaluate`: the model's loss on the text.
struct EvaluateResponse: Encodable, Sendable {
    var sentences: Int
    var skipped: Int
    var predictions: Int
    var totalCost: Double
    var meanLoss: Double
    var perplexity: Double
    /// With `per_character`: each sentence's characters' surprisals.
    var characters: [SentenceSurprisals]?

    enum CodingKeys: String, CodingKey {
        case sentences, skipped, predictions, perplexity, characters
        case totalCost = "total_cost", meanLoss = "mean_loss"
    }

    init(_ evaluation: Evaluation, characters: [SentenceSurprisals]? = nil) {
        sentences = evaluation.sentences
        skipped = evaluation.skipped
        predictions = evaluation.predictions
        totalCost = evaluation.totalCost
        meanLoss = evaluation.meanLoss
        perplexity = evaluation.perplexity
        self.characters = characters
    }

    /// `characters` only when asked for.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sentences, forKey: .sentences)
        try container.encode(skipped, forKey: .skipped)
        try container.encode(predictions, forKey: .predictions)
        try container.encode(totalCost, forKey: .totalCost)
        try container.encode(meanLoss, forKey: .meanLoss)
        try container.encode(perplexity, forKey: .perplexity)
        if let characters { try container.encode(characters, forKey: .characters) }
    }
}

/// One sentence of a `per_character` evaluation: `surprisal` holds `−ln p`
/// of each of its characters, then of END (one more than its characters);
/// a sentence with characters outside the vocabulary is `skipped` with no surprisals.
struct SentenceSurprisals: Encodable, Sendable {
    var text: String
    var skipped: Bool
    var surprisal: [Double]
}

/// `POST /api/models/{id}/predict`: the most likely next characters.
struct PredictResponse: Encodable, Sendable {
    /// One ranked next character; a null `character` is END.
    struct Prediction: Encodable, Sendable {
        var character: String?
        var end: Bool
        var probability: Double
    }

    var context: String
    var predictions: [Prediction]
}
