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
        var data = bytes.readableBytes > 0 ? Data(buffer: bytes) : Data("{}".utf8)
        if hasDuplicateKeys(bytes) { data = lastValueOfEachKey(data) }
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

    /// The body with each repeated key holding its last value, as
    /// `JSONSerialization` (and most parsers) read it; `JSONDecoder` would
    /// take the first. Rare: only bodies that repeat a key come here.
    private static func lastValueOfEachKey(_ data: Data) -> Data {
        guard let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
              let rewritten = try? JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed]) else { return data }
        return rewritten
    }

    /// Whether an object in `bytes` repeats a key (compared as written).
    static func hasDuplicateKeys(_ bytes: ByteBuffer) -> Bool {
        bytes.withUnsafeReadableBytes { raw in
            // Per open container: its keys when it is an object (nil for an array).
            var open: [Set<[UInt8]>?] = []
            var expectingKey = false, inString = false, escaped = false
            var stringStart = 0
            for (index, byte) in raw.enumerated() {
                if inString {
                    if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") {
                        inString = false
                        if expectingKey, !open.isEmpty, open[open.count - 1] != nil {
                            let key = Array(raw[stringStart..<index])
                            if open[open.count - 1]!.insert(key).inserted == false { return true }
                            expectingKey = false
                        }
                    }
                    continue
                }
                switch byte {
                case UInt8(ascii: "\""):
                    inString = true
                    stringStart = index + 1
                case UInt8(ascii: "{"):
                    open.append([])
                    expectingKey = true
                case UInt8(ascii: "["):
                    open.append(nil)
                    expectingKey = false
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if !open.isEmpty { open.removeLast() }
                    expectingKey = false
                case UInt8(ascii: ","):
                    expectingKey = open.last.map { $0 != nil } ?? false
                default:
                    break
                }
            }
            return false
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
