import Hummingbird

/// A request's query parameters, read with the API's errors.
struct QueryParameters {
    let request: Request

    init(_ request: Request) { self.request = request }

    /// The text of `name`, or nil when absent.
    func string(_ name: String) -> String? { request.uri.queryParameters.get(name) }

    /// An integer parameter in `range`, or `fallback` when absent.
    func integer(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws(APIError) -> Int {
        guard let text = string(name) else { return fallback }
        guard let value = Int(text) else { throw APIError.wrongType(name, "an integer") }
        guard range.contains(value) else { throw APIError.invalid(name, "must be in \(range.lowerBound)...\(range.upperBound) (got \(value))") }
        return value
    }

    /// One of `allowed`, or `fallback` when absent.
    func choice(_ name: String, _ allowed: [String], default fallback: String, message: String) throws(APIError) -> String {
        let value = string(name) ?? fallback
        guard allowed.contains(value) else { throw APIError.invalid(name, message) }
        return value
    }
}
