import Hummingbird
import RecurrentStore

/// `/api/corpora`: training texts uploaded on their own, streamed to storage
/// as they arrive, for models that name them by `corpus_id`.
struct CorpusRoutes: Sendable {
    let store: any ModelStore
    let limits: ServiceLimits

    func register(on router: Router<BasicRequestContext>) {
        router.post("/api/corpora") { request, _ in try await upload(request) }
        router.get("/api/corpora") { request, _ in try await list(request) }
        router.get("/api/corpora/{id}") { _, context in
            JSONResponse.make(CorpusResponse(try await corpus(context)))
        }
        router.delete("/api/corpora/{id}") { _, context in
            let corpus = try await corpus(context)
            do {
                try await store.deleteUploadedCorpus(corpus.id)
            } catch StoreError.corpusInUse(let id, let models) {
                throw APIError(.conflict, code: "corpus_in_use",
                               "corpus \(id) is used by model\(models.count == 1 ? "" : "s") "
                                   + models.map(String.init).joined(separator: ", ") + "; delete them first", field: "id")
            }
            return Response(status: .noContent)
        }
    }

    /// The corpus named by `{id}`, or 404 `corpus_not_found`.
    private func corpus(_ context: BasicRequestContext) async throws -> UploadedCorpus {
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text), let corpus = try await store.uploadedCorpus(id) else {
            throw APIError.corpusNotFound(text, field: "id")
        }
        return corpus
    }

    private func upload(_ request: Request) async throws -> Response {
        let limit = limits.maxUploadBytes
        // A declared length past the limit is refused before a byte is read.
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw APIError(.contentTooLarge, code: "corpus_too_large",
                           "the corpus is \(declared) bytes, larger than the upload limit of \(limit) bytes", field: "body")
        }
        let check = UploadCheck()
        let corpus = try await store.storeCorpus(CorpusUploadBody(body: request.body, limit: limit, check: check)) {
            try check.contents()
        }
        return JSONResponse.make(CorpusResponse(corpus), status: .created, headers: [.location: "/api/corpora/\(corpus.id)"])
    }

    private func list(_ request: Request) async throws -> Response {
        let query = QueryParameters(request)
        let limit = try query.integer("limit", default: 50, range: limits.pageSizes)
        var after: Int64?
        if let text = query.string("after") {
            guard let value = Int64(text) else { throw APIError.wrongType("after", "an integer corpus id") }
            after = value
        }
        let corpora = try await store.uploadedCorpora(limit: limit, before: after)
        return JSONResponse.make(CorpusListResponse(corpora: corpora.map(CorpusResponse.init),
                                                    nextAfter: corpora.count == limit ? corpora.last!.id : nil))
    }
}

extension APIError {
    static func corpusNotFound(_ id: String, field: String) -> APIError {
        APIError(.notFound, code: "corpus_not_found", "no corpus with id \(id)", field: field)
    }
}
