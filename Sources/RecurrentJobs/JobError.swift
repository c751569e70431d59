import RecurrentStore

/// What the jobs layer refuses, in domain terms; the HTTP layer maps each
/// case to a status and an error code.
public enum JobError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No model with this id.
    case modelNotFound(ModelID)
    /// The model's status does not allow the change asked for.
    case transitionNotAllowed(String)
    /// The model has no corpus to train on.
    case noCorpus(ModelID)
    /// The model cannot stop now: its final checkpoint could not be written.
    case cannotStop(ModelID, fault: String)
    /// The model was stored but could not be queued: storage failed (it is idle).
    case createdButNotQueued(ModelID, reason: String)
    /// No best weights were kept yet (they are for text corpora, once validation has run).
    case noBestWeights(ModelID)

    public var description: String {
        switch self {
        case .modelNotFound(let id): "no model with id \(id)"
        case .transitionNotAllowed(let message): message
        case .noCorpus(let id):
            "model \(id) has no training corpus: import it again with `text` or `sentences` to train it"
        case .cannotStop(let id, let fault): "model \(id) cannot stop now: its \(fault); try again once storage is back"
        case .createdButNotQueued(let id, let reason): "model \(id) was created but could not be queued: \(reason)"
        case .noBestWeights:
            "this model has no best weights yet: they are kept for text corpora once validation has run"
        }
    }
}
