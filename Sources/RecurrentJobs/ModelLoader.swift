import Foundation
import Recurrent
import RecurrentStore

/// Rebuilds a model (and its solver) from its stored configuration,
/// vocabulary and checkpoint.
public enum ModelLoader {
    public static func vocabulary(_ letters: [String]) -> Vocabulary {
        Vocabulary(letters: letters.compactMap { $0.unicodeScalars.first })
    }

    public static func letters(_ vocabulary: Vocabulary) -> [String] {
        vocabulary.letters.map { String($0) }
    }

    public static func load(config: ModelConfig, vocabulary letters: [String], checkpoint: Checkpoint) throws -> (CharacterModel, Solver) {
        let vocabulary = vocabulary(letters)
        let network = RecurrentNetwork(generator: config.generator, symbolCount: vocabulary.symbolCount,
                                       letterSize: config.letterSize, hiddenSizes: config.hiddenSizes)
        let solver = try CheckpointCodec.decode(checkpoint.weights, into: network, optimizer: config.optimizer)
        return (CharacterModel(vocabulary: vocabulary, network: network), solver)
    }

    /// A model's latest checkpoint, loaded from the store.
    public struct Loaded: @unchecked Sendable {
        public var record: ModelRecord
        public var model: CharacterModel
        public var solver: Solver
        public var checkpoint: Checkpoint
    }

    /// Loads a model's latest checkpoint from the store; the decoding runs
    /// off the concurrency pool.
    public static func load(_ id: ModelID, store: any ModelStore) async throws -> Loaded? {
        guard let record = try await store.model(id), let checkpoint = try await store.checkpoint(id) else { return nil }
        return try await Background.run {
            let (model, solver) = try load(config: record.config, vocabulary: record.vocabulary, checkpoint: checkpoint)
            return Loaded(record: record, model: model, solver: solver, checkpoint: checkpoint)
        }
    }
}
