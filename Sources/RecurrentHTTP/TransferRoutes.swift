import Foundation
import Hummingbird
import Recurrent
import RecurrentJobs
import RecurrentStore

/// Export and import of model files (SPEC section 5), so a model moves between
/// this service, `recurrent train` and the original library.
struct TransferRoutes: Sendable {
    let models: ModelRoutes
    var store: any ModelStore { models.store }
    var limits: ServiceConfiguration.Limits { models.limits }

    func register(on router: Router<BasicRequestContext>) {
        router.get("/api/models/{id}/export") { request, context in try await export(request, context) }
        router.post("/api/models/import") { request, _ in try await importModel(request) }
    }

    // MARK: Export

    /// The model file with solver state; the service's own fields (`name`,
    /// `sentences`, `training`) ride along as extra top-level fields, which
    /// the original library ignores.
    private func export(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let record = try await models.record(context)
        let which = request.uri.queryParameters.get("weights") ?? "current"
        guard which == "current" || which == "best" else { throw APIError.invalid("weights", "must be current or best") }
        guard var state = try await models.scheduler.trainingState(record.id) else { throw APIError.modelNotFound(String(record.id)) }
        if which == "best" {
            // The weights with the best validation loss (text corpora), without solver state.
            guard let best = try await store.bestWeights(record.id) else {
                throw APIError(.notFound, code: "no_best_weights",
                               "this model has no best weights yet: they are kept for text corpora once validation has run",
                               field: "weights")
            }
            let model = state.model.copy()
            _ = try CheckpointCodec.decode(best.weights, into: model.network, optimizer: record.config.optimizer)
            state = TrainingState(model: model, solver: Solver(optimizer: record.config.optimizer), ticks: best.step,
                                  epoch: state.epoch, randomState: nil)
        }
        let sentences = try await store.corpus(record.id)
        var training: [String: Any] = [
            "learning_rate": record.settings.learningRate, "regc": record.config.regc, "clipval": record.config.clipval,
            "optimizer": record.config.optimizer.rawValue, "ticks": state.ticks,
            "sample_temperature": record.settings.sampleTemperature,
        ]
        if let words = state.randomState { training["random_state"] = words.map(String.init) }
        if let maxTicks = record.settings.maxTicks { training["max_ticks"] = maxTicks }
        if let seed = record.config.seed { training["seed"] = Int64(bitPattern: seed) }
        for (key, value) in record.config.dictionary
        where ["corpus", "batch_size", "dropout", "seq_length", "val_fraction", "val_interval", "lr_decay"].contains(key) {
            training[key] = value
        }
        var extra: [(String, String)] = [("name", JSON.string(record.name)), ("training", JSON.string(training))]
        if let sentences {
            // A text corpus is one entry: the text as it is.
            if record.config.corpus == .text, let text = sentences.first {
                extra.append(("text", JSON.string(text)))
            } else {
                extra.append(("sentences", JSON.string(sentences)))
            }
        }
        let fields = extra, exported = state
        let text = try await Background.run { () throws -> String in
            do {
                return try ModelFile.export(exported.model, solver: exported.solver, extraFields: fields)
            } catch {
                throw APIError(.conflict, code: "not_exportable", "the model cannot be exported: \(error)")
            }
        }
        let filename = record.name.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) || $0 == "-" ? Character($0) : "_" }
        return Response(status: .ok, headers: [
            .contentType: "application/json; charset=utf-8",
            .contentDisposition: "attachment; filename=\"\(String(filename).isEmpty ? "model" : String(filename)).json\"",
        ], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    // MARK: Import

    /// The network a file declares, checked against the service's limits and
    /// memory budget before `ModelFile` allocates its matrices: a few bytes
    /// of JSON must not make the service allocate gigabytes to refuse them.
    /// Fields of the wrong type are left for `ModelFile` to name.
    private func checkDeclaredShape(_ root: [String: Any]) throws {
        guard let sizes = root["hidden_sizes"] as? [Any], !sizes.isEmpty else { return }
        guard sizes.count <= limits.maxLayers else {
            throw APIError.invalid("hidden_sizes", "must list 1 to \(limits.maxLayers) layer sizes (got \(sizes.count))")
        }
        var hiddenSizes: [Int] = []
        for (index, size) in sizes.enumerated() {
            guard let value = JSONObject.number(size), value == value.rounded(), abs(value) < 9e15 else { return }
            guard limits.hiddenSizes.contains(Int(value)) else {
                throw APIError.invalid("hidden_sizes[\(index)]", "must be in \(limits.hiddenSizes.lowerBound)...\(limits.hiddenSizes.upperBound) (got \(Int(value)))")
            }
            hiddenSizes.append(Int(value))
        }
        guard let letter = root["letter_size"].flatMap(JSONObject.number), letter == letter.rounded(), abs(letter) < 9e15 else { return }
        guard limits.letterSizes.contains(Int(letter)) else {
            throw APIError.invalid("letter_size", "must be in \(limits.letterSizes.lowerBound)...\(limits.letterSizes.upperBound) (got \(Int(letter)))")
        }
        guard let generator = (root["generator"] as? String).flatMap(Generator.init(rawValue:)),
              let letters = root["letterToIndex"] as? [String: Any] else { return }
        let optimizer = (root["optimizer"] as? String).flatMap(Optimizer.init(rawValue:)) ?? .rmsprop
        // The weights alone (one sequence of one step); the full check with
        // the corpus settings follows the load.
        let config = ModelConfig(generator: generator, hiddenSizes: hiddenSizes, letterSize: Int(letter), optimizer: optimizer,
                                 regc: 0, clipval: 1, seed: nil)
        try SettingsValidator.checkBudget(config: config, symbolCount: letters.count + 1, longestSentence: 0, limits: limits)
    }

    private func importModel(_ request: Request) async throws -> Response {
        let body = try await models.bodies.read(request)
        let root = body.values
        try checkDeclaredShape(root)
        let loaded: LoadedModel
        do {
            loaded = try ModelFile.load(root)
        } catch {
            throw APIError(.unprocessableContent, code: "invalid_model_file", "not a usable model file: \(error.description)",
                           field: error.field.isEmpty ? nil : error.field)
        }
        let network = loaded.model.network
        guard network.hiddenSizes.count <= limits.maxLayers else {
            throw APIError.invalid("hidden_sizes", "must list 1 to \(limits.maxLayers) layer sizes (got \(network.hiddenSizes.count))")
        }
        for (index, size) in network.hiddenSizes.enumerated() where !limits.hiddenSizes.contains(size) {
            throw APIError.invalid("hidden_sizes[\(index)]", "must be in \(limits.hiddenSizes.lowerBound)...\(limits.hiddenSizes.upperBound) (got \(size))")
        }
        guard limits.letterSizes.contains(network.letterSize) else {
            throw APIError.invalid("letter_size", "must be in \(limits.letterSizes.lowerBound)...\(limits.letterSizes.upperBound) (got \(network.letterSize))")
        }

        // Settings: top-level fields first, then the `training` record of an
        // export (or of `recurrent train`), then the demo defaults.
        let training = try body.object("training") ?? JSONObject([:])
        func setting(_ key: String) -> JSONObject { body.has(key) ? body : training }
        let demo = ModelConfig.demo
        var config = ModelConfig(
            generator: network.generator, hiddenSizes: network.hiddenSizes, letterSize: network.letterSize,
            optimizer: loaded.solver.optimizer,
            regc: try SettingsValidator.regc(setting("regc"), default: demo.regc),
            clipval: try SettingsValidator.positive(setting("clipval"), "clipval", default: demo.clipval),
            seed: try SettingsValidator.seed(setting("seed")))
        let settings = MutableSettings(
            learningRate: try SettingsValidator.positive(setting("learning_rate"), "learning_rate", default: 0.01),
            sampleTemperature: try SettingsValidator.positive(setting("sample_temperature"), "sample_temperature", default: 1),
            maxTicks: try SettingsValidator.maxTicks(setting("max_ticks"), default: nil))
        let name = try SettingsValidator.name(body, default: "imported model")
        let ticks = max(0, try training.int("ticks") ?? 0)
        var randomState: [UInt64]?
        if let words = try? training.strings("random_state"), words.count == 4 {
            let parsed = words.compactMap { UInt64($0) }
            if parsed.count == 4, RandomSource(state: parsed) != nil { randomState = parsed }
        }

        let corpusKeys = ["corpus", "batch_size", "seq_length", "val_fraction", "val_interval", "lr_decay", "dropout"]
        try SettingsValidator.corpusSettings(corpusKeys.contains(where: body.has) ? body : training, into: &config, limits: limits)
        let sentences = config.corpus == .text
            ? try SettingsValidator.textCorpus(body, config: config, limits: limits)
            : try SettingsValidator.corpus(body, limits: limits)
        let vocabulary = loaded.model.vocabulary
        if vocabulary.letters.contains("\u{0}") {
            throw APIError(.unprocessableContent, code: "invalid_model_file",
                           "the vocabulary holds the character U+0000, which the service cannot store in samples",
                           field: "letterToIndex")
        }
        if let sentences {
            for sentence in sentences {
                if case .failure(let unknown) = vocabulary.encode(sentence) {
                    throw APIError(.unprocessableContent, code: "unknown_character",
                                   "the corpus has a character the model cannot learn: \(unknown)",
                                   field: body.has("text") ? "text" : "sentences")
                }
            }
        }
        let longest = sentences?.map { $0.unicodeScalars.count }.max() ?? 0
        try SettingsValidator.checkBudget(config: config, symbolCount: vocabulary.symbolCount, longestSentence: longest, limits: limits)

        let epoch = sentences.map { Double(ticks) / Double($0.count) } ?? 0
        let checkpoint = Checkpoint(weights: CheckpointCodec.encode(network: network, solver: loaded.solver),
                                    randomState: randomState, ticks: ticks, epoch: epoch, firstLoss: nil, time: StoreClock.now)
        let new = NewModel(name: name, config: config, vocabulary: ModelLoader.letters(vocabulary), sentences: sentences,
                           parameterCount: network.parameterCount, settings: settings, ticks: ticks, epoch: epoch)
        let record = try await store.insert(new, status: .idle, checkpoint: checkpoint)
        return JSON.response(ModelView.dictionary(record, live: nil), status: .created,
                             headers: [.location: "/api/models/\(record.id)"])
    }
}
