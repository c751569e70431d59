/// The body of every error answer: `{"error":{"code","message","field"}}`,
/// `field` only when one field of the request is to blame.
struct ErrorEnvelope: Encodable, Sendable {
    struct Detail: Encodable, Sendable {
        var code: String
        var message: String
        var field: String?

        enum CodingKeys: String, CodingKey { case code, message, field }

        func encode(to encoder: any Encoder) throws {
            var values = encoder.container(keyedBy: CodingKeys.self)
            try values.encode(code, forKey: .code)
            try values.encode(message, forKey: .message)
            if let field { try values.encode(field, forKey: .field) }
        }
    }

    var error: Detail
}
