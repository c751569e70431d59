import Foundation
import Logging
import PostgresNIO
import RecurrentStore

/// The listener that keeps ``ModelRecordCache`` current: one pooled
/// connection listening on ``recordChannel``, reconnecting when it drops.
extension PostgresModelStore {
    /// The channel the schema's trigger notifies with a model's id when one
    /// of its rows in `models`, `checkpoints` or `model_corpora` changes.
    static let recordChannel = "recurrent_models"

    /// Starts listening for changed models; ended by ``close()``.
    func startRecordListener() {
        let client = self.client, logger = self.logger, records = self.records
        let task = Task {
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: Self.recordChannel) { notifications in
                            // LISTEN is in effect from here: what changes
                            // later is notified, so records may be kept.
                            records.setListening(true)
                            for try await notification in notifications {
                                if let id = ModelID(notification.payload) { records.invalidate(id) }
                            }
                        }
                    }
                } catch {
                    if Task.isCancelled { break }
                    logger.debug("model change notifications interrupted: \(error)")
                }
                records.setListening(false)
                try? await Task.sleep(for: .seconds(1))
            }
            records.setListening(false)
        }
        listeners.withLock { $0.append(task) }
    }

    /// `id`'s record from the cache, or read (and kept when nothing changed meanwhile).
    func cachedModel(_ id: ModelID) async throws -> ModelRecord? {
        if let record = records.record(id) { return record }
        let epoch = records.epochForRead(), start = ContinuousClock.now
        let columns = self.columns, logger = self.logger
        let record = try await withConnection(readOnly: true) { connection in
            try await Self.model(id, on: connection, columns: columns, logger: logger)
        }
        if let record, let epoch { records.keep(record, readAt: epoch, since: start) }
        return record
    }
}
