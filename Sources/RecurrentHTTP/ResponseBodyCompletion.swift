import Hummingbird

extension ResponseBody {
    /// The same body (same length), calling `completion` once it has been
    /// written to the connection or the write failed: the moment a request
    /// really ends, also for streamed answers.
    func onCompletion(_ completion: @escaping @Sendable () -> Void) -> ResponseBody {
        let body = self
        return ResponseBody(contentLength: body.contentLength) { writer in
            defer { completion() }
            try await body.write(writer)
        }
    }
}
