import Foundation
import Hummingbird
import Recurrent
import RecurrentJobs
import RecurrentStore
import Synchronization

/// `generate`, `evaluate` and `predict`: computed from the latest published
/// weights on a Dispatch queue, so they run while the model trains without
/// stalling it or reading half-updated weights.
struct InferenceRoutes: Sendable {
    let scheduler: JobScheduler
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
        let count = body.count ?? 1
        try limits.checkGenerateCount(count)
        let maxLength = body.maxLength ?? 100
        try limits.checkGenerateLength(maxLength)
        let temperature = try TrainingSettingsInput.positive(body.temperature, field: "temperature", default: record.settings.sampleTemperature)
        let greedy = body.greedy ?? false
        let prime = body.prime ?? ""
        let seed = try body.seed.map { seed throws(APIError) in try ServiceLimits.checkSeed(seed) }
        let stream = body.stream ?? false
        let model = try await weights(record)
        if case .failure(let unknown) = model.vocabulary.encode(prime) { throw Self.unknownCharacter("prime", unknown) }
        let options = SamplingOptions(temperature: Float(temperature), greedy: greedy, maxLength: maxLength, prime: prime)
        let random = seed.map { RandomSource(seed: $0) } ?? RandomSource()

        scheduler.metrics.generatedSamples.increment(by: Int64(count))
        if stream { return streamed(model: model, options: options, count: count, random: random) }
        let samples = try await Background.run { () throws -> [GenerateResponse.Sample] in
            var random = random
            var result: [GenerateResponse.Sample] = []
            for _ in 0..<count {
                let sampler = try Sampler(model: model, options: options, random: random)
                let text = sampler.run()
                random = sampler.randomState
                result.append(GenerateResponse.Sample(text: text, doneReason: (sampler.stopReason ?? .length).rawValue))
            }
            return result
        }
        return JSONResponse.make(GenerateResponse(samples: samples, temperature: temperature, greedy: greedy))
    }

    /// NDJSON: `{"sample":i,"text":"..."}` chunks as characters are produced,
    /// then `{"sample":i,"done":true,"done_reason":"stop"|"length"}` per sample.
    private func streamed(model: CharacterModel, options: SamplingOptions, count: Int, random: RandomSource) -> Response {
        let (lines, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .unbounded)
        let flag = StopFlag()
        continuation.onTermination = { _ in flag.stop() }
        DispatchQueue.global(qos: .userInitiated).async {
            var random = random
            for index in 0..<count {
                guard !flag.isStopped, let sampler = try? Sampler(model: model, options: options, random: random) else { break }
                if !options.prime.isEmpty { continuation.yield(JSONWriter.string(GeneratedText(sample: index, text: options.prime)) + "\n") }
                while let scalar = sampler.next() {
                    if flag.isStopped { break }
                    continuation.yield(JSONWriter.string(GeneratedText(sample: index, text: String(scalar))) + "\n")
                }
                random = sampler.randomState
                continuation.yield(JSONWriter.string(GeneratedSampleEnd(sample: index, doneReason: (sampler.stopReason ?? .length).rawValue)) + "\n")
            }
            continuation.finish()
        }
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
        let evaluation = try await Background.run { model.evaluate(text: text) }
        return JSONResponse.make(EvaluateResponse(evaluation))
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
