import Foundation
import Hummingbird
import NIOCore
import RecurrentJobs

/// An error the API answers with: a status and the envelope
/// `{"error":{"code":"...","message":"...","field":"..."}}` (`field` only when
/// one field of the request is to blame).
public struct APIError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    /// A stable, machine-readable code such as `invalid_value`.
    public var code: String
    public var message: String
    public var field: String?
    /// Headers the answer carries besides its content type (e.g. `WWW-Authenticate`).
    public var extraHeaders: HTTPFields = [:]
    /// Sent as `Retry-After` (503s of storage faults).
    public var retryAfterSeconds: Int?

    public init(_ status: HTTPResponse.Status, code: String, _ message: String, field: String? = nil,
                retryAfterSeconds: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var headers: HTTPFields {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        headers.append(contentsOf: extraHeaders)
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        return headers
    }
    public var description: String { "\(status.code) \(code): \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The envelope as JSON bytes.
    var body: [UInt8] {
        JSONWriter.bytes(ErrorEnvelope(error: .init(code: code, message: message, field: field)))
    }

    // Common errors, so every route words them the same way.

    static func malformedJSON(_ detail: String) -> APIError {
        APIError(.badRequest, code: "malformed_json", "the request body is not valid JSON: \(detail)")
    }
    static func wrongType(_ field: String, _ expected: String) -> APIError {
        APIError(.badRequest, code: "invalid_type", "\(field) must be \(expected)", field: field)
    }
    static func invalid(_ field: String, _ message: String) -> APIError {
        APIError(.unprocessableContent, code: "invalid_value", "\(field) \(message)", field: field)
    }
    static func modelNotFound(_ id: String) -> APIError {
        APIError(.notFound, code: "model_not_found", "no model with id \(id)", field: "id")
    }
    static func conflict(_ message: String) -> APIError {
        APIError(.conflict, code: "invalid_transition", message)
    }
    static func bodyTooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, code: "body_too_large", "the request body is larger than the limit of \(limit) bytes")
    }
}

/// Turns every error a request can end in, ours or Hummingbird's (unknown
/// route, wrong method, body too large), into the API's error envelope, so a
/// client needs to parse only one error shape.
struct ErrorEnvelopeMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxBodyBytes: Int
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError where error.code == "route_not_found" {
            return try notFound(error, request: request, context: context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch is NIOTooManyBytesError {
            return try APIError.bodyTooLarge(maxBodyBytes).response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            let envelope = Self.envelope(for: error, request: request)
            if envelope.code == "route_not_found" { return try notFound(envelope, request: request, context: context) }
            return try envelope.response(from: request, context: context)
        } catch let error as JobError {
            return try APIError.from(error).response(from: request, context: context)
        } catch let error where APIError.storageUnavailable(error) != nil {
            context.logger.warning("storage fault: \(error)")
            return try APIError.storageUnavailable(error)!.response(from: request, context: context)
        } catch {
            context.logger.error("request failed: \(error)")
            return try APIError(.internalServerError, code: "internal_error", "internal error: \(error)")
                .response(from: request, context: context)
        }
    }

    /// 405 with `Allow` when the path is routed for other methods, else the 404.
    private func notFound(_ error: APIError, request: Request, context: Context) throws -> Response {
        let allowed = routes.methods(for: request.uri.path)
        guard !allowed.isEmpty else { return try error.response(from: request, context: context) }
        let names = allowed.map(\.rawValue).joined(separator: ", ")
        var response = try APIError(.methodNotAllowed, code: "method_not_allowed",
                                    "\(request.method) is not allowed on \(request.uri.path) (allowed: \(names))")
            .response(from: request, context: context)
        response.headers[.allow] = names
        return response
    }

    private static func envelope(for error: any HTTPResponseError, request: Request) -> APIError {
        let detail = (error as? HTTPError)?.body
        switch error.status {
        case .notFound:
            return APIError(.notFound, code: "route_not_found", "no route for \(request.method) \(request.uri.path)")
        case .methodNotAllowed:
            return APIError(.methodNotAllowed, code: "method_not_allowed", "\(request.method) is not allowed on \(request.uri.path)")
        case .contentTooLarge:
            return APIError(.contentTooLarge, code: "body_too_large", detail ?? "the request body is too large")
        case .badRequest where (request.uri.path.removingPercentEncoding ?? request.uri.path).contains(".."):
            // FileMiddleware's refusal, which says nothing by itself.
            return APIError(.badRequest, code: "invalid_path", detail ?? "a path may not contain `..`")
        case .badRequest:
            return APIError(.badRequest, code: "bad_request", detail ?? "bad request")
        default:
            return APIError(error.status, code: "http_\(error.status.code)", detail ?? error.status.reasonPhrase)
        }
    }
}
