import Hummingbird
import Recurrent
import RecurrentJobs

/// `POST /api/models/estimate`: a create request checked as `POST /api/models`
/// checks it (the same 400s and 422s), answering the memory it would need to
/// train, its parameters, vocabulary and validation split, and storing
/// nothing. The page shows it before a person starts training.
struct EstimateRoutes: Sendable {
    let limits: ServiceLimits
    let bodies: BodyReader

    func register(on router: Router<BasicRequestContext>) {
        router.post("/api/models/estimate") { request, _ in try await estimate(request) }
    }

    private func estimate(_ request: Request) async throws -> Response {
        let body = try await bodies.read(CreateModelRequest.self, from: request)
        _ = try CreateModelRequest.checkedName(body.name, default: "")
        let config = try body.configuration(limits: limits)
        _ = try body.mutableSettings(for: config)
        guard let corpus = try body.corpus.corpus(for: config, limits: limits) else {
            throw APIError(.unprocessableContent, code: "empty_corpus", "give the training text as `text` or `sentences`", field: "text")
        }
        let limits = self.limits
        // Counting a corpus of megabytes is work for a Dispatch queue, not an event loop.
        let response = try await Background.run { () -> EstimateResponse in
            let vocabulary = Vocabulary(sentences: corpus)
            let lengths = corpus.map { $0.unicodeScalars.count }
            let longest = config.corpus == .text ? 0 : lengths.max() ?? 0
            let memory = limits.trainingMemory(config: config, symbolCount: vocabulary.symbolCount, longestSentence: longest).bytes
            let characters = lengths.reduce(0, +)
            return EstimateResponse(
                memoryBytes: memory, memoryBudgetBytes: limits.memoryBudgetBytes, fits: memory <= limits.memoryBudgetBytes,
                parameterCount: RecurrentNetwork.parameterCount(generator: config.generator, symbolCount: vocabulary.symbolCount,
                                                                letterSize: config.letterSize, hiddenSizes: config.hiddenSizes),
                vocabularySize: vocabulary.count, characters: characters,
                validationCharacters: config.corpus == .text ? Int(Double(characters) * config.validationFraction) : 0,
                sentenceCount: corpus.count)
        }
        return JSONResponse.make(response)
    }
}
