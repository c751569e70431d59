import Recurrent
import RecurrentJobs
import RecurrentStore

extension ServiceLimits {
    /// The bytes a model needs to train: the engine's estimate (weights,
    /// gradients, solver state, snapshot, best weights and one tick's
    /// activations) plus the encoded checkpoint the job keeps while writing
    /// it, plus `textBytes`, the encoded text an uploaded corpus takes in the
    /// job (one or two bytes a character).
    func trainingMemory(config: ModelConfig, symbolCount: Int, longestSentence: Int,
                        textBytes: Int = 0) -> (bytes: Int, engine: MemoryEstimate, checkpoint: Int) {
        let steps = config.corpus == .text ? config.sequenceLength : longestSentence + 1
        let engine = MemoryEstimate(generator: config.generator, symbolCount: symbolCount, letterSize: config.letterSize,
                                    hiddenSizes: config.hiddenSizes, batchSize: config.batchSize, steps: steps,
                                    optimizer: config.optimizer,
                                    workers: config.corpus == .text ? jobThreads ?? CoreShare.availableCores : 1,
                                    textWindows: config.corpus == .text)
        // Weights and solver state once more, for the checkpoint being written.
        let parameters = RecurrentNetwork.parameterCount(generator: config.generator, symbolCount: symbolCount,
                                                         letterSize: config.letterSize, hiddenSizes: config.hiddenSizes)
        let checkpoint = parameters * MemoryLayout<Float>.size * (config.optimizer == .adam ? 3 : 2)
        return (engine.totalBytes + checkpoint + textBytes, engine, checkpoint)
    }

    /// Refuses (422 `memory_budget`) a model that would need more than
    /// ``memoryBudgetBytes`` to train (``trainingMemory(config:symbolCount:longestSentence:textBytes:)``).
    func checkMemoryBudget(config: ModelConfig, symbolCount: Int, longestSentence: Int, textBytes: Int = 0) throws(APIError) {
        let (estimate, engine, checkpoint) = trainingMemory(config: config, symbolCount: symbolCount,
                                                            longestSentence: longestSentence, textBytes: textBytes)
        guard estimate <= memoryBudgetBytes else {
            if textBytes > 0 && engine.totalBytes + checkpoint <= memoryBudgetBytes {
                throw APIError(.unprocessableContent, code: "memory_budget",
                               "this model would need about \(estimate / 1_048_576) MiB (\(estimate) bytes) to train, of which the corpus's encoded text takes \(textBytes) bytes, more than the budget of \(memoryBudgetBytes / 1_048_576) MiB; use a smaller corpus",
                               field: "corpus_id")
            }
            throw APIError(.unprocessableContent, code: "memory_budget",
                           "this model would need about \(estimate / 1_048_576) MiB (\(estimate) bytes) to train, more than the budget of \(memoryBudgetBytes / 1_048_576) MiB (\(engine)); use smaller hidden sizes, fewer layers, a smaller batch or shorter windows",
                           field: config.batchSize > 1 ? "batch_size" : "hidden_sizes")
        }
    }
}
