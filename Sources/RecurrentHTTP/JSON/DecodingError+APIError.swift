import Foundation

extension DecodingError {
    /// Where in the body the error is.
    var codingPath: [any CodingKey] {
        switch self {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context),
             .dataCorrupted(let context):
            context.codingPath
        @unknown default: []
        }
    }

    /// The coding path as the envelope's `field`: `hidden_sizes[2]`,
    /// `training.seed`.
    static func field(_ path: [any CodingKey]) -> String {
        var field = ""
        for key in path {
            if let index = key.intValue, key.stringValue.hasPrefix("Index ") || key.stringValue == String(index) {
                field += "[\(index)]"
            } else {
                field += field.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return field
    }
}

extension APIError {
    /// A request body that could not be decoded: malformed JSON is 400
    /// `malformed_json`; a body that is not an object, or a field of the
    /// wrong type, is 400 `invalid_type` naming the field by its coding path
    /// ("hidden_sizes[2] must be an integer").
    init(_ error: DecodingError) {
        let path = error.codingPath
        if path.isEmpty {
            if case .dataCorrupted(let context) = error {
                let detail = context.underlyingError.map { $0 as NSError }?.userInfo[NSDebugDescriptionErrorKey] as? String
                self = .malformedJSON(detail ?? context.underlyingError.map { "\($0)" } ?? context.debugDescription)
            } else {
                self = APIError(.badRequest, code: "invalid_type", "the request body must be a JSON object")
            }
            return
        }
        let expected: String
        switch error {
        case .typeMismatch(let type, _), .valueNotFound(let type, _): expected = Self.expectation(of: type)
        default: expected = "a valid value"
        }
        self = .wrongType(DecodingError.field(path), expected)
    }

    /// What a field of `type` must be, in the words of the API.
    static func expectation(of type: Any.Type) -> String {
        if let described = type as? any RequestValue.Type { return described.expectation }
        switch ObjectIdentifier(type) {
        case ObjectIdentifier(String.self): return "a string"
        case ObjectIdentifier(Bool.self): return "a boolean"
        case ObjectIdentifier(Double.self), ObjectIdentifier(Float.self): return "a number"
        case ObjectIdentifier(Int.self), ObjectIdentifier(Int64.self): return "an integer"
        case ObjectIdentifier([Any].self): return "an array"
        default: return "an object"
        }
    }
}
