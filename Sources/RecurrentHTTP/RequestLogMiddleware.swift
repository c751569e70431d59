import Dispatch
import Hummingbird
import Logging

/// One `info` log line per answered request, with method, path, status and
/// duration as metadata (written when the last byte is sent, so an event
/// stream logs when it ends). The query string is left out: it may carry
/// text people typed.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        var response = try await next(request, context)
        let status = response.status.code
        response.body = response.body.onCompletion { [logger] in
            let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            logger.info("request", metadata: [
                "method": "\(request.method.rawValue)",
                "path": "\(request.uri.path)",
                "status": .stringConvertible(status),
                "duration_ms": .stringConvertible((milliseconds * 100).rounded() / 100),
            ])
        }
        return response
    }
}
