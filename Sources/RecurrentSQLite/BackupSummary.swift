/// What a backup of a ``SQLiteModelStore`` holds.
public struct BackupSummary: Sendable, Equatable {
    /// Models in the copy.
    public var models: Int
    /// Size of the copy's file in bytes.
    public var bytes: Int
    /// Uploaded corpora copied beside it.
    public var corpora: Int
    /// Size of those corpora in bytes.
    public var corpusBytes: Int

    public init(models: Int, bytes: Int, corpora: Int = 0, corpusBytes: Int = 0) {
        self.models = models
        self.bytes = bytes
        self.corpora = corpora
        self.corpusBytes = corpusBytes
    }
}
