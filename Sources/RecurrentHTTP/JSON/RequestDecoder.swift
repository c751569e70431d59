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
        try refuseInvalidText(bytes)
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

    /// Answers 400 `malformed_json` for a body that is not UTF-8 or holds an
    /// escaped lone surrogate (`\\ud800`) anywhere: `JSONDecoder` skips the
    /// values of keys a request does not read without checking them, but a
    /// body is refused whole, as before.
    static func refuseInvalidText(_ bytes: ByteBuffer) throws(APIError) {
        let problem: String? = bytes.withUnsafeReadableBytes { raw in
            guard String(validating: raw, as: UTF8.self) != nil else { return "the body is not valid UTF-8" }
            func hex(_ byte: UInt8) -> UInt32? {
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
                default: nil
                }
            }
            let lone = "a string holds a lone UTF-16 surrogate escape"
            var index = 0, inString = false, pendingHigh = false
            while index < raw.count {
                let byte = raw[index]
                guard inString else {
                    if byte == UInt8(ascii: "\"") { inString = true }
                    index += 1
                    continue
                }
                if byte == UInt8(ascii: "\\"), index + 1 < raw.count {
                    if raw[index + 1] == UInt8(ascii: "u"), index + 5 < raw.count,
                       let a = hex(raw[index + 2]), let b = hex(raw[index + 3]), let c = hex(raw[index + 4]), let d = hex(raw[index + 5]) {
                        let unit = a << 12 | b << 8 | c << 4 | d
                        if (0xD800...0xDBFF).contains(unit) {
                            if pendingHigh { return lone }
                            pendingHigh = true
                        } else if (0xDC00...0xDFFF).contains(unit) {
                            if !pendingHigh { return lone }
                            pendingHigh = false
                        } else if pendingHigh {
                            return lone
                        }
                        index += 6
                    } else {
                        if pendingHigh { return lone }
                        index += 2
                    }
                    continue
                }
                if pendingHigh { return lone }
                if byte == UInt8(ascii: "\"") { inString = false }
                index += 1
            }
            return nil
        }
        if let problem { throw APIError.malformedJSON(problem) }
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
