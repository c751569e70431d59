import Dispatch
import Hummingbird
import RecurrentJobs

/// Counts and times every request into ``ServiceMetrics``, by route pattern,
/// method and final status (after the error envelope has turned errors into
/// answers). Streamed answers are timed to their last byte.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServiceMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        var response = try await next(request, context)
        // Unrouted answers: the page's files, and unknown paths, by kind only.
        let route = context.endpointPath
            ?? (response.status == .notFound ? "unmatched" : request.method == .get || request.method == .head ? "static" : "other")
        let status = response.status
        response.body = response.body.onCompletion { [metrics] in
            metrics.recordRequest(route: route, method: request.method.rawValue, status: status.code,
                                  nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
        }
        return response
    }
}
