/// What a backup of a ``SQLiteModelStore`` holds.
public struct BackupSummary: Sendable, Equatable {
    /// Models in the copy.
    public var models: Int
    /// Size of the copy's file in bytes.
    public var bytes: Int

    public init(models: Int, bytes: Int) {
        self.models = models
        self.bytes = bytes
    }
}
