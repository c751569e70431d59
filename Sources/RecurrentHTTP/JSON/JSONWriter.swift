import Foundation

/// Writes an `Encodable` value as compact JSON bytes, in the API's dialect:
/// an optional that is nil is written as `null` (every field of an answer is
/// always present), and a number that is not finite is written as `null`
/// (JSON has no NaN). Keys keep the order they are encoded in.
///
/// Written for speed rather than generality: it streams straight into one
/// byte array (a status read is the hottest path of the service), closing
/// an object or array once its encoder returns or a sibling is written.
enum JSONWriter {
    /// `value` as JSON bytes.
    static func bytes(_ value: some Encodable) -> [UInt8] {
        let output = JSONOutput()
        output.value(value)
        return output.bytes
    }

    /// `value` as a JSON string.
    static func string(_ value: some Encodable) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }
}

/// The bytes being written and the objects and arrays still open.
final class JSONOutput {
    var bytes: [UInt8] = []
    /// Closing byte of each open container, and whether it holds an element yet.
    private var open: [(closer: UInt8, hasElement: Bool)] = []

    init() { bytes.reserveCapacity(1024) }

    var depth: Int { open.count }

    /// Writes one value where the output stands (its key or comma is written).
    func value(_ value: some Encodable) {
        let depth = open.count, start = bytes.count
        // The service's own types cannot fail to encode: this writer never throws.
        try? value.encode(to: ValueEncoder(output: self, depth: depth))
        close(downTo: depth)
        if bytes.count == start { bytes.append(contentsOf: "{}".utf8) }
    }

    /// Opens an object or array inside the container at `depth`.
    func openContainer(_ opener: UInt8, closer: UInt8) {
        bytes.append(opener)
        open.append((closer, false))
    }

    /// Closes the containers deeper than `depth`, then starts the next element
    /// of the container at `depth` (with its comma when it has elements).
    func beginElement(inContainerAt depth: Int) {
        close(downTo: depth)
        if open[depth - 1].hasElement { bytes.append(UInt8(ascii: ",")) }
        open[depth - 1].hasElement = true
    }

    /// Starts a member of the object at `depth`: its key and colon.
    func beginMember(_ key: String, inObjectAt depth: Int) {
        beginElement(inContainerAt: depth)
        string(key)
        bytes.append(UInt8(ascii: ":"))
    }

    private func close(downTo depth: Int) {
        while open.count > depth { bytes.append(open.removeLast().closer) }
    }

    func null() { bytes.append(contentsOf: "null".utf8) }
    func bool(_ value: Bool) { bytes.append(contentsOf: value ? "true".utf8 : "false".utf8) }
    func integer(_ value: some BinaryInteger) { bytes.append(contentsOf: String(value).utf8) }

    func number(_ value: Double) {
        guard value.isFinite else { return null() }
        bytes.append(contentsOf: value.description.utf8)
    }

    private static let hex = Array("0123456789abcdef".utf8)

