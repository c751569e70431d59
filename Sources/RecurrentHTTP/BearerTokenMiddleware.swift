import Hummingbird

/// Guards the API with one bearer token when the service has one.
///
/// Requests that change state (every method but GET, HEAD and OPTIONS) need
/// `Authorization: Bearer <token>`; the inference calls `generate`,
/// `evaluate` and `predict` are POSTs that change nothing and count as reads.
/// Reads stay open unless `tokenForReads` is set; `/api/health` and the
/// page's static files are always open. A missing or wrong token is a 401
/// with `WWW-Authenticate: Bearer`.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]
    let tokenForReads: Bool

    init(token: String, tokenForReads: Bool) {
        self.token = Array(token.utf8)
        self.tokenForReads = tokenForReads
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.needsToken(method: request.method, path: request.uri.path, tokenForReads: tokenForReads) else {
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization] else {
            throw Self.unauthorized("this request needs the API token: send `Authorization: Bearer <token>`")
        }
        let prefix = "bearer "
        guard header.count > prefix.count, header.prefix(prefix.count).lowercased() == prefix else {
            throw Self.unauthorized("the Authorization header must be `Bearer <token>`")
        }
        let presented = Array(header.utf8.dropFirst(prefix.count))
        guard Self.constantTimeEqual(presented, token) else {
            throw Self.unauthorized("the API token is wrong")
        }
        return try await next(request, context)
    }

    /// Whether a request needs the token: state changes always, reads only
    /// when configured, and never the health check or the static page.
    static func needsToken(method: HTTPRequest.Method, path: String, tokenForReads: Bool) -> Bool {
        if path == "/api/health" { return false }
        let isAPI = path == "/metrics" || path == "/api" || path.hasPrefix("/api/")
        switch method {
        case .get, .head, .options:
            return tokenForReads && isAPI
        case .post where isInference(path):
            return tokenForReads
        default:
            return true
        }
    }

    /// `/api/models/{id}/generate|evaluate|predict`: POSTs that only read.
    private static func isInference(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].isEmpty, parts[1] == "api", parts[2] == "models" else { return false }
        return ["generate", "evaluate", "predict"].contains(parts[4])
    }

    /// Compares in time that depends only on the presented token's length,
    /// never on where the first difference is.
    static func constantTimeEqual(_ presented: [UInt8], _ expected: [UInt8]) -> Bool {
        guard !expected.isEmpty else { return false }
        var difference = UInt8(presented.count == expected.count ? 0 : 1)
        for index in presented.indices {
            difference |= presented[index] ^ expected[index % expected.count]
        }
        return difference == 0
    }

    private static func unauthorized(_ message: String) -> APIError {
        var error = APIError(.unauthorized, code: "unauthorized", message)
        error.extraHeaders = [.wwwAuthenticate: #"Bearer realm="recurrent""#]
        return error
    }
}
