import Foundation
import Hummingbird
import NIOCore

/// Decodes request bodies with `JSONDecoder` into the API's `Decodable`
/// request types; every failure is an ``APIError`` in the envelope.
enum RequestDecoder {
    /// Most objects and arrays a request body may hold (no request needs
    /// many: a model file has a few hundred; numbers and strings are not
    /// counted), so a body of millions of `{}` is refused before it is parsed.
    static var maximumContainers: Int { ServiceLimits.maxJSONContainers }

    /// `bytes` as a `Body`; an empty body reads as an empty object.
    static func decode<Body: Decodable>(_ type: Body.Type, from bytes: ByteBuffer) throws(APIError) -> Body {
        try refuseTooManyContainers(bytes)
        let data = bytes.readableBytes > 0 ? Data(buffer: bytes) : Data("{}".utf8)
        do {
            return try JSONDecoder().decode(Body.self, from: data)
        } catch let error as DecodingError {
            throw APIError(error)
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.malformedJSON("\(error)")
        }
    }

    /// Answers 400 `too_many_containers` past ``maximumContainers``.
    static func refuseTooManyContainers(_ bytes: ByteBuffer) throws(APIError) {
        guard containerCount(bytes, stoppingAfter: maximumContainers) > maximumContainers else { return }
        throw APIError(.badRequest, code: "too_many_containers",
                       "the request body has more than \(maximumContainers) JSON objects and arrays; no request needs that many")
    }

    /// Objects and arrays opened in `bytes` outside strings (counting stops
    /// once past `limit`); malformed JSON is left to the parser to report.
    static func containerCount(_ bytes: ByteBuffer, stoppingAfter limit: Int) -> Int {
        bytes.withUnsafeReadableBytes { raw in
            var count = 0, inString = false, escaped = false
            for byte in raw {
                if inString {
                    if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                } else if byte == UInt8(ascii: "\"") {
                    inString = true
                } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                    count += 1
                    if count > limit { break }
                }
            }
            return count
        }
    }
}
