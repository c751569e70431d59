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
    /// How the corpus is trained: sentences (the demo) or one continuous text.
    var corpus: CorpusKind = .sentences
    /// Sequences per tick.
    var batchSize = 1
    /// Text corpora: characters per window of backpropagation through time.
    var sequenceLength = 64
    /// Text corpora: fraction of the text held out for validation.
    var validationFraction = 0.05
    /// Text corpora: ticks between validations.
    var validationInterval = 200
    /// Text corpora: learning-rate factor applied after every epoch.
    var learningRateDecay = 1.0
    /// Inverted-dropout rate on upper layers' and the decoder's inputs.
    var dropout = 0.0

    enum CodingKeys: String, CodingKey {
        case generator, optimizer, regc, clipval, seed, corpus, dropout
        case hiddenSizes = "hidden_sizes"
        case letterSize = "letter_size"
        case batchSize = "batch_size"
        case sequenceLength = "seq_length"
        case validationFraction = "val_fraction"
        case validationInterval = "val_interval"
        case learningRateDecay = "lr_decay"
    }

    init(generator: Generator, hiddenSizes: [Int], letterSize: Int, optimizer: Optimizer, regc: Double, clipval: Double,
         seed: UInt64?, corpus: CorpusKind = .sentences, batchSize: Int = 1, sequenceLength: Int = 64,
         validationFraction: Double = 0.05, validationInterval: Int = 200, learningRateDecay: Double = 1,
         dropout: Double = 0) {
        self.generator = generator
        self.hiddenSizes = hiddenSizes
        self.letterSize = letterSize
        self.optimizer = optimizer
        self.regc = regc
        self.clipval = clipval
        self.seed = seed
        self.corpus = corpus
        self.batchSize = batchSize
        self.sequenceLength = sequenceLength
        self.validationFraction = validationFraction
        self.validationInterval = validationInterval
        self.learningRateDecay = learningRateDecay
        self.dropout = dropout
    }

    /// Configurations stored before the corpus fields existed read with their defaults.
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        generator = try container.decode(Generator.self, forKey: .generator)
        hiddenSizes = try container.decode([Int].self, forKey: .hiddenSizes)
        letterSize = try container.decode(Int.self, forKey: .letterSize)
        optimizer = try container.decode(Optimizer.self, forKey: .optimizer)
        regc = try container.decode(Double.self, forKey: .regc)
        clipval = try container.decode(Double.self, forKey: .clipval)
        seed = try container.decodeIfPresent(UInt64.self, forKey: .seed)
        corpus = try container.decodeIfPresent(CorpusKind.self, forKey: .corpus) ?? .sentences
        batchSize = try container.decodeIfPresent(Int.self, forKey: .batchSize) ?? 1
        sequenceLength = try container.decodeIfPresent(Int.self, forKey: .sequenceLength) ?? 64
        validationFraction = try container.decodeIfPresent(Double.self, forKey: .validationFraction) ?? 0.05
        validationInterval = try container.decodeIfPresent(Int.self, forKey: .validationInterval) ?? 200
        learningRateDecay = try container.decodeIfPresent(Double.self, forKey: .learningRateDecay) ?? 1
        dropout = try container.decodeIfPresent(Double.self, forKey: .dropout) ?? 0
    }

    /// The engine's settings for a tick at `learningRate`.
    func trainingSettings(learningRate: Double) -> TrainingSettings {
        TrainingSettings(learningRate: Float(learningRate), regc: Float(regc), clipval: Float(clipval),
                         batchSize: batchSize, dropout: Float(dropout))
    }

    /// The engine's text-corpus options.
    var textOptions: TextTrainingOptions {
        TextTrainingOptions(sequenceLength: sequenceLength, validationFraction: validationFraction,
                            validationInterval: validationInterval, learningRateDecay: Float(learningRateDecay))
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
            "corpus": corpus.rawValue, "batch_size": batchSize, "dropout": dropout,
        ]
        if corpus == .text {
            result["seq_length"] = sequenceLength
            result["val_fraction"] = validationFraction
            result["val_interval"] = validationInterval
            result["lr_decay"] = learningRateDecay
        }
        result["seed"] = seed.map { Int64(bitPattern: $0) } ?? NSNull()
        return result
    }
}

/// How a model's corpus is trained.
enum CorpusKind: String, Codable, Sendable, CaseIterable {
    /// One sentence per line, START/END around each (the demo).
    case sentences
    /// One continuous text, in parallel streams and windows, with validation (char-rnn).
    case text
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

    /// The range of rates, temperatures and clips: well inside Float's, where
    /// the engine computes (the OpenAPI document states the same bounds).
    static let positiveRange = 1e-30...1e30

    static func positive(_ body: JSONObject, _ key: String, default value: Double) throws(APIError) -> Double {
        guard let number = try body.double(key) else { return value }
        guard positiveRange.contains(number) else {
            throw APIError.invalid(key, "must be a number in 1e-30...1e30 (got \(number))")
        }
        return number
    }

