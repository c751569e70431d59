import Recurrent

/// `POST /api/models/{id}/generate` (not streamed).
struct GenerateResponse: Encodable, Sendable {
    struct Sample: Encodable, Sendable {
        var text: String
        var doneReason: String

        enum CodingKeys: String, CodingKey {
            case text
            case doneReason = "done_reason"
        }
    }

    var samples: [Sample]
    var temperature: Double
    var greedy: Bool
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

    enum CodingKeys: String, CodingKey {
        case sample, done
        case doneReason = "done_reason"
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

    enum CodingKeys: String, CodingKey {
        case sentences, skipped, predictions, perplexity
        case totalCost = "total_cost", meanLoss = "mean_loss"
    }

    init(_ evaluation: Evaluation) {
        sentences = evaluation.sentences
        skipped = evaluation.skipped
        predictions = evaluation.predictions
        totalCost = evaluation.totalCost
        meanLoss = evaluation.meanLoss
        perplexity = evaluation.perplexity
    }
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
