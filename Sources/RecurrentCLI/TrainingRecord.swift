import Foundation
import Recurrent
import RecurrentTraining

/// The `training` field `recurrent train` adds to a model file, so that
/// `--resume` continues the tick count, the settings and the sentence-choice
/// generator where the run stopped. The original library ignores it.
struct TrainingRecord {
    /// The rate as set; a text's decay is worked out again from `epoch` on `--resume`.
    var learningRate: Float
    var regc: Float
    var clipval: Float
    var optimizer: Optimizer
    var ticks: Int
    var corpus: CorpusKind = .sentences
    var batchSize = 1
    var dropout: Float = 0
    /// Text corpora only.
    var sequenceLength: Int?
    var validationFraction: Double?
    var learningRateDecay: Float?
    /// Text corpora: the products' format, written when not float32.
    var precision: ProductPrecision?
    /// Passes over the text so far, with the current pass's fraction: where
    /// `--resume` goes on reading.
    var epoch: Double?
    /// The trainer's generator state, as decimal strings because JSON numbers
    /// lose precision above 2^53.
    var randomState: [UInt64]?
    /// The loss of the run's first tick, the yardstick of divergence (see
    /// `DivergenceRule`); a decimal string, because Foundation's JSON reader
    /// does not always read a double back exactly and a resumed run would then
    /// write a different file than an uninterrupted one.
    var firstLoss: Double?

    /// The field as JSON text, for `ModelFile.export(extraFields:)`.
    var json: String {
        var out = "{\"learning_rate\":\(learningRate),\"regc\":\(regc),\"clipval\":\(clipval)"
        out += ",\"optimizer\":\"\(optimizer.rawValue)\",\"ticks\":\(ticks)"
        out += ",\"corpus\":\"\(corpus.rawValue)\",\"batch_size\":\(batchSize),\"dropout\":\(dropout)"
        if let sequenceLength { out += ",\"seq_length\":\(sequenceLength)" }
        if let validationFraction { out += ",\"val_fraction\":\(validationFraction)" }
        if let learningRateDecay { out += ",\"lr_decay\":\(learningRateDecay)" }
        if let precision { out += ",\"precision\":\"\(precision.rawValue)\"" }
        if let epoch { out += ",\"epoch\":\(epoch)" }
        if let firstLoss { out += ",\"first_loss\":\"\(firstLoss)\"" }
        if let randomState {
            out += ",\"random_state\":[\(randomState.map { "\"\($0)\"" }.joined(separator: ","))]"
        }
        return out + "}"
    }

    /// Where `run` stands, to resume it.
    init(run: TrainingRun) {
        let trainer = run.trainer, settings = run.settings
        learningRate = Float(run.learningRateAsSet)
        regc = trainer.settings.regc
        clipval = trainer.settings.clipval
        batchSize = trainer.settings.batchSize
        dropout = trainer.settings.dropout
        optimizer = trainer.solver.optimizer
        ticks = trainer.ticks
        randomState = trainer.random.state
        corpus = settings.corpus
        firstLoss = run.firstLoss
        if settings.corpus == .text {
            sequenceLength = settings.sequenceLength
            validationFraction = settings.validationFraction
            learningRateDecay = Float(settings.learningRateDecay)
            precision = settings.precision == .float32 ? nil : settings.precision
            epoch = trainer.epoch
        }
    }

    /// Reads the field from a model file's JSON; nil when the file has none
    /// (for example a file from the original library).
    init?(root: [String: Any], path: String) throws(CommandError) {
        guard let value = root["training"], !(value is NSNull) else { return nil }
        func bad(_ field: String, _ problem: String) -> CommandError {
            .usage("model file '\(path)': training.\(field): \(problem)")
        }
        guard let object = value as? [String: Any] else { throw bad("", "must be an object") }
        func positive(_ key: String, allowZero: Bool = false) throws(CommandError) -> Float {
            guard let number = Self.number(object[key]), number.isFinite, allowZero ? number >= 0 : number > 0 else {
                throw bad(key, allowZero ? "must be a number >= 0" : "must be a positive number")
            }
            return Float(number)
        }
        learningRate = try positive("learning_rate")
        regc = try positive("regc", allowZero: true)
        clipval = try positive("clipval")
        guard let name = object["optimizer"] as? String, let optimizer = Optimizer(rawValue: name) else {
            throw bad("optimizer", "must be \"rmsprop\" or \"adam\"")
        }
        self.optimizer = optimizer
        guard let ticks = Self.number(object["ticks"]), ticks >= 0, ticks == ticks.rounded(), ticks < 1e15 else {
            throw bad("ticks", "must be an integer >= 0")
        }
        self.ticks = Int(ticks)
        if let name = object["corpus"] {
            guard let name = name as? String, let kind = CorpusKind(rawValue: name) else {
                throw bad("corpus", "must be \"sentences\" or \"text\"")
            }
            corpus = kind
        }
        if let value = object["batch_size"] {
            guard let size = Self.number(value), size >= 1, size == size.rounded(), size < 1e6 else {
                throw bad("batch_size", "must be a positive integer")
            }
            batchSize = Int(size)
        }
        if object["dropout"] != nil {
            guard let rate = Self.number(object["dropout"]), rate >= 0, rate < 1 else {
                throw bad("dropout", "must be a number in [0, 1)")
            }
            dropout = Float(rate)
        }
        if let value = object["seq_length"] {
            guard let length = Self.number(value), length >= 1, length == length.rounded(), length < 1e6 else {
                throw bad("seq_length", "must be a positive integer")
            }
            sequenceLength = Int(length)
        }
        if let value = object["val_fraction"] {
            guard let fraction = Self.number(value), fraction >= 0, fraction < 1 else {
                throw bad("val_fraction", "must be a number in [0, 1)")
            }
            validationFraction = fraction
        }
        if object["lr_decay"] != nil { learningRateDecay = try positive("lr_decay") }
        if let value = object["precision"] {
            guard let name = value as? String, let format = ProductPrecision(rawValue: name) else {
                throw bad("precision", "must be \"float32\" or \"bfloat16\"")
            }
            precision = format
        }
        if let value = object["epoch"] {
            guard let passes = Self.number(value), passes.isFinite, passes >= 0 else {
                throw bad("epoch", "must be a number >= 0")
            }
            epoch = passes
        }
        if let value = object["first_loss"], !(value is NSNull) {
            guard let loss = (value as? String).flatMap(Double.init) ?? Self.number(value), loss.isFinite else {
                throw bad("first_loss", "must be a decimal string")
            }
            firstLoss = loss
        }
        if let state = object["random_state"], !(state is NSNull) {
            guard let words = state as? [String], words.count == 4 else {
                throw bad("random_state", "must be four decimal strings")
            }
            let parsed = words.compactMap { UInt64($0) }
            guard parsed.count == 4, RandomSource(state: parsed) != nil else {
                throw bad("random_state", "must be four decimal strings, not all zero")
            }
            randomState = parsed
        } else {
            randomState = nil
        }
    }

    /// A JSON number; booleans, which `JSONSerialization` also hands out as
    /// `NSNumber`, are not numbers.
    private static func number(_ value: Any?) -> Double? {
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
        return number.doubleValue
    }
}
