import Foundation
import Hummingbird
import NIOCore
import Recurrent
import RecurrentJobs
import RecurrentStore

/// `POST /api/models/import`: a model file (as in the original library) from
/// `recurrent train`, the original library or an export becomes a stored,
/// idle model.
struct ImportRoutes: Sendable {
    let library: ModelLibrary
    let limits: ServiceLimits
    let bodies: BodyReader

    func register(on router: Router<BasicRequestContext>) {
        router.post("/api/models/import") { request, _ in try await importModel(request) }
    }

    /// The request's fields and the model its file holds.
    private struct Parsed: @unchecked Sendable {  // LoadedModel's matrices are handed over, never shared
        var request: ImportModelRequest
        var loaded: LoadedModel
    }

    private func importModel(_ request: Request) async throws -> Response {
        let bytes = try await bodies.collect(request)
        let limits = limits
        // Decoding, parsing the file and allocating its matrices are CPU work:
        // off the request threads for a large body.
        let parsed = try await bodies.process(bytes) { bytes throws -> Parsed in
            let fields = try RequestDecoder.decode(ImportModelRequest.self, from: bytes)
            // The file part as ModelFile reads it (an empty body is an empty object).
            let root: [String: Any]
            do {
                let parsed = bytes.readableBytes == 0 ? [:] : try JSONSerialization.jsonObject(with: Data(buffer: bytes))
                guard let object = parsed as? [String: Any] else {
                    throw APIError(.badRequest, code: "invalid_type", "the request body must be a JSON object")
                }
                root = object
            } catch let error as APIError {
                throw error
            } catch {
                // A number JSONDecoder skipped but cannot be a Double (`1e999` in a matrix).
                throw APIError.malformedJSON((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)")
            }
            try Self.checkDeclaredShape(root, limits: limits)
            do throws(ModelFileError) {
                return Parsed(request: fields, loaded: try ModelFile.load(root))
            } catch {
                throw APIError(.unprocessableContent, code: "invalid_model_file", "not a usable model file: \(error.description)",
                               field: error.field.isEmpty ? nil : error.field)
            }
        }
        let body = parsed.request, loaded = parsed.loaded
        let network = loaded.model.network
        try limits.checkHiddenSizes(network.hiddenSizes)
        try limits.checkLetterSize(network.letterSize)

        // Settings: top-level fields first, then the `training` record of an
        // export (or of `recurrent train`), then the demo defaults.
        let settings = body.settings.over(body.training.settings)
        let demo = ModelConfig.demo
        var config = ModelConfig(
            generator: network.generator, hiddenSizes: network.hiddenSizes, letterSize: network.letterSize,
            optimizer: loaded.solver.optimizer,
            regc: try settings.checkedRegc(default: demo.regc),
            clipval: try settings.checkedClipval(default: demo.clipval),
            seed: try settings.checkedSeed())
        let mutable = MutableSettings(learningRate: try settings.checkedLearningRate(default: 0.01),
                                      sampleTemperature: try settings.checkedSampleTemperature(default: 1),
                                      maxTicks: try settings.checkedMaxTicks())
        let name = try CreateModelRequest.checkedName(body.name, default: "imported model")
        let ticks = max(0, body.training.ticks ?? 0)
        var randomState: [UInt64]?
        if let words = body.training.randomState, words.count == 4 {
            let parsed = words.compactMap { UInt64($0) }
            if parsed.count == 4, RandomSource(state: parsed) != nil { randomState = parsed }
        }

        // The corpus settings come together, from the top level when any is there.
        try (body.corpusSettings.isEmpty ? body.training.corpusSettings : body.corpusSettings).apply(to: &config, limits: limits)
        let sentences = try body.corpus.corpus(for: config, limits: limits)
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
                                   field: body.corpus.text != nil ? "text" : "sentences")
                }
            }
        }
        let longest = sentences?.map { $0.unicodeScalars.count }.max() ?? 0
        try limits.checkMemoryBudget(config: config, symbolCount: vocabulary.symbolCount, longestSentence: longest)

        let record = try await library.importModel(name: name, config: config, settings: mutable, model: loaded.model,
                                                   solver: loaded.solver, corpus: sentences, ticks: ticks,
                                                   randomState: randomState)
        return JSONResponse.make(ModelResponse(record, live: nil), status: .created,
                                 headers: [.location: "/api/models/\(record.id)"])
    }

    /// The network a file declares, checked against the limits and the
    /// memory budget before `ModelFile` allocates its matrices: a few bytes
    /// of JSON must not make the service allocate gigabytes to refuse them.
    /// Fields of the wrong type are left for `ModelFile` to name.
    static func checkDeclaredShape(_ root: [String: Any], limits: ServiceLimits) throws(APIError) {
        guard let sizes = root["hidden_sizes"] as? [Any], !sizes.isEmpty else { return }
        // The integers before the first entry that is not one (ModelFile names that entry).
        let hiddenSizes = Array(sizes.lazy.map(integer).prefix { $0 != nil }.map { $0! })
        // The count is checked over every entry; the others stand in as valid sizes.
        try limits.checkHiddenSizes(hiddenSizes + Array(repeating: limits.hiddenSizes.lowerBound, count: sizes.count - hiddenSizes.count))
        guard hiddenSizes.count == sizes.count else { return }
        guard let letter = root["letter_size"].flatMap(integer) else { return }
        try limits.checkLetterSize(letter)
        guard let generator = (root["generator"] as? String).flatMap(Generator.init(rawValue:)),
              let letters = root["letterToIndex"] as? [String: Any] else { return }
        let optimizer = (root["optimizer"] as? String).flatMap(Optimizer.init(rawValue:)) ?? .rmsprop
        // The weights alone (one sequence of one step); the full check with
        // the corpus settings follows the load.
        let config = ModelConfig(generator: generator, hiddenSizes: hiddenSizes, letterSize: letter, optimizer: optimizer,
                                 regc: 0, clipval: 1, seed: nil)
        try limits.checkMemoryBudget(config: config, symbolCount: letters.count + 1, longestSentence: 0)
    }

    /// A JSON number that is an integer (booleans are not numbers).
    private static func integer(_ value: Any) -> Int? {
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
        let double = number.doubleValue
        guard double == double.rounded(), abs(double) < 9e15 else { return nil }
        return Int(double)
    }
}
