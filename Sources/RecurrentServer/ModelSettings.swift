import Foundation
import Recurrent

/// The fixed shape and training constants of a model, chosen at creation (or
/// import) and stored as JSON in `models.config`.
struct ModelConfig: Codable, Sendable, Equatable {
    var generator: Generator
    var hiddenSizes: [Int]
    var letterSize: Int
    var optimizer: Optimizer
    var regc: Double
    var clipval: Double
    /// The seed of initialisation and sentence choice, when one was given.
    var seed: UInt64?

    enum CodingKeys: String, CodingKey {
        case generator, optimizer, regc, clipval, seed
        case hiddenSizes = "hidden_sizes"
        case letterSize = "letter_size"
    }

    /// The SPEC demo defaults (section 4).
    static let demo = ModelConfig(generator: .lstm, hiddenSizes: [20, 20], letterSize: 5, optimizer: .rmsprop,
                                  regc: 1e-6, clipval: 5, seed: nil)

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func decode(_ text: String) throws -> ModelConfig {
        try JSONDecoder().decode(ModelConfig.self, from: Data(text.utf8))
    }

    /// As the API shows it.
    var dictionary: [String: Any] {
        var result: [String: Any] = [
            "generator": generator.rawValue, "hidden_sizes": hiddenSizes, "letter_size": letterSize,
            "optimizer": optimizer.rawValue, "regc": regc, "clipval": clipval,
        ]
        result["seed"] = seed.map { Int64(bitPattern: $0) } ?? NSNull()
        return result
    }
}

/// The settings that may change while a model trains (PATCH).
struct MutableSettings: Sendable, Equatable {
    var learningRate = 0.01
    var sampleTemperature = 1.0
    var maxTicks: Int?
}

/// Validation shared by create, import and patch, so each rule and its
/// message exist once.
enum SettingsValidator {
    typealias Limits = ServiceConfiguration.Limits

    static func generator(_ body: JSONObject, default value: Generator) throws(APIError) -> Generator {
        guard let name = try body.string("generator") else { return value }
        guard let generator = Generator(rawValue: name) else {
            throw APIError.invalid("generator", "must be one of \(Generator.allCases.map(\.rawValue).joined(separator: ", ")) (got \(name.debugDescription))")
        }
        return generator
    }

    static func optimizer(_ body: JSONObject, default value: Optimizer) throws(APIError) -> Optimizer {
        guard let name = try body.string("optimizer") else { return value }
        guard let optimizer = Optimizer(rawValue: name) else {
            throw APIError.invalid("optimizer", "must be one of \(Optimizer.allCases.map(\.rawValue).joined(separator: ", ")) (got \(name.debugDescription))")
        }
        return optimizer
    }

    static func hiddenSizes(_ body: JSONObject, default value: [Int], limits: Limits) throws(APIError) -> [Int] {
        guard let sizes = try body.ints("hidden_sizes") else { return value }
        guard !sizes.isEmpty, sizes.count <= limits.maxLayers else {
            throw APIError.invalid("hidden_sizes", "must list 1 to \(limits.maxLayers) layer sizes (got \(sizes.count))")
        }
        for (index, size) in sizes.enumerated() where !limits.hiddenSizes.contains(size) {
            throw APIError.invalid("hidden_sizes[\(index)]", "must be in \(limits.hiddenSizes.lowerBound)...\(limits.hiddenSizes.upperBound) (got \(size))")
        }
        return sizes
    }

    static func letterSize(_ body: JSONObject, default value: Int, limits: Limits) throws(APIError) -> Int {
        guard let size = try body.int("letter_size") else { return value }
        guard limits.letterSizes.contains(size) else {
            throw APIError.invalid("letter_size", "must be in \(limits.letterSizes.lowerBound)...\(limits.letterSizes.upperBound) (got \(size))")
        }
        return size
    }

    static func positive(_ body: JSONObject, _ key: String, default value: Double) throws(APIError) -> Double {
        guard let number = try body.double(key) else { return value }
        guard number.isFinite, number > 0, Float(number).isFinite, Float(number) > 0 else {
            throw APIError.invalid(key, "must be a finite number greater than 0 (got \(number))")
        }
        return number
    }

