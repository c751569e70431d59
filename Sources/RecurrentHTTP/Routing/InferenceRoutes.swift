import Foundation
import Hummingbird
import Recurrent
import RecurrentJobs
import RecurrentStore
import Synchronization

/// `generate`, `evaluate` and `predict`: computed from the latest published
/// weights (`generate` also from the best ones, with `"weights": "best"`) on a
/// Dispatch queue, so they run while the model trains without stalling it or
/// reading half-updated weights.
struct InferenceRoutes: Sendable {
    let scheduler: JobScheduler
    let library: ModelLibrary
    let limits: ServiceLimits
    let lookup: ModelLookup
    let bodies: BodyReader

    func register(on router: Router<BasicRequestContext>) {
        router.post("/api/models/{id}/generate") { request, context in try await generate(request, context) }
        router.post("/api/models/{id}/evaluate") { request, context in try await evaluate(request, context) }
        router.post("/api/models/{id}/predict") { request, context in try await predict(request, context) }
    }

    private func weights(_ record: ModelRecord) async throws -> CharacterModel {
        guard let model = try await scheduler.inferenceModel(record.id) else { throw APIError.modelNotFound(String(record.id)) }
        return model
    }

    private static func unknownCharacter(_ field: String, _ unknown: Vocabulary.UnknownCharacter) -> APIError {
        APIError(.unprocessableContent, code: "unknown_character", "\(field): \(unknown)", field: field)
    }

    // MARK: Generate

    private func generate(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let record = try await lookup.record(context)
        let body = try await bodies.read(GenerateRequest.self, from: request)
        var settings = try GenerateSettings(body, limits: limits, defaultTemperature: record.settings.sampleTemperature)
        let model = try await library.inferenceModel(record, weights: try body.sampledWeights())
        if case .failure(let unknown) = model.vocabulary.encode(settings.options.prime) { throw Self.unknownCharacter("prime", unknown) }
        // One seed for the request: sample i uses seed + i, streamed or not.
        var system = SystemRandomNumberGenerator()
        settings.options.seed = settings.options.seed ?? system.next()
        let settingsCopy = settings
        scheduler.metrics.generatedSamples.increment(by: Int64(settings.count))
        if settings.stream && settings.beam == nil { return streamed(model: model, settings: settings) }
        let samples = try await Background.run { () throws -> [GeneratedSample] in
            if let beam = settingsCopy.beam {
                return try model.beamSearch(settingsCopy.options, beam: beam, count: settingsCopy.count)
            }
            return try model.generate(settingsCopy.options, count: settingsCopy.count)
        }
        // A beam search answers when it is done; streamed, each text comes whole.
        if settings.stream { return Self.ndjson(samples) }
        return JSONResponse.make(GenerateResponse(samples: samples.map(GenerateResponse.Sample.init),
                                                  temperature: settings.temperature, greedy: settings.options.greedy))
    }

    /// NDJSON: `{"sample":i,"text":"..."}` chunks as characters are produced,
    /// then `{"sample":i,"done":true,"done_reason":…,"finish_reason":…,"logprob":…}`
    /// per sample (with `tokens` when asked). Samples follow one another, sample
    /// i drawing from seed + i as in the batched answer.
    private func streamed(model: CharacterModel, settings: GenerateSettings) -> Response {
        let (lines, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .unbounded)
        let flag = StopFlag()
        continuation.onTermination = { _ in flag.stop() }
        DispatchQueue.global(qos: .userInitiated).async {
            let seed = settings.options.seed ?? 0
            for index in 0..<settings.count {
                var options = settings.options
                options.seed = seed &+ UInt64(index)
                guard !flag.isStopped, let sampler = try? Sampler(model: model, options: options) else { break }
                if !options.prime.isEmpty { continuation.yield(JSONWriter.string(GeneratedText(sample: index, text: options.prime)) + "\n") }
                while let scalar = sampler.next() {
                    if flag.isStopped { break }
                    continuation.yield(JSONWriter.string(GeneratedText(sample: index, text: String(scalar))) + "\n")
                }
                guard let result = sampler.result else { break }
                continuation.yield(JSONWriter.string(GeneratedSampleEnd(sample: index, result)) + "\n")
            }
            continuation.finish()
        }
        return Self.ndjsonResponse(lines)
    }

    /// Finished samples in the streamed format: each text as one chunk, then its end line.
    private static func ndjson(_ samples: [GeneratedSample]) -> Response {
        let lines = samples.enumerated().flatMap { index, sample in
            [JSONWriter.string(GeneratedText(sample: index, text: sample.text)) + "\n",
             JSONWriter.string(GeneratedSampleEnd(sample: index, sample)) + "\n"]
        }
        return ndjsonResponse(AsyncStream { continuation in
            for line in lines { continuation.yield(line) }
            continuation.finish()
        })
    }

    private static func ndjsonResponse(_ lines: AsyncStream<String>) -> Response {
        let body = ResponseBody { writer in
            for await line in lines {
                try await writer.write(ByteBuffer(string: line))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: body)
    }

    // MARK: Evaluate and predict

    private func evaluate(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let record = try await lookup.record(context)
        let body = try await bodies.read(EvaluateRequest.self, from: request)
        guard let text = body.text else { throw APIError.invalid("text", "is required") }
        try limits.checkCorpusSize(text.utf8.count, field: "text", what: "text")
        let model = try await weights(record)
        guard body.perCharacter == true else {
            let evaluation = try await Background.run { model.evaluate(text: text) }
            return JSONResponse.make(EvaluateResponse(evaluation))
        }
        let response = try await Background.run { () -> EvaluateResponse in
            var evaluation = Evaluation()
            var characters: [SentenceSurprisals] = []
            for sentence in Sentences.split(text) {
                guard case .success(let encoded) = model.vocabulary.encode(sentence) else {
                    evaluation.skipped += 1
                    characters.append(SentenceSurprisals(text: sentence, skipped: true, surprisal: []))
                    continue
                }
                let surprisals = model.surprisals(ofEncoded: encoded)
                evaluation.sentences += 1
                evaluation.predictions += surprisals.count
                evaluation.totalCost += surprisals.reduce(0, +)
                characters.append(SentenceSurprisals(text: sentence, skipped: false, surprisal: surprisals))
            }
            return EvaluateResponse(evaluation, characters: characters)
        }
        return JSONResponse.make(response)
    }

    private func predict(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let record = try await lookup.record(context)
        let body = try await bodies.read(PredictRequest.self, from: request)
        let contextText = body.context ?? ""
        try limits.checkContextLength(contextText)
        let topK = body.topK ?? 10
        try limits.checkTopK(topK)
        let model = try await weights(record)
        if case .failure(let unknown) = model.vocabulary.encode(contextText) { throw Self.unknownCharacter("context", unknown) }
        let predictions = try await Background.run { () throws -> [PredictResponse.Prediction] in
            try model.nextCharacterProbabilities(after: contextText, topK: topK).map {
                PredictResponse.Prediction(character: $0.character.map { String($0) }, end: $0.character == nil,
                                           probability: Double($0.probability))
            }
        }
        return JSONResponse.make(PredictResponse(context: contextText, predictions: predictions))
    }
}

/// Tells a producer thread that its reader went away.
final class StopFlag: Sendable {
    private let stopped = Atomic<Bool>(false)
    func stop() { stopped.store(true, ordering: .relaxed) }
    var isStopped: Bool { stopped.load(ordering: .relaxed) }
}
