import Foundation
import Hummingbird
import NIOCore

/// An error the API answers with: a status and the envelope
/// `{"error":{"code":"...","message":"...","field":"..."}}` (`field` only when
/// one field of the request is to blame).
public struct APIError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    /// A stable, machine-readable code such as `invalid_value`.
    public var code: String
    public var message: String
    public var field: String?
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
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        return headers
    }
    public var description: String { "\(status.code) \(code): \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The envelope as JSON bytes.
    var body: [UInt8] {
        var error: [String: Any] = ["code": code, "message": message]
        if let field { error["field"] = field }
        return JSON.encode(["error": error])
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

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch is NIOTooManyBytesError {
            return try APIError.bodyTooLarge(maxBodyBytes).response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            return try Self.envelope(for: error, request: request).response(from: request, context: context)
        } catch let error where StorageFault.reason(error) != nil {
            context.logger.warning("storage fault: \(error)")
            return try StorageFault.apiError(error)!.response(from: request, context: context)
        } catch {
            context.logger.error("request failed: \(error)")
            return try APIError(.internalServerError, code: "internal_error", "internal error: \(error)")
                .response(from: request, context: context)
        }
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
        case .badRequest:
            return APIError(.badRequest, code: "bad_request", detail ?? "bad request")
        default:
            return APIError(error.status, code: "http_\(error.status.code)", detail ?? error.status.reasonPhrase)
        }
    }
}
