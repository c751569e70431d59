import Foundation
import Recurrent
import RecurrentStore

/// The application's work on whole models, whichever interface asks for it:
/// creating one (its first weights built off the concurrency pool, stored,
/// and queued), importing a trained one, deleting one, and the weights to
/// export. Requests arrive here validated; what is refused here is refused
/// for what the store or the jobs hold, as ``JobError``s.
public struct ModelLibrary: Sendable {
    public let store: any ModelStore
    public let scheduler: JobScheduler

    public init(store: any ModelStore, scheduler: JobScheduler) {
        self.store = store
        self.scheduler = scheduler
    }

    /// Stores a new model with freshly initialised weights (from the
    /// configuration's seed, when it has one) and, when `start`, queues it.
    /// `vocabulary` is `corpus`'s (the caller has it already, for its checks).
    /// A model stored but not queued for a storage fault is reported as
    /// ``JobError/createdButNotQueued(_:reason:)``: it exists, idle.
    /// `uploaded` names an uploaded corpus to train on instead of `corpus` (then empty).
    public func create(name: String, config: ModelConfig, settings: MutableSettings, corpus: [String],
                       vocabulary: Vocabulary, start: Bool, uploaded: CorpusID? = nil) async throws -> ModelRecord {
        let (new, checkpoint) = try await Background.run { () throws -> (NewModel, Checkpoint) in
            var random = config.seed.map { RandomSource(seed: $0) } ?? RandomSource()
            let model = CharacterModel(vocabulary: vocabulary, generator: config.generator, hiddenSizes: config.hiddenSizes,
                                       letterSize: config.letterSize, random: &random)
            let solver = Solver(optimizer: config.optimizer)
            let checkpoint = Checkpoint(weights: CheckpointCodec.encode(network: model.network, solver: solver),
                                        randomState: random.state, ticks: 0, epoch: 0, firstLoss: nil, time: StoreClock.now)
            let new = NewModel(name: name, config: config, vocabulary: ModelLoader.letters(vocabulary),
                               sentences: uploaded == nil ? corpus : nil,
                               parameterCount: model.network.parameterCount, settings: settings, corpusID: uploaded)
            return (new, checkpoint)
        }
        let record = try await store.insert(new, status: .idle, checkpoint: checkpoint)
        if start {
            do {
                try await scheduler.enqueue(record.id)
            } catch {
                guard let reason = StoreError.unavailableReason(error) else { throw error }
                throw JobError.createdButNotQueued(record.id, reason: reason)
            }
        }
        guard let created = try await store.model(record.id) else { throw JobError.modelNotFound(record.id) }
        return created
    }

    /// Passes over `corpus` that `ticks` ticks make: a tick trains
    /// `batch_size` sentences, or a window of `seq_length` characters of each
    /// of a text's `batch_size` streams (the text being its training part).
    static func epoch(ofTicks ticks: Int, config: ModelConfig, corpus: [String]) -> Double {
        switch config.corpus {
        case .sentences:
            return Double(ticks) * Double(config.batchSize) / Double(max(1, corpus.count))
        case .text:
            let characters = corpus.reduce(0) { $0 + $1.unicodeScalars.count + 1 } - 1
            let training = Double(characters) * (1 - config.validationFraction)
            return Double(ticks) * Double(config.batchSize * config.sequenceLength) / max(1, training)
        }
    }

    /// A trained model brought in from a model file: its weights and solver
    /// state, the tick count and generator state it had reached, and its
    /// corpus when one came along. It is stored idle.
    public func importModel(name: String, config: ModelConfig, settings: MutableSettings, model: CharacterModel,
                            solver: Solver, corpus: [String]?, ticks: Int, randomState: [UInt64]?) async throws -> ModelRecord {
        let epoch = corpus.map { Self.epoch(ofTicks: ticks, config: config, corpus: $0) } ?? 0
        let transfer = ModelTransfer(model: model, solver: solver)
        let weights = try await Background.run { CheckpointCodec.encode(network: transfer.model.network, solver: transfer.solver) }
        let checkpoint = Checkpoint(weights: weights, randomState: randomState, ticks: ticks, epoch: epoch, firstLoss: nil,
                                    time: StoreClock.now)
        let new = NewModel(name: name, config: config, vocabulary: ModelLoader.letters(model.vocabulary), sentences: corpus,
                           parameterCount: model.network.parameterCount, settings: settings, ticks: ticks, epoch: epoch)
        return try await store.insert(new, status: .idle, checkpoint: checkpoint)
    }

    /// Stops the model's job without saving and removes everything it owns.
    /// Nothing is stopped when the delete could not then be written: the
    /// job would lose its unsaved ticks for nothing.
    public func delete(_ id: ModelID) async throws {
        try await store.requireWritable()
        await scheduler.remove(id)
        try await store.delete(id)
        await scheduler.removed(id)
    }

    /// Which weights an export holds.
    public enum ExportedWeights: String, Sendable, CaseIterable {
        /// The latest weights with the solver state (the running job's, or the checkpoint's).
        case current
        /// The weights with the best validation loss (text corpora), without solver state.
        case best
    }

    /// A consistent copy of the weights to export.
    public func exportState(_ record: ModelRecord, weights: ExportedWeights) async throws -> TrainingState {
        guard let state = try await scheduler.trainingState(record.id) else { throw JobError.modelNotFound(record.id) }
        guard weights == .best else { return state }
        let (model, step) = try await withBestWeights(record, like: state.model)
        return TrainingState(model: model, solver: Solver(optimizer: record.config.optimizer), ticks: step, epoch: state.epoch,
                             randomState: nil)
    }

    /// The model to sample from: the latest published weights (`.current`,
    /// what a running job last shared), or a copy of them holding the weights
    /// of the best validation loss (`.best`). Throws ``JobError/modelNotFound(_:)``
    /// for a model that is gone and ``JobError/noBestWeights(_:)`` when no
    /// validation has been kept (a sentence corpus, or a text before its first
    /// validation).
    public func inferenceModel(_ record: ModelRecord, weights: ExportedWeights) async throws -> CharacterModel {
        guard let current = try await scheduler.inferenceModel(record.id) else { throw JobError.modelNotFound(record.id) }
        guard weights == .best else { return current }
        return try await withBestWeights(record, like: current).model
    }

    /// A copy of `model` with the stored best weights read into it, and the
    /// tick they are from; decoded off the concurrency pool.
    private func withBestWeights(_ record: ModelRecord, like model: CharacterModel) async throws -> (model: CharacterModel, step: Int) {
        guard let best = try await store.bestWeights(record.id) else { throw JobError.noBestWeights(record.id) }
        let optimizer = record.config.optimizer
        let copy = try await Background.run { () throws -> CharacterModel in
            let copy = model.copy()
            _ = try CheckpointCodec.decode(best.weights, into: copy.network, optimizer: optimizer)
            return copy
        }
        return (copy, best.step)
    }
}

/// A model and solver handed to and from the thread that encodes them;
/// unchecked because neither is changed while the other side holds it.
private struct ModelTransfer: @unchecked Sendable {
    var model: CharacterModel
    var solver: Solver
}