    func string(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                bytes.append(contentsOf: "\\u00".utf8)
                bytes.append(Self.hex[Int(byte >> 4)])
                bytes.append(Self.hex[Int(byte & 15)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// The `Encoder` of one value; its containers write into the shared output.
private struct ValueEncoder: Encoder {
    let output: JSONOutput
    /// How many containers were open when the value started.
    let depth: Int
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if output.depth == depth { output.openContainer(UInt8(ascii: "{"), closer: UInt8(ascii: "}")) }
        return KeyedEncodingContainer(ObjectContainer(output: output, depth: depth + 1))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if output.depth == depth { output.openContainer(UInt8(ascii: "["), closer: UInt8(ascii: "]")) }
        return ArrayContainer(output: output, depth: depth + 1)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { ScalarContainer(output: output) }
}

private struct ObjectContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let output: JSONOutput
    /// The object's own depth (1 for the outermost).
    let depth: Int
    var codingPath: [any CodingKey] { [] }

    private func member(_ key: Key) { output.beginMember(key.stringValue, inObjectAt: depth) }

    mutating func encodeNil(forKey key: Key) { member(key); output.null() }
    mutating func encode(_ value: Bool, forKey key: Key) { member(key); output.bool(value) }
    mutating func encode(_ value: String, forKey key: Key) { member(key); output.string(value) }
    mutating func encode(_ value: Double, forKey key: Key) { member(key); output.number(value) }
    mutating func encode(_ value: Int, forKey key: Key) { member(key); output.integer(value) }
    mutating func encode(_ value: Int64, forKey key: Key) { member(key); output.integer(value) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) { member(key); output.value(value) }

    // nil is written as null, not left out.
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) { if let value { encode(value, forKey: key) } else { encodeNil(forKey: key) } }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) { if let value { encode(value, forKey: key) } else { encodeNil(forKey: key) } }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) { if let value { encode(value, forKey: key) } else { encodeNil(forKey: key) } }
    mutating func encodeIfPresent(_ value: Float?, forKey key: Key) { if let value { encode(Double(value), forKey: key) } else { encodeNil(forKey: key) } }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) { if let value { encode(value, forKey: key) } else { encodeNil(forKey: key) } }
    mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) { if let value { encode(value, forKey: key) } else { encodeNil(forKey: key) } }
    mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) { if let value { encode(value, forKey: key) } else { encodeNil(forKey: key) } }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) { if let value { encode(value, forKey: key) } else { encodeNil(forKey: key) } }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) { if let value { encode(value, forKey: key) } else { encodeNil(forKey: key) } }
    mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) { if let value { encode(value, forKey: key) } else { encodeNil(forKey: key) } }
    mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) { if let value { encode(value, forKey: key) } else { encodeNil(forKey: key) } }
    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) { if let value { encode(value, forKey: key) } else { encodeNil(forKey: key) } }
    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) { if let value { encode(value, forKey: key) } else { encodeNil(forKey: key) } }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) { if let value { encode(value, forKey: key) } else { encodeNil(forKey: key) } }
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) { if let value { encode(value, forKey: key) } else { encodeNil(forKey: key) } }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        member(key)
        output.openContainer(UInt8(ascii: "{"), closer: UInt8(ascii: "}"))
        return KeyedEncodingContainer(ObjectContainer<NestedKey>(output: output, depth: depth + 1))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        member(key)
        output.openContainer(UInt8(ascii: "["), closer: UInt8(ascii: "]"))
        return ArrayContainer(output: output, depth: depth + 1)
    }

    mutating func superEncoder() -> any Encoder {
        output.beginMember("super", inObjectAt: depth)
        return ValueEncoder(output: output, depth: depth)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        member(key)
        return ValueEncoder(output: output, depth: depth)
    }
}

private struct ArrayContainer: UnkeyedEncodingContainer {
    let output: JSONOutput
    /// The array's own depth.
    let depth: Int
    var codingPath: [any CodingKey] { [] }
    private(set) var count = 0

    init(output: JSONOutput, depth: Int) {
        self.output = output
        self.depth = depth
    }

    private mutating func element() {
        output.beginElement(inContainerAt: depth)
        count += 1
    }

    mutating func encodeNil() { element(); output.null() }
    mutating func encode(_ value: Bool) { element(); output.bool(value) }
    mutating func encode(_ value: String) { element(); output.string(value) }
    mutating func encode(_ value: Double) { element(); output.number(value) }
    mutating func encode(_ value: Int) { element(); output.integer(value) }
    mutating func encode<T: Encodable>(_ value: T) { element(); output.value(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        element()
        output.openContainer(UInt8(ascii: "{"), closer: UInt8(ascii: "}"))
        return KeyedEncodingContainer(ObjectContainer<NestedKey>(output: output, depth: depth + 1))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        element()
        output.openContainer(UInt8(ascii: "["), closer: UInt8(ascii: "]"))
        return ArrayContainer(output: output, depth: depth + 1)
    }

    mutating func superEncoder() -> any Encoder {
        element()
        return ValueEncoder(output: output, depth: depth)
    }
}

private struct ScalarContainer: SingleValueEncodingContainer {
    let output: JSONOutput
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() { output.null() }
    mutating func encode(_ value: Bool) { output.bool(value) }
    mutating func encode(_ value: String) { output.string(value) }
    mutating func encode(_ value: Double) { output.number(value) }
    mutating func encode(_ value: Float) { output.number(Double(value)) }
    mutating func encode(_ value: Int) { output.integer(value) }
    mutating func encode(_ value: Int8) { output.integer(value) }
    mutating func encode(_ value: Int16) { output.integer(value) }
    mutating func encode(_ value: Int32) { output.integer(value) }
    mutating func encode(_ value: Int64) { output.integer(value) }
    mutating func encode(_ value: UInt) { output.integer(value) }
    mutating func encode(_ value: UInt8) { output.integer(value) }
    mutating func encode(_ value: UInt16) { output.integer(value) }
    mutating func encode(_ value: UInt32) { output.integer(value) }
    mutating func encode(_ value: UInt64) { output.integer(value) }
    mutating func encode<T: Encodable>(_ value: T) { output.value(value) }
}
