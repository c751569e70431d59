/// How a training text is read.
public enum CorpusKind: String, Codable, Sendable, CaseIterable {
    /// One sentence per line, START/END around each (the demo): ``CharacterTrainer``.
    case sentences
    /// One continuous text, in parallel streams and windows, with validation
    /// (char-rnn): ``TextTrainer``.
    case text
}
