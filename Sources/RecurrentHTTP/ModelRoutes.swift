import Foundation
import Hummingbird
import Recurrent
import RecurrentJobs
import RecurrentStore

/// `/api/models`: create, list, read, change, control and delete models, and
/// read their loss history and recorded samples.
struct ModelRoutes: Sendable {
    let store: any ModelStore
    let scheduler: JobScheduler
    let limits: ServiceConfiguration.Limits
    /// Every route's JSON bodies go through it (one budget for the service).
    let bodies: BodyReader

    init(store: any ModelStore, scheduler: JobScheduler, limits: ServiceConfiguration.Limits) {
        self.store = store
        self.scheduler = scheduler
        self.limits = limits
        bodies = BodyReader(limit: limits.maxBodyBytes)
    }

    func register(on router: Router<BasicRequestContext>) {
        router.post("/api/models") { request, _ in try await create(request) }
        router.get("/api/models") { request, _ in try await list(request) }
        router.get("/api/models/{id}") { _, context in
            let record = try await record(context)
            return JSON.response(ModelView.dictionary(record, live: scheduler.liveFigures(record.id)))
        }
        router.patch("/api/models/{id}") { request, context in try await patch(request, context) }
        router.delete("/api/models/{id}") { _, context in
            let record = try await record(context)
            // Stopping the job first would lose its unsaved ticks if the
            // delete then could not be written.
            try await store.requireWritable()
            await scheduler.remove(record.id)
            try await store.delete(record.id)
            return Response(status: .noContent)
        }
        router.post("/api/models/{id}/pause") { _, context in
            let record = try await record(context)
            try await scheduler.pause(record.id, status: record.status)
            return try await current(record.id)
        }
        router.post("/api/models/{id}/resume") { _, context in
            let record = try await record(context)
            try await scheduler.resume(record)
            return try await current(record.id)
        }
        router.post("/api/models/{id}/cancel") { _, context in
            let record = try await record(context)
            try await scheduler.cancel(record.id, status: record.status)
            return try await current(record.id)
        }
        router.get("/api/models/{id}/metrics") { request, context in try await metrics(request, context) }
        router.get("/api/models/{id}/samples") { request, context in try await samples(request, context) }
    }

    // MARK: Helpers

