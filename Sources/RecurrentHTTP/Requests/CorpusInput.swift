import Recurrent
import RecurrentStore

/// The training text of a create or import: `text` (as it is) or
/// `sentences` (a list), not both.
struct CorpusInput: Decodable, Sendable {
    var text: String?
    var sentences: [String]?
    /// An uploaded corpus (`POST /api/corpora`), for text corpora.
    var corpusID: Int64?

    enum CodingKeys: String, CodingKey {
        case text, sentences
        case corpusID = "corpus_id"
    }

    init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        text = try values.string(.text)
        sentences = try values.strings(.sentences)
        corpusID = try values.integer(.corpusID).map(Int64.init)
    }

    /// The field a corpus error names.
    var field: String { text != nil ? "text" : "sentences" }

    private func refuseBoth() throws(APIError) {
        if text != nil && sentences != nil { throw APIError.invalid("text", "and sentences cannot both be given") }
    }

    /// A text corpus: the text as it is (one entry), which must have at least
    /// two characters to train on after the validation part; nil when no
    /// corpus is given.
    func textCorpus(config: ModelConfig, limits: ServiceLimits) throws(APIError) -> [String]? {
        try refuseBoth()
        guard let whole = text ?? sentences?.joined(separator: "\n") else { return nil }
        try ServiceLimits.refuseNUL(whole, field: field)
        try limits.checkCorpusSize(whole.utf8.count, field: field)
        let training = whole.unicodeScalars.count - Int(Double(whole.unicodeScalars.count) * config.validationFraction)
        guard training >= 2, !whole.allSatisfy(\.isWhitespace) else {
            throw APIError(.unprocessableContent, code: "empty_corpus", "the text is too short to train on", field: field)
        }
        return [whole]
    }

    /// The sentences from `text` (split as for training) or `sentences`
    /// (each trimmed, empty ones dropped); nil when neither is given.
    func sentenceCorpus(limits: ServiceLimits) throws(APIError) -> [String]? {
        try refuseBoth()
        guard let bytes = text.map({ $0.utf8.count }) ?? sentences.map({ $0.reduce(0) { $0 + $1.utf8.count + 1 } }) else { return nil }
        try limits.checkCorpusSize(bytes, field: field)
        let whole = text ?? sentences!.joined(separator: "\n")
        try ServiceLimits.refuseNUL(whole, field: field)
        let split = Sentences.split(whole)
        guard !split.isEmpty else {
            throw APIError(.unprocessableContent, code: "empty_corpus",
                           "the corpus has no sentence: every line is empty after trimming", field: field)
        }
        return split
    }

    /// The corpus as `config` trains it.
    func corpus(for config: ModelConfig, limits: ServiceLimits) throws(APIError) -> [String]? {
        config.corpus == .text ? try textCorpus(config: config, limits: limits) : try sentenceCorpus(limits: limits)
    }
}