    static func regc(_ body: JSONObject, default value: Double) throws(APIError) -> Double {
        guard let number = try body.double("regc") else { return value }
        guard number.isFinite, number >= 0, Float(number).isFinite else {
            throw APIError.invalid("regc", "must be a finite number >= 0 (got \(number))")
        }
        return number
    }

    /// `max_ticks`; an explicit null removes the limit.
    static func maxTicks(_ body: JSONObject, default value: Int?) throws(APIError) -> Int? {
        if body.values["max_ticks"] is NSNull { return nil }
        guard body.has("max_ticks") else { return value }
        guard let ticks = try body.int("max_ticks") else { return value }
        guard ticks >= 1 else { throw APIError.invalid("max_ticks", "must be an integer >= 1 (got \(ticks))") }
        return ticks
    }

    static func seed(_ body: JSONObject) throws(APIError) -> UInt64? {
        guard let seed = try body.int("seed") else { return nil }
        guard seed >= 0 else { throw APIError.invalid("seed", "must be an integer >= 0") }
        return UInt64(seed)
    }

    static func name(_ body: JSONObject, default value: String) throws(APIError) -> String {
        guard let name = try body.string("name") else { return value }
        guard name.count <= 200 else { throw APIError.invalid("name", "must be at most 200 characters") }
        return name
    }

    /// The sentences from `text` (split as for training) or `sentences`
    /// (each trimmed, empty ones dropped); nil when neither is given.
    static func corpus(_ body: JSONObject, limits: Limits) throws(APIError) -> [String]? {
        let text = try body.string("text")
        let list = try body.strings("sentences")
        if text != nil && list != nil {
            throw APIError.invalid("text", "and sentences cannot both be given")
        }
        let field = text != nil ? "text" : "sentences"
        let bytes = text.map { $0.utf8.count } ?? list.map { $0.reduce(0) { $0 + $1.utf8.count + 1 } }
        guard let bytes else { return nil }
        guard bytes <= limits.maxCorpusBytes else {
            throw APIError(.unprocessableContent, code: "corpus_too_large",
                           "the corpus is \(bytes) bytes, more than the limit of \(limits.maxCorpusBytes)", field: field)
        }
        let sentences = text.map(Sentences.split) ?? Sentences.split(list!.joined(separator: "\n"))
        guard !sentences.isEmpty else {
            throw APIError(.unprocessableContent, code: "empty_corpus",
                           "the corpus has no sentence: every line is empty after trimming", field: field)
        }
        return sentences
    }

    /// Bytes a model needs while it trains: its parameters (4 bytes each)
    /// held as weights, gradients, solver state, the sampling snapshot and a
    /// checkpoint copy, plus one tick's activations for the longest sentence.
    static func memoryEstimate(config: ModelConfig, symbolCount: Int, longestSentence: Int) -> Int {
        let parameters = RecurrentNetwork.parameterCount(generator: config.generator, symbolCount: symbolCount,
                                                         letterSize: config.letterSize, hiddenSizes: config.hiddenSizes)
        let stateCopies = config.optimizer == .adam ? 2 : 1
        let persistent = parameters * 4 * (1 + 1 + stateCopies + 1 + (1 + stateCopies))
        let perUnit = switch config.generator {
        case .lstm: 12
        case .gru: 10
        case .rnn: 3
        }
        let perStep = config.hiddenSizes.reduce(0) { $0 + $1 * perUnit } + symbolCount * 3 + config.letterSize
        let working = (longestSentence + 1) * perStep * 4 * 2
        return persistent + working
    }

    static func checkBudget(config: ModelConfig, symbolCount: Int, longestSentence: Int, limits: Limits) throws(APIError) {
        let estimate = memoryEstimate(config: config, symbolCount: symbolCount, longestSentence: longestSentence)
        guard estimate <= limits.memoryBudgetBytes else {
            throw APIError(.unprocessableContent, code: "memory_budget",
                           "this model would need about \(estimate / 1_048_576) MiB (\(estimate) bytes) to train, more than the budget of \(limits.memoryBudgetBytes / 1_048_576) MiB; use smaller hidden sizes or fewer layers",
                           field: "hidden_sizes")
        }
    }
}
