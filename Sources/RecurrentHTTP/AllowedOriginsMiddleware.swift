import Hummingbird

/// Cross-origin access for the configured origins only (CORS is off when
/// none are configured: no header is added and browsers refuse cross-origin
/// calls).
///
/// A preflight (`OPTIONS` with `Access-Control-Request-Method`) from an
/// allowed origin is answered here with 204; other requests from an allowed
/// origin go on and their answer, errors included, carries
/// `Access-Control-Allow-Origin`. Requests from other origins get no CORS
/// headers at all.
struct AllowedOriginsMiddleware<Context: RequestContext>: RouterMiddleware {
    let origins: Set<String>
    let allowsAny: Bool

    init(origins: [String]) {
        self.origins = Set(origins.map { Self.normalized($0) })
        allowsAny = origins.contains("*")
    }

    static var allowedMethods: String { "GET, HEAD, POST, PATCH, DELETE, OPTIONS" }
    static var allowedHeaders: String { "Authorization, Content-Type, Accept" }
    /// Headers a page may read from answers besides the CORS-safelisted ones.
    static var exposedHeaders: String { "Location, WWW-Authenticate" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], allowsAny || origins.contains(Self.normalized(origin)) else {
            return try await next(request, context)
        }
        let allowOrigin = allowsAny ? "*" : origin
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            return Response(status: .noContent, headers: [
                .accessControlAllowOrigin: allowOrigin,
                .accessControlAllowMethods: Self.allowedMethods,
                .accessControlAllowHeaders: Self.allowedHeaders,
                .accessControlMaxAge: "600",
                .vary: "Origin",
            ])
        }
        var response = try await next(request, context)
        response.headers[.accessControlAllowOrigin] = allowOrigin
        response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
        if !allowsAny { response.headers[.vary] = "Origin" }
        return response
    }

    /// Origins compare without a trailing slash and case-insensitively
    /// (scheme and host are case-insensitive).
    private static func normalized(_ origin: String) -> String {
        var origin = origin.lowercased()
        while origin.hasSuffix("/") { origin.removeLast() }
        return origin
    }
}
