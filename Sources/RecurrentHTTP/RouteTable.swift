import Hummingbird
import Synchronization

/// The API's routes as path templates and methods, so that a request whose
/// path exists but whose method does not is answered 405 with `Allow`
/// (the router itself answers 404 for both).
final class RouteTable: Sendable {
    private let routes = Mutex<[(segments: [Substring], method: HTTPRequest.Method)]>([])

    /// Called once every route is registered.
    func record(_ descriptions: [Router<BasicRequestContext>.RouteDescription]) {
        let parsed = descriptions.map { (segments: "\($0.path)".split(separator: "/"), method: $0.method) }
        routes.withLock { $0 = parsed }
    }

    /// The methods routed for `path`, by its most specific templates (for
    /// `/api/models/import`, its own route rather than `/api/models/{id}`);
    /// empty when no template matches it.
    func methods(for path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        let matches = routes.withLock { routes in
            routes.compactMap { route -> (literals: Int, method: HTTPRequest.Method)? in
                guard route.segments.count == segments.count,
                      zip(route.segments, segments).allSatisfy({ $0.hasPrefix("{") || $0 == $1 }) else { return nil }
                return (route.segments.filter { !$0.hasPrefix("{") }.count, route.method)
            }
        }
        let best = matches.map(\.literals).max()
        return matches.filter { $0.literals == best }.map(\.method)
    }
}
