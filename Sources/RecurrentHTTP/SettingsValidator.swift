import Foundation
import Recurrent
import RecurrentStore

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
