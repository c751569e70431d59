import GRDB
import RecurrentStore

/// Failures of the database file itself (read-only, disk full, I/O error,
/// cannot be opened, locked past the busy timeout) become
/// ``StoreError/unavailable(reason:detail:)``, so callers act on them without
/// knowing SQLite; any other error passes through unchanged.
enum SQLiteFault {
    static func storeError(_ error: any Error) -> any Error {
        guard let database = error as? DatabaseError, let reason = reason(database.resultCode) else { return error }
        return StoreError.unavailable(reason: reason, detail: database.message)
    }

    private static func reason(_ code: ResultCode) -> String? {
        switch code {
        case .SQLITE_READONLY: "the database is read-only"
        case .SQLITE_FULL: "the disk holding the database is full"
        case .SQLITE_IOERR: "the disk holding the database reported an I/O error"
        case .SQLITE_CANTOPEN: "the database file cannot be opened"
        case .SQLITE_BUSY, .SQLITE_LOCKED: "the database stayed locked by another process"
        default: nil
        }
    }
}
