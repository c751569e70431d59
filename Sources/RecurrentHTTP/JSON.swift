import Foundation
import Hummingbird
import NIOCore

/// JSON in and out. Requests are parsed with `JSONSerialization`, which lets the API say exactly
/// which field has the wrong type (a `Decodable` error would not name it in
/// a way a client can use) and keeps snake_case keys as written.
enum JSON {
    /// `object` as compact JSON bytes; non-finite numbers become null.
    ///
    /// Written by hand: Foundation's `JSONSerialization` writer took a third
    /// of the CPU time of a status read on Linux.
    static func encode(_ object: Any) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        write(object, to: &out)
        return out
    }

    private static func write(_ value: Any, to out: inout [UInt8]) {
        switch value {
        case let string as String: writeString(string, to: &out)
        case let bool as Bool: out.append(contentsOf: bool ? Array("true".utf8) : Array("false".utf8))
        case let int as Int: out.append(contentsOf: String(int).utf8)
        case let int as Int64: out.append(contentsOf: String(int).utf8)
        case let double as Double: writeDouble(double, to: &out)
        case let float as Float: writeDouble(Double(float), to: &out)
        case let dictionary as [String: Any]:
            out.append(UInt8(ascii: "{"))
            var first = true
            for (key, element) in dictionary {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                writeString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                write(element, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        case let dictionary as [String: String]: write(dictionary as [String: Any], to: &out)
        case let array as [Any]:
            out.append(UInt8(ascii: "["))
            for (index, element) in array.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case let number as NSNumber:
            if JSONObject.isBoolean(number) { write(number.boolValue, to: &out) } else { writeDouble(number.doubleValue, to: &out) }
        case Optional<Any>.none: out.append(contentsOf: "null".utf8)
        default: out.append(contentsOf: "null".utf8)  // NSNull and anything unexpected
        }
    }

    private static func writeDouble(_ value: Double, to out: inout [UInt8]) {
        guard value.isFinite else {
            out.append(contentsOf: "null".utf8)
            return
        }
        out.append(contentsOf: value.description.utf8)
    }

    private static let hex = Array("0123456789abcdef".utf8)

    private static func writeString(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 15)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func string(_ object: Any) -> String { String(decoding: encode(object), as: UTF8.self) }

    /// A JSON response.
    static func response(_ object: Any, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: encode(object))))
    }

    /// A Double for JSON, or null when it is not finite (JSON has no NaN).
    static func number(_ value: Double?) -> Any {
        guard let value, value.isFinite else { return NSNull() }
        return value
    }

    /// A time as ISO 8601 with milliseconds, or null.
    static func time(_ seconds: Double?) -> Any {
        guard let seconds else { return NSNull() }
        return Date(timeIntervalSince1970: seconds).formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}

/// A request body parsed as a JSON object, with typed accessors that answer
/// 400 naming the field when a value has the wrong type. A missing key and
/// `null` both read as absent.
struct JSONObject {
    let values: [String: Any]

    init(_ values: [String: Any]) { self.values = values }

    /// Parses `bytes`; an empty body is an empty object.
    init(bytes: ByteBuffer) throws(APIError) {
        guard bytes.readableBytes > 0 else {
            values = [:]
            return
        }
        // JSONSerialization builds an object per value: 8 MiB of `{},` took
        // about 200 MB. No request needs many objects and arrays (a model
        // file has a few hundred; numbers and strings are not counted), so
        // such a body is refused before it is parsed.
        let containers = Self.containerCount(bytes, stoppingAfter: Self.maximumContainers)
        guard containers <= Self.maximumContainers else {
            throw APIError(.badRequest, code: "too_many_containers",
                           "the request body has more than \(Self.maximumContainers) JSON objects and arrays; no request needs that many")
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(buffer: bytes), options: [.fragmentsAllowed])
        } catch {
            throw APIError.malformedJSON((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error.localizedDescription)")
        }
        guard let object = parsed as? [String: Any] else {
            throw APIError(.badRequest, code: "invalid_type", "the request body must be a JSON object")
        }
        values = object
    }

    /// Most objects and arrays a request body may hold.
    static let maximumContainers = 100_000

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

    static func collect(_ request: Request, limit: Int) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError.bodyTooLarge(limit)
        }
    }

    /// Integers beyond 2^53 - 1 are not exact in a JSON number (a double).
    static let largestExactInteger = 9_007_199_254_740_991.0

    func has(_ key: String) -> Bool { values[key] != nil && !(values[key] is NSNull) }

    private func raw(_ key: String) -> Any? {
        guard let value = values[key], !(value is NSNull) else { return nil }
        return value
    }

    func string(_ key: String) throws(APIError) -> String? {
        guard let value = raw(key) else { return nil }
        guard let string = value as? String else { throw APIError.wrongType(key, "a string") }
        return string
    }

    func double(_ key: String) throws(APIError) -> Double? {
        guard let value = raw(key) else { return nil }
        guard let number = JSONObject.number(value) else { throw APIError.wrongType(key, "a number") }
        return number
    }

    func int(_ key: String) throws(APIError) -> Int? {
        guard let value = raw(key) else { return nil }
        guard let number = JSONObject.number(value), number == number.rounded(), abs(number) <= JSONObject.largestExactInteger else {
            throw APIError.wrongType(key, "an integer")
        }
        return Int(number)
    }

    func bool(_ key: String) throws(APIError) -> Bool? {
        guard let value = raw(key) else { return nil }
        guard let number = value as? NSNumber, JSONObject.isBoolean(number) else { throw APIError.wrongType(key, "a boolean") }
        return number.boolValue
    }

    func strings(_ key: String) throws(APIError) -> [String]? {
        guard let value = raw(key) else { return nil }
        guard let array = value as? [Any] else { throw APIError.wrongType(key, "an array of strings") }
        var result: [String] = []
        for (index, element) in array.enumerated() {
            guard let string = element as? String else { throw APIError.wrongType("\(key)[\(index)]", "a string") }
            result.append(string)
        }
        return result
    }

    func ints(_ key: String) throws(APIError) -> [Int]? {
        guard let value = raw(key) else { return nil }
        guard let array = value as? [Any] else { throw APIError.wrongType(key, "an array of integers") }
        var result: [Int] = []
        for (index, element) in array.enumerated() {
            guard let number = JSONObject.number(element), number == number.rounded(), abs(number) <= JSONObject.largestExactInteger else {
                throw APIError.wrongType("\(key)[\(index)]", "an integer")
            }
            result.append(Int(number))
        }
        return result
    }

    func object(_ key: String) throws(APIError) -> JSONObject? {
        guard let value = raw(key) else { return nil }
        guard let object = value as? [String: Any] else { throw APIError.wrongType(key, "an object") }
        return JSONObject(object)
    }

    /// A JSON number; booleans, which `JSONSerialization` also hands out as
    /// `NSNumber`, are not numbers.
    static func number(_ value: Any) -> Double? {
        guard let number = value as? NSNumber, !isBoolean(number) else { return nil }
        return number.doubleValue
    }

    static func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }
}