    /// The model named by the `{id}` path parameter, or 404.
    func record(_ context: BasicRequestContext) async throws -> ModelRecord {
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text), let record = try await store.model(id) else { throw APIError.modelNotFound(text) }
        return record
    }

    private func current(_ id: ModelID) async throws -> Response {
        guard let record = try await store.model(id) else { throw APIError.modelNotFound(String(id)) }
        return JSON.response(ModelView.dictionary(record, live: scheduler.liveFigures(id)))
    }

    /// An integer query parameter, or `fallback` when absent.
    static func queryInt(_ request: Request, _ name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = request.uri.queryParameters.get(name) else { return fallback }
        guard let value = Int(text) else { throw APIError.wrongType(name, "an integer") }
        guard range.contains(value) else { throw APIError.invalid(name, "must be in \(range.lowerBound)...\(range.upperBound) (got \(value))") }
        return value
    }

    // MARK: Create

    private func create(_ request: Request) async throws -> Response {
        let body = try await bodies.read(request)
        let demo = ModelConfig.demo
        let name = try SettingsValidator.name(body, default: "")
        var config = ModelConfig(
            generator: try SettingsValidator.generator(body, default: demo.generator),
            hiddenSizes: try SettingsValidator.hiddenSizes(body, default: demo.hiddenSizes, limits: limits),
            letterSize: try SettingsValidator.letterSize(body, default: demo.letterSize, limits: limits),
            optimizer: try SettingsValidator.optimizer(body, default: demo.optimizer),
            regc: try SettingsValidator.regc(body, default: demo.regc),
            clipval: try SettingsValidator.positive(body, "clipval", default: demo.clipval),
            seed: try SettingsValidator.seed(body))
        try SettingsValidator.corpusSettings(body, into: &config, limits: limits)
        let defaultRate = config.corpus == .text ? TrainingSettings.textDefaultLearningRate : 0.01
        let settings = MutableSettings(
            learningRate: try SettingsValidator.positive(body, "learning_rate", default: defaultRate),
            sampleTemperature: try SettingsValidator.positive(body, "sample_temperature", default: 1),
            maxTicks: try SettingsValidator.maxTicks(body, default: nil))
        let start = try body.bool("start") ?? true
        let corpus = config.corpus == .text
            ? try SettingsValidator.textCorpus(body, config: config, limits: limits)
            : try SettingsValidator.corpus(body, limits: limits)
        guard let sentences = corpus else {
            throw APIError(.unprocessableContent, code: "empty_corpus", "give the training text as `text` or `sentences`", field: "text")
        }
        let vocabulary = Vocabulary(sentences: sentences)
        let longest = config.corpus == .text ? 0 : sentences.map { $0.unicodeScalars.count }.max() ?? 0
        try SettingsValidator.checkBudget(config: config, symbolCount: vocabulary.symbolCount, longestSentence: longest, limits: limits)

        let chosen = config
        let (new, checkpoint) = try await Background.run { () throws -> (NewModel, Checkpoint) in
            let config = chosen
            var random = config.seed.map { RandomSource(seed: $0) } ?? RandomSource()
            let model = CharacterModel(vocabulary: vocabulary, generator: config.generator, hiddenSizes: config.hiddenSizes,
                                       letterSize: config.letterSize, random: &random)
            let solver = Solver(optimizer: config.optimizer)
            let checkpoint = Checkpoint(weights: CheckpointCodec.encode(network: model.network, solver: solver),
                                        randomState: random.state, ticks: 0, epoch: 0, firstLoss: nil, time: StoreClock.now)
            let new = NewModel(name: name, config: config,
                               vocabulary: ModelLoader.letters(vocabulary), sentences: sentences,
                               parameterCount: model.network.parameterCount, settings: settings)
            return (new, checkpoint)
        }
        let record = try await store.insert(new, status: .idle, checkpoint: checkpoint)
        if start {
            do {
                try await scheduler.enqueue(record.id)
            } catch {
                // The model is stored (idle); say so rather than "nothing was changed".
                guard let reason = StoreError.unavailableReason(error) else { throw error }
                throw APIError(.serviceUnavailable, code: "storage_unavailable",
                               "model \(record.id) was created but could not be queued: \(reason); "
                                   + "resume it (POST /api/models/\(record.id)/resume) once storage is back",
                               retryAfterSeconds: 10)
            }
        }
        guard let created = try await store.model(record.id) else { throw APIError.modelNotFound(String(record.id)) }
        return JSON.response(ModelView.dictionary(created, live: nil), status: .created,
                             headers: [.location: "/api/models/\(record.id)"])
    }

    // MARK: List

    private func list(_ request: Request) async throws -> Response {
        let limit = try Self.queryInt(request, "limit", default: 50, range: 1...limits.maxPageSize)
        var after: Int64?
        if let text = request.uri.queryParameters.get("after") {
            guard let value = Int64(text) else { throw APIError.wrongType("after", "an integer model id") }
            after = value
        }
        var status: ModelStatus?
        if let text = request.uri.queryParameters.get("status") {
            guard let value = ModelStatus(rawValue: text) else {
                throw APIError.invalid("status", "must be one of \(ModelStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            status = value
        }
        let records = try await store.models(limit: limit, before: after, status: status)
        let next: Any = records.count == limit ? records.last!.id : NSNull()
        return JSON.response([
            "models": records.map { ModelView.dictionary($0, live: scheduler.liveFigures($0.id)) },
            "next_after": next,
        ])
    }

    // MARK: Patch

    private func patch(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let record = try await record(context)
        let body = try await bodies.read(request)
        var settings = record.settings
        settings.learningRate = try SettingsValidator.positive(body, "learning_rate", default: settings.learningRate)
        settings.sampleTemperature = try SettingsValidator.positive(body, "sample_temperature", default: settings.sampleTemperature)
        settings.maxTicks = try SettingsValidator.maxTicks(body, default: settings.maxTicks)
        let name = body.has("name") ? try SettingsValidator.name(body, default: record.name) : nil
        try await store.update(record.id, name: name, settings: settings)
        scheduler.settingsChanged(record.id, settings)
        return try await current(record.id)
    }

    // MARK: History

    private func metrics(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let record = try await record(context)
        let afterStep = try Self.queryInt(request, "after_step", default: -1, range: -1...Int.max)
        let limit = try Self.queryInt(request, "limit", default: 1000, range: 1...limits.maxPageSize)
        let format = request.uri.queryParameters.get("format") ?? "json"
        guard format == "json" || format == "csv" else { throw APIError.invalid("format", "must be json or csv") }
        let points = try await store.metrics(record.id, afterStep: afterStep, limit: limit)
        if format == "csv" {
            var csv = "step,median_perplexity,mean_loss,learning_rate,ticks_per_sec,time,validation_loss\n"
            for point in points {
                csv += "\(point.step),\(point.medianPerplexity),\(point.meanLoss),\(point.learningRate),\(point.ticksPerSecond),\(JSON.time(point.time)),\(point.validationLoss.map { "\($0)" } ?? "")\n"
            }
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: csv)))
        }
        return JSON.response([
            "metrics": points.map(\.dictionary),
            "next_after_step": points.count == limit ? points.last!.step : NSNull(),
        ] as [String: Any])
    }

    private func samples(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let record = try await record(context)
        let after = try Self.queryInt(request, "after", default: 0, range: 0...Int.max)
        let limit = try Self.queryInt(request, "limit", default: 100, range: 1...limits.maxPageSize)
        let entries = try await store.samples(record.id, after: Int64(after), limit: limit)
        return JSON.response([
            "samples": entries.map(\.dictionary),
            "next_after": entries.last.map { $0.id as Any } ?? after,
        ] as [String: Any])
    }
}
