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

    /// A trained model brought in from a model file: its weights and solver
    /// state, the tick count and generator state it had reached, and its
    /// corpus when one came along. It is stored idle.
    public func importModel(name: String, config: ModelConfig, settings: MutableSettings, model: CharacterModel,
                            solver: Solver, corpus: [String]?, ticks: Int, randomState: [UInt64]?) async throws -> ModelRecord {
        let epoch = corpus.map { Double(ticks) / Double($0.count) } ?? 0
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
        guard let best = try await store.bestWeights(record.id) else { throw JobError.noBestWeights(record.id) }
        let optimizer = record.config.optimizer
        let current = ModelTransfer(model: state.model, solver: state.solver)
        let model = try await Background.run { () throws -> ModelTransfer in
            let model = current.model.copy()
            _ = try CheckpointCodec.decode(best.weights, into: model.network, optimizer: optimizer)
            return ModelTransfer(model: model, solver: Solver(optimizer: optimizer))
        }
        return TrainingState(model: model.model, solver: model.solver, ticks: best.step, epoch: state.epoch, randomState: nil)
    }
}

/// A model and solver handed to and from the thread that encodes them;
/// unchecked because neither is changed while the other side holds it.
private struct ModelTransfer: @unchecked Sendable {
    var model: CharacterModel
    var solver: Solver
}
