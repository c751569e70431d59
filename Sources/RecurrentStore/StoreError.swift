/// Why a store could not do what it was asked, in terms every caller can act
/// on without knowing which database is behind the store.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The storage itself failed (read-only, disk full, I/O error, cannot be
    /// opened, locked or unreachable), as opposed to a request's own
    /// mistakes. Nothing was half-written: every write is one transaction.
    /// `reason` says what went wrong in a few words; `detail` is the
    /// database's own message, if any.
    case unavailable(reason: String, detail: String?)
    /// The database cannot be opened for this service at all.
    case cannotOpen(String)
    /// A write fenced by a job lease was refused: another worker has taken
    /// the job over (this worker's lease had expired), or the model is gone.
    /// Nothing was written.
    case leaseLost(ModelID, generation: Int64)
    /// An uploaded corpus cannot be deleted while these models use it. Nothing was changed.
    case corpusInUse(CorpusID, models: [ModelID])
    /// An uploaded corpus's bytes are missing or no longer match its checksum.
    case corruptCorpus(CorpusID, reason: String)

    public var description: String {
        switch self {
        case .unavailable(let reason, let detail): reason + (detail.map { " (\($0))" } ?? "")
        case .cannotOpen(let message): message
        case .leaseLost(let id, let generation):
            "the lease on model \(id) (generation \(generation)) is no longer held: another worker took the job over or the model was deleted"
        case .corpusInUse(let id, let models):
            "corpus \(id) is used by models \(models.map(String.init).joined(separator: ", "))"
        case .corruptCorpus(let id, let reason):
            "uploaded corpus \(id) cannot be used: \(reason)"
        }
    }

    /// Whether `error` is a refused fenced write.
    public static func isLeaseLost(_ error: any Error) -> Bool {
        if case .leaseLost? = error as? StoreError { return true }
        return false
    }

    /// The reason when `error` is a storage fault; nil otherwise.
    public static func unavailableReason(_ error: any Error) -> String? {
        if case .unavailable(let reason, _)? = error as? StoreError { return reason }
        return nil
    }
}
