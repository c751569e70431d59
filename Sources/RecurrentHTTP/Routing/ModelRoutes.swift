import Foundation
import Hummingbird
import Recurrent
import RecurrentJobs
import RecurrentStore

/// `/api/models`: create, list, read, change, control and delete models.
struct ModelRoutes: Sendable {
    let store: any ModelStore
    let scheduler: JobScheduler
    let library: ModelLibrary
    let limits: ServiceLimits
    let lookup: ModelLookup
    let bodies: BodyReader

    func register(on router: Router<BasicRequestContext>) {
        router.post("/api/models") { request, _ in try await create(request) }
        router.get("/api/models") { request, _ in try await list(request) }
        router.get("/api/models/{id}") { _, context in
            let record = try await lookup.record(context)
            return JSONResponse.make(ModelResponse(record, live: scheduler.liveFigures(record.id)))
        }
        router.patch("/api/models/{id}") { request, context in try await patch(request, context) }
        router.delete("/api/models/{id}") { _, context in
            let record = try await lookup.record(context)
            try await library.delete(record.id)
            return Response(status: .noContent)
        }
        router.post("/api/models/{id}/pause") { _, context in
            let record = try await lookup.record(context)
            try await scheduler.pause(record.id, status: record.status)
            return try await current(record.id)
        }
        router.post("/api/models/{id}/resume") { _, context in
            let record = try await lookup.record(context)
            try await scheduler.resume(record)
            return try await current(record.id)
        }
        router.post("/api/models/{id}/cancel") { _, context in
            let record = try await lookup.record(context)
            try await scheduler.cancel(record.id, status: record.status)
            return try await current(record.id)
        }
    }

    /// The model as it is now stored.
    private func current(_ id: ModelID) async throws -> Response {
        guard let record = try await store.model(id) else { throw APIError.modelNotFound(String(id)) }
        return JSONResponse.make(ModelResponse(record, live: scheduler.liveFigures(id)))
    }

    // MARK: Create

    private func create(_ request: Request) async throws -> Response {
        let body = try await bodies.read(CreateModelRequest.self, from: request)
        let name = try CreateModelRequest.checkedName(body.name, default: "")
        let config = try body.configuration(limits: limits)
        let settings = try body.mutableSettings(for: config)
        let start = body.start ?? true
        if let corpusID = body.corpus.corpusID {
            return try await create(name: name, config: config, settings: settings, uploaded: corpusID, body: body, start: start)
        }
        guard let sentences = try body.corpus.corpus(for: config, limits: limits) else {
            throw APIError(.unprocessableContent, code: "empty_corpus", "give the training text as `text` or `sentences`", field: "text")
        }
        let vocabulary = Vocabulary(sentences: sentences)
        let longest = config.corpus == .text ? 0 : sentences.map { $0.unicodeScalars.count }.max() ?? 0
        try limits.checkMemoryBudget(config: config, symbolCount: vocabulary.symbolCount, longestSentence: longest)
        let created = try await library.create(name: name, config: config, settings: settings, corpus: sentences,
                                               vocabulary: vocabulary, start: start)
        return JSONResponse.make(ModelResponse(created, live: nil), status: .created,
                                 headers: [.location: "/api/models/\(created.id)"])
    }

    /// A text model on an uploaded corpus: its vocabulary is the corpus's.
    private func create(name: String, config: ModelConfig, settings: MutableSettings, uploaded id: Int64,
                        body: CreateModelRequest, start: Bool) async throws -> Response {
        if body.corpus.text != nil || body.corpus.sentences != nil {
            throw APIError.invalid("corpus_id", "cannot be given with text or sentences")
        }
        guard config.corpus == .text else {
            throw APIError.invalid("corpus_id", "trains only text corpora: add \"corpus\": \"text\"")
        }
        guard let corpus = try await store.uploadedCorpus(id) else {
            throw APIError(.unprocessableContent, code: "corpus_not_found", "no corpus with id \(id)", field: "corpus_id")
        }
        let training = corpus.characterCount - Int(Double(corpus.characterCount) * config.validationFraction)
        guard training >= 2 else {
            throw APIError(.unprocessableContent, code: "empty_corpus", "the corpus is too short to train on", field: "corpus_id")
        }
        let vocabulary = ModelLoader.vocabulary(corpus.vocabulary)
        // The job holds the text encoded: one byte a character up to 256 symbols, two beyond.
        let textBytes = corpus.characterCount * SymbolBuffer.bytesPerSymbol(symbolCount: vocabulary.symbolCount)
        try limits.checkMemoryBudget(config: config, symbolCount: vocabulary.symbolCount, longestSentence: 0, textBytes: textBytes)
        let created = try await library.create(name: name, config: config, settings: settings, corpus: [],
                                               vocabulary: vocabulary, start: start, uploaded: id)
        return JSONResponse.make(ModelResponse(created, live: nil), status: .created,
                                 headers: [.location: "/api/models/\(created.id)"])
    }

    // MARK: List

    private func list(_ request: Request) async throws -> Response {
        let query = QueryParameters(request)
        let limit = try query.integer("limit", default: 50, range: limits.pageSizes)
        var after: Int64?
        if let text = query.string("after") {
            guard let value = Int64(text) else { throw APIError.wrongType("after", "an integer model id") }
            after = value
        }
        var status: ModelStatus?
        if let text = query.string("status") {
            guard let value = ModelStatus(rawValue: text) else {
                throw APIError.invalid("status", "must be one of \(ModelStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            status = value
        }
        let records = try await store.models(limit: limit, before: after, status: status)
        return JSONResponse.make(ModelListResponse(
            models: records.map { ModelResponse($0, live: scheduler.liveFigures($0.id)) },
            nextAfter: records.count == limit ? records.last!.id : nil))
    }

    // MARK: Patch

    private func patch(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let record = try await lookup.record(context)
        let body = try await bodies.read(PatchModelRequest.self, from: request)
        var settings = record.settings
        settings.learningRate = try TrainingSettingsInput.positive(body.learningRate, field: "learning_rate", default: settings.learningRate)
        settings.sampleTemperature = try TrainingSettingsInput.positive(body.sampleTemperature, field: "sample_temperature",
                                                                        default: settings.sampleTemperature)
        if body.removesMaxTicks {
            settings.maxTicks = nil
        } else if let ticks = body.maxTicks {
            try ServiceLimits.checkMaxTicks(ticks)
            settings.maxTicks = ticks
        }
        let name = try body.name.map { name throws(APIError) in try CreateModelRequest.checkedName(name, default: name) }
        try await store.update(record.id, name: name, settings: settings)
        await scheduler.settingsChanged(record.id, settings)
        return try await current(record.id)
    }
}
