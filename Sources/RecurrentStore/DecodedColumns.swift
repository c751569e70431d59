import Foundation
import Synchronization

/// Decoded `config` and `vocabulary` columns by their text: they never change
/// for a model, and decoding JSON on every status read was a good part of
/// its cost. Each store owns one.
public final class DecodedColumns: Sendable {
    private let configs = Mutex<[String: ModelConfig]>([:])
    private let vocabularies = Mutex<[String: [String]]>([:])
    /// Entries per cache; a full cache is emptied (models are few, so this is rare).
    public let capacity: Int

    public init(capacity: Int = 1024) {
        self.capacity = capacity
    }

    /// The configuration stored as `text`.
    public func config(_ text: String) throws -> ModelConfig {
        if let cached = configs.withLock({ $0[text] }) { return cached }
        let config = try ModelConfig.decode(text)
        configs.withLock { cache in
            if cache.count >= capacity { cache.removeAll() }
            cache[text] = config
        }
        return config
    }

    /// The vocabulary stored as `text` (a JSON array of characters).
    public func vocabulary(_ text: String) -> [String] {
        if let cached = vocabularies.withLock({ $0[text] }) { return cached }
        let letters = (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
        vocabularies.withLock { cache in
            if cache.count >= capacity { cache.removeAll() }
            cache[text] = letters
        }
        return letters
    }
}