    static func regc(_ body: JSONObject, default value: Double) throws(APIError) -> Double {
        guard let number = try body.double("regc") else { return value }
        guard (0...positiveRange.upperBound).contains(number) else {
            throw APIError.invalid("regc", "must be a number in 0...1e30 (got \(number))")
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
        // Characters are Unicode scalars, as JSON Schema's maxLength counts them.
        guard name.unicodeScalars.count <= 200 else { throw APIError.invalid("name", "must be at most 200 characters") }
        try refuseNUL(name, field: "name")
        return name
    }

    /// U+0000 is refused in what the service stores as text: SQLite's driver
    /// here ends text at it, so a name or a recorded sample would come back
    /// cut short.
    static func refuseNUL(_ text: String, field: String) throws(APIError) {
        guard let offset = text.unicodeScalars.firstIndex(of: "\u{0}") else { return }
        let position = text.unicodeScalars.distance(from: text.unicodeScalars.startIndex, to: offset)
        throw APIError.invalid(field, "must not contain the character U+0000 (found at position \(position))")
    }

    /// `corpus`, `batch_size`, `seq_length`, `val_fraction`, `val_interval`,
    /// `lr_decay` and `dropout` into `config`.
    static func corpusSettings(_ body: JSONObject, into config: inout ModelConfig, limits: Limits) throws(APIError) {
        if let name = try body.string("corpus") {
            guard let kind = CorpusKind(rawValue: name) else {
                throw APIError.invalid("corpus", "must be one of sentences, text (got \(name.debugDescription))")
            }
            config.corpus = kind
        }
        if config.corpus == .text { config.batchSize = 32 }
        func integer(_ key: String, _ range: ClosedRange<Int>, _ value: inout Int) throws(APIError) {
            guard let number = try body.int(key) else { return }
            guard range.contains(number) else {
                throw APIError.invalid(key, "must be an integer in \(range.lowerBound)...\(range.upperBound) (got \(number))")
            }
            value = number
        }
        // At most 0.99: a JSON parser may round 0.9999999999999999 to 1, which
        // would hold out the whole text or drop every input.
        func fraction(_ key: String, _ value: inout Double, allowZero: Bool) throws(APIError) {
            guard let number = try body.double(key) else { return }
            guard number.isFinite, number <= 0.99, allowZero ? number >= 0 : number > 0 else {
                throw APIError.invalid(key, "must be a number in \(allowZero ? "[0" : "(0"), 0.99] (got \(number))")
            }
            value = number
        }
        try integer("batch_size", 1...limits.maxBatchSize, &config.batchSize)
        try integer("seq_length", 1...limits.maxSequenceLength, &config.sequenceLength)
        try integer("val_interval", 0...1_000_000, &config.validationInterval)
        try fraction("val_fraction", &config.validationFraction, allowZero: true)
        try fraction("dropout", &config.dropout, allowZero: true)
        if let decay = try body.double("lr_decay") {
            guard decay.isFinite, decay > 0, decay <= 1 else {
                throw APIError.invalid("lr_decay", "must be a number in (0, 1] (got \(decay))")
            }
            config.learningRateDecay = decay
        }
    }

    /// A text corpus: the text as it is (one entry), which must have at least
    /// two characters to train on after the validation part.
    static func textCorpus(_ body: JSONObject, config: ModelConfig, limits: Limits) throws(APIError) -> [String]? {
        let text = try body.string("text")
        let list = try body.strings("sentences")
        if text != nil && list != nil {
            throw APIError.invalid("text", "and sentences cannot both be given")
        }
        guard let whole = text ?? list?.joined(separator: "\n") else { return nil }
        let field = text != nil ? "text" : "sentences"
        try refuseNUL(whole, field: field)
        guard whole.utf8.count <= limits.maxCorpusBytes else {
            throw APIError(.unprocessableContent, code: "corpus_too_large",
                           "the corpus is \(whole.utf8.count) bytes, more than the limit of \(limits.maxCorpusBytes)", field: field)
        }
        let training = whole.unicodeScalars.count - Int(Double(whole.unicodeScalars.count) * config.validationFraction)
        guard training >= 2, !whole.allSatisfy(\.isWhitespace) else {
            throw APIError(.unprocessableContent, code: "empty_corpus",
                           "the text is too short to train on", field: field)
        }
        return [whole]
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
        try refuseNUL(text ?? list!.joined(separator: "\n"), field: field)
        let sentences = text.map(Sentences.split) ?? Sentences.split(list!.joined(separator: "\n"))
        guard !sentences.isEmpty else {
            throw APIError(.unprocessableContent, code: "empty_corpus",
                           "the corpus has no sentence: every line is empty after trimming", field: field)
        }
        return sentences
    }

    static func checkBudget(config: ModelConfig, symbolCount: Int, longestSentence: Int, limits: Limits) throws(APIError) {
        let steps = config.corpus == .text ? config.sequenceLength : longestSentence + 1
        let engine = MemoryEstimate(generator: config.generator, symbolCount: symbolCount, letterSize: config.letterSize,
                                    hiddenSizes: config.hiddenSizes, batchSize: config.batchSize, steps: steps,
                                    optimizer: config.optimizer, workers: config.corpus == .text ? limits.jobThreads : 1,
                                    textWindows: config.corpus == .text)
        // The engine's count, plus the encoded checkpoint the job keeps while writing it:
        // weights and solver state once more.
        let parameters = RecurrentNetwork.parameterCount(generator: config.generator, symbolCount: symbolCount,
                                                         letterSize: config.letterSize, hiddenSizes: config.hiddenSizes)
        let checkpoint = parameters * MemoryLayout<Float>.size * (config.optimizer == .adam ? 3 : 2)
        let estimate = engine.totalBytes + checkpoint
        guard estimate <= limits.memoryBudgetBytes else {
            throw APIError(.unprocessableContent, code: "memory_budget",
                           "this model would need about \(estimate / 1_048_576) MiB (\(estimate) bytes) to train, more than the budget of \(limits.memoryBudgetBytes / 1_048_576) MiB (\(engine)); use smaller hidden sizes, fewer layers, a smaller batch or shorter windows",
                           field: config.batchSize > 1 ? "batch_size" : "hidden_sizes")
        }
    }
}
