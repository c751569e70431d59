/// Why a store could not do what it was asked, in terms every caller can act
/// on without knowing which database is behind the store.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    /// The storage itself failed (read-only, disk full, I/O error, cannot be
    /// opened, locked or unreachable), as opposed to a request's own
    /// mistakes. Nothing was half-written: every write is one transaction.
    /// `reason` says what went wrong in a few words; `detail` is the
    /// database's own message, if any.
    case unavailable(reason: String, detail: String?)
    /// The database cannot be opened for this service at all.
    case cannotOpen(String)

    public var description: String {
        switch self {
        case .unavailable(let reason, let detail): reason + (detail.map { " (\($0))" } ?? "")
        case .cannotOpen(let message): message
        }
    }

    /// The reason when `error` is a storage fault; nil otherwise.
    public static func unavailableReason(_ error: any Error) -> String? {
        if case .unavailable(let reason, _)? = error as? StoreError { return reason }
        return nil
    }
}
