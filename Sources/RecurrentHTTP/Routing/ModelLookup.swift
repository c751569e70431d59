import Hummingbird
import RecurrentStore

/// Finds the model a route's `{id}` path parameter names.
struct ModelLookup: Sendable {
    let store: any ModelStore

    /// The model named by `{id}`, or 404 `model_not_found`.
    func record(_ context: BasicRequestContext) async throws -> ModelRecord {
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text), let record = try await store.model(id) else { throw APIError.modelNotFound(text) }
        return record
    }
}
