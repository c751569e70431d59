import Foundation
import Hummingbird
import Logging

/// The page's files from the public folder, through Hummingbird's
/// `FileMiddleware` (which refuses `..` in any spelling), with two rules of
/// ours: paths under `/api/` are the API's alone and never fall back to a
/// file, and a path that starts with `//` or holds a backslash is not found
/// rather than redirected: `FileMiddleware` answers a folder without its
/// trailing slash with `Location: <path>/`, which for `//pretrained` a
/// browser reads as the host `pretrained`.
struct StaticFiles<Context: RequestContext>: RouterMiddleware {
    let files: FileMiddleware<Context, LocalFileSystem>

    init(_ folder: String, logger: Logger) {
        files = FileMiddleware(folder, searchForIndexHtml: true, logger: logger)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path.hasPrefix("/api/") { return try await next(request, context) }
        let decoded = path.removingPercentEncoding ?? path
        if decoded.hasPrefix("//") || decoded.contains("\\") {
            throw APIError(.notFound, code: "route_not_found", "no route or file for \(request.method) \(path)")
        }
        return try await files.handle(request, context: context, next: next)
    }
}
