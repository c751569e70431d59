import GRDB

/// Failures of the database file itself (read-only, disk full, I/O error,
/// cannot be opened, locked past the busy timeout), as opposed to a request's
/// own mistakes. A request that meets one answers 503 `storage_unavailable`
/// (nothing half-written: every write is one transaction); a training job
/// keeps training and writes again at its next flush.
enum StorageFault {
    /// What went wrong, in a few words, when `error` is a storage fault; nil otherwise.
    static func reason(_ error: any Error) -> String? {
        guard let error = error as? DatabaseError else { return nil }
        switch error.resultCode {
        case .SQLITE_READONLY: return "the database is read-only"
        case .SQLITE_FULL: return "the disk holding the database is full"
        case .SQLITE_IOERR: return "the disk holding the database reported an I/O error"
        case .SQLITE_CANTOPEN: return "the database file cannot be opened"
        case .SQLITE_BUSY, .SQLITE_LOCKED: return "the database stayed locked by another process"
        default: return nil
        }
    }

    /// The 503 a request answers with.
    static func apiError(_ error: any Error) -> APIError? {
        guard let reason = reason(error) else { return nil }
        let detail = (error as? DatabaseError)?.message.map { " (\($0))" } ?? ""
        return APIError(.serviceUnavailable, code: "storage_unavailable",
                        "the request needs to write and \(reason)\(detail); nothing was changed. "
                            + "Reading models, generating and running jobs go on; try again once storage is back.",
                        retryAfterSeconds: 10)
    }
}
