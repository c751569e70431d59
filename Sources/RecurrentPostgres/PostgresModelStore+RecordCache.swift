import Foundation
import RecurrentStore

/// The listener that keeps ``ModelRecordCache`` current.
extension PostgresModelStore {
    /// The channel the schema's trigger notifies with a model's id when one
    /// of its rows in `models`, `checkpoints` or `model_corpora` changes.
    static let recordChannel = "recurrent_models"

    /// Starts listening for changed models; ended by ``close()``. Records
    /// are kept only while LISTEN is in effect: what changes meanwhile is
    /// notified.
    func startRecordListener() {
        let records = self.records
        _ = listen(on: Self.recordChannel, what: "model change notifications",
                   connected: { records.setListening(true) },
                   notified: { payload in if let id = ModelID(payload) { records.invalidate(id) } },
                   dropped: { records.setListening(false) }, ended: { records.setListening(false) })
    }
}
