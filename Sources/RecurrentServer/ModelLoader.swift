import Foundation
import Recurrent

/// Rebuilds a model (and its solver) from its stored configuration,
/// vocabulary and checkpoint.
enum ModelLoader {
    static func vocabulary(_ letters: [String]) -> Vocabulary {
        Vocabulary(letters: letters.compactMap { $0.unicodeScalars.first })
    }

    static func letters(_ vocabulary: Vocabulary) -> [String] {
        vocabulary.letters.map { String($0) }
    }

    static func load(config: ModelConfig, vocabulary letters: [String], checkpoint: CheckpointRow) throws -> (CharacterModel, Solver) {
        let vocabulary = vocabulary(letters)
        let network = RecurrentNetwork(generator: config.generator, symbolCount: vocabulary.symbolCount,
                                       letterSize: config.letterSize, hiddenSizes: config.hiddenSizes)
        let solver = try CheckpointCodec.decode(checkpoint.weights, into: network, optimizer: config.optimizer)
        return (CharacterModel(vocabulary: vocabulary, network: network), solver)
    }

    /// Loads a model's latest checkpoint from the store.
    static func load(_ id: Int64, store: ModelStore) throws -> (ModelRecord, CharacterModel, Solver, CheckpointRow)? {
        guard let record = try store.model(id), let checkpoint = try store.checkpoint(id) else { return nil }
        let (model, solver) = try load(config: record.config, vocabulary: record.vocabulary, checkpoint: checkpoint)
        return (record, model, solver, checkpoint)
    }
}
