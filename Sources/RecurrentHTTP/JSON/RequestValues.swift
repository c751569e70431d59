/// A value type of a request whose wrong-type error names what was expected,
/// as in `hidden_sizes must be an array of integers`.
protocol RequestValue: Decodable, Sendable {
    /// What the API says a field of this type must be ("an integer").
    static var expectation: String { get }
}

extension RequestValue {
    /// Rethrows any failure to read the value itself (not one of its
    /// elements) as a type mismatch of `Self`, so the answer names `Self`'s
    /// expectation.
    static func reading<T>(_ decoder: any Decoder, _ read: () throws -> T) throws -> T {
        do {
            return try read()
        } catch let error as DecodingError where error.codingPath.count <= decoder.codingPath.count {
            throw DecodingError.typeMismatch(Self.self, .init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }
}

/// A JSON number as a Double. A number beyond Double's range (`1e999`) is
/// malformed JSON, as `JSONSerialization` said before requests were decoded
/// with `JSONDecoder`.
private func readDouble(_ decoder: any Decoder) throws -> Double {
    do {
        return try decoder.singleValueContainer().decode(Double.self)
    } catch DecodingError.dataCorrupted(let context) {
        throw APIError.malformedJSON("\(DecodingError.field(decoder.codingPath)): \(context.debugDescription)")
    }
}

/// A JSON number that is an exact integer: equal to its rounding and at most
/// 2^53 - 1 in magnitude, so `1.0` is `1` but `1.5`, `1e300` and booleans
/// are refused.
struct ExactInteger: RequestValue {
    static let expectation = "an integer"
    /// Integers beyond 2^53 - 1 are not exact in a JSON number (a double).
    static let largest = 9_007_199_254_740_991.0

    let value: Int

    init(from decoder: any Decoder) throws {
        value = try Self.reading(decoder) {
            let number = try readDouble(decoder)
            guard number == number.rounded(), abs(number) <= Self.largest else {
                throw DecodingError.typeMismatch(Self.self, .init(codingPath: decoder.codingPath, debugDescription: "not an exact integer"))
            }
            return Int(number)
        }
    }
}

/// A JSON number (booleans are not numbers).
struct Number: RequestValue {
    static let expectation = "a number"
    let value: Double

    init(from decoder: any Decoder) throws {
        value = try Self.reading(decoder) { try readDouble(decoder) }
    }
}

/// An array of exact integers.
struct IntegerList: RequestValue {
    static let expectation = "an array of integers"
    let values: [Int]

    init(from decoder: any Decoder) throws {
        values = try Self.reading(decoder) { try [ExactInteger](from: decoder) }.map(\.value)
    }
}

/// An array of strings.
struct StringList: RequestValue {
    static let expectation = "an array of strings"
    let values: [String]

    init(from decoder: any Decoder) throws {
        values = try Self.reading(decoder) { try decoder.singleValueContainer().decode([String].self) }
    }
}

extension KeyedDecodingContainer {
    /// The integer at `key`, nil when absent or null.
    func integer(_ key: Key) throws -> Int? { try decodeIfPresent(ExactInteger.self, forKey: key)?.value }
    /// The number at `key`, nil when absent or null.
    func number(_ key: Key) throws -> Double? { try decodeIfPresent(Number.self, forKey: key)?.value }
    /// The string at `key`, nil when absent or null.
    func string(_ key: Key) throws -> String? { try decodeIfPresent(String.self, forKey: key) }
    /// The boolean at `key`, nil when absent or null.
    func boolean(_ key: Key) throws -> Bool? { try decodeIfPresent(Bool.self, forKey: key) }
    /// The integers at `key`, nil when absent or null.
    func integers(_ key: Key) throws -> [Int]? { try decodeIfPresent(IntegerList.self, forKey: key)?.values }
    /// The strings at `key`, nil when absent or null.
    func strings(_ key: Key) throws -> [String]? { try decodeIfPresent(StringList.self, forKey: key)?.values }
    /// Whether `key` holds an explicit `null`.
    func isNull(_ key: Key) -> Bool { contains(key) && ((try? decodeNil(forKey: key)) ?? false) }
}
