import RecurrentJobs
import RecurrentStore

/// How the lower layers' errors read as API errors.
extension APIError {
    /// A refusal of the jobs layer.
    static func from(_ error: JobError) -> APIError {
        switch error {
        case .modelNotFound(let id): .modelNotFound(String(id))
        case .transitionNotAllowed(let message): .conflict(message)
        case .noCorpus: APIError(.conflict, code: "no_corpus", error.description)
        case .cannotStop: APIError(.serviceUnavailable, code: "storage_unavailable", error.description, retryAfterSeconds: 10)
        case .createdButNotQueued(let id, _):
            APIError(.serviceUnavailable, code: "storage_unavailable",
                     "\(error.description); resume it (POST /api/models/\(id)/resume) once storage is back",
                     retryAfterSeconds: 10)
        case .noBestWeights: APIError(.notFound, code: "no_best_weights", error.description, field: "weights")
        }
    }

    /// The 503 a request answers with when storage fails; nil for other errors.
    static func storageUnavailable(_ error: any Error) -> APIError? {
        guard case .unavailable(let reason, let detail)? = error as? StoreError else { return nil }
        return APIError(.serviceUnavailable, code: "storage_unavailable",
                        "the database is unavailable: \(reason)\(detail.map { " (\($0))" } ?? ""); nothing was changed. "
                            + "Running jobs go on; try again once storage is back.",
                        retryAfterSeconds: 10)
    }
}
