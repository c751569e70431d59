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
    let models: ModelRoutes
    var scheduler: JobScheduler { models.scheduler }
    var limits: ServiceConfiguration.Limits { models.limits }

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
        let record = try await models.record(context)
        let body = try await models.bodies.read(request)
        let count = try body.int("count") ?? 1
        guard (1...limits.maxGenerateCount).contains(count) else {
            throw APIError.invalid("count", "must be in 1...\(limits.maxGenerateCount) (got \(count))")
        }
        let maxLength = try body.int("max_length") ?? 100
        guard (1...limits.maxGenerateLength).contains(maxLength) else {
            throw APIError.invalid("max_length", "must be in 1...\(limits.maxGenerateLength) (got \(maxLength))")
        }
        let temperature = try SettingsValidator.positive(body, "temperature", default: record.settings.sampleTemperature)
        let greedy = try body.bool("greedy") ?? false
        let prime = try body.string("prime") ?? ""
        let seed = try SettingsValidator.seed(body)
        let stream = try body.bool("stream") ?? false
        let model = try await weights(record)
        if case .failure(let unknown) = model.vocabulary.encode(prime) { throw Self.unknownCharacter("prime", unknown) }
        let options = SamplingOptions(temperature: Float(temperature), greedy: greedy, maxLength: maxLength, prime: prime)
        let random = seed.map { RandomSource(seed: $0) } ?? RandomSource()

        scheduler.metrics.generatedSamples.increment(by: Int64(count))
        if stream { return streamed(model: model, options: options, count: count, random: random) }
        let samples = try await Background.run { () throws -> [[String: String]] in
            var random = random
            var result: [[String: String]] = []
            for _ in 0..<count {
                let sampler = try Sampler(model: model, options: options, random: random)
                let text = sampler.run()
                random = sampler.randomState
                result.append(["text": text, "done_reason": (sampler.stopReason ?? .length).rawValue])
            }
            return result
        }
        return JSON.response(["samples": samples, "temperature": temperature, "greedy": greedy] as [String: Any])
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
                if !options.prime.isEmpty { continuation.yield(JSON.string(["sample": index, "text": options.prime]) + "\n") }
                while let scalar = sampler.next() {
                    if flag.isStopped { break }
                    continuation.yield(JSON.string(["sample": index, "text": String(scalar)]) + "\n")
                }
                random = sampler.randomState
                continuation.yield(JSON.string(["sample": index, "done": true,
                                                "done_reason": (sampler.stopReason ?? .length).rawValue] as [String: Any]) + "\n")
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
        let record = try await models.record(context)
        let body = try await models.bodies.read(request)
        guard let text = try body.string("text") else { throw APIError.invalid("text", "is required") }
        guard text.utf8.count <= limits.maxCorpusBytes else {
            throw APIError(.unprocessableContent, code: "corpus_too_large",
                           "the text is \(text.utf8.count) bytes, more than the limit of \(limits.maxCorpusBytes)", field: "text")
        }
        let model = try await weights(record)
        let evaluation = try await Background.run { model.evaluate(text: text) }
        return JSON.response([
            "sentences": evaluation.sentences, "skipped": evaluation.skipped, "predictions": evaluation.predictions,
            "total_cost": evaluation.totalCost, "mean_loss": evaluation.meanLoss, "perplexity": evaluation.perplexity,
        ] as [String: Any])
    }

    private func predict(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let record = try await models.record(context)
        let body = try await models.bodies.read(request)
        let contextText = try body.string("context") ?? ""
        guard contextText.unicodeScalars.count <= limits.maxGenerateLength else {
            throw APIError.invalid("context", "must be at most \(limits.maxGenerateLength) characters")
        }
        let topK = try body.int("top_k") ?? 10
        guard (1...limits.maxTopK).contains(topK) else { throw APIError.invalid("top_k", "must be in 1...\(limits.maxTopK) (got \(topK))") }
        let model = try await weights(record)
        if case .failure(let unknown) = model.vocabulary.encode(contextText) { throw Self.unknownCharacter("context", unknown) }
        let ranked = try await Background.run { () throws -> [Prediction] in
            try model.nextCharacterProbabilities(after: contextText, topK: topK).map {
                Prediction(character: $0.character.map { String($0) }, probability: Double($0.probability))
            }
        }
        let predictions: [[String: Any]] = ranked.map { entry in
            ["character": entry.character.map { $0 as Any } ?? NSNull(), "end": entry.character == nil,
             "probability": entry.probability]
        }
        return JSON.response(["context": contextText, "predictions": predictions] as [String: Any])
    }
}

/// One ranked next character; nil is END.
struct Prediction: Sendable {
    var character: String?
    var probability: Double
}

/// Tells a producer thread that its reader went away.
final class StopFlag: Sendable {
    private let stopped = Atomic<Bool>(false)
    func stop() { stopped.store(true, ordering: .relaxed) }
    var isStopped: Bool { stopped.load(ordering: .relaxed) }
}
