import Foundation
import Logging
import Synchronization

/// How `recurrent serve` writes its log lines to standard error.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `2026-11-29T10:00:00Z info recurrent: message key=value`, for people.
    case text
    /// One JSON object a line (`time`, `level`, `label`, `message` and the
    /// metadata as fields), for log collectors.
    case json
}

/// A logger for the service with the configured level and format.
///
/// Built explicitly rather than through `LoggingSystem.bootstrap`, so the
/// service (and each test's service) owns its logger and no process-wide
/// state changes.
public func makeServiceLogger(format: LogFormat, level: Logger.Level, output: LogSink = .standardError) -> Logger {
    var logger = Logger(label: "recurrent") { label in
        LineLogHandler(label: label, format: format, sink: output)
    }
    logger.logLevel = level
    return logger
}

/// Where log lines go: standard error, or (in tests) a buffer.
public final class LogSink: Sendable {
    private let write: @Sendable (String) -> Void

    public init(write: @escaping @Sendable (String) -> Void) { self.write = write }

    /// Standard error, one `write` per line so concurrent lines never interleave.
    public static let standardError = LogSink { line in
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        bytes.withUnsafeBytes { _ = Foundation.write(2, $0.baseAddress, $0.count) }
    }

    func emit(_ line: String) { write(line) }
}

/// Writes each log record as one line, as text or JSON.
struct LineLogHandler: LogHandler {
    let label: String
    let format: LogFormat
    let sink: LogSink
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { _, new in new } }
        let time = Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        switch format {
        case .text:
            let pairs = fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            sink.emit("\(time) \(event.level) \(label): \(event.message)\(pairs.isEmpty ? "" : " " + pairs)")
        case .json:
            var object: [String: LogValue] = ["time": .string(time), "level": .string(event.level.rawValue), "label": .string(label),
                                              "message": .string(event.message.description)]
            for (key, value) in fields where object[key] == nil { object[key] = LogValue(value) }
            sink.emit(JSONWriter.string(object))
        }
    }
}

/// A log field as a JSON line writes it.
private enum LogValue: Encodable {
    case string(String)
    case integer(Int)
    case number(Double)
    case array([LogValue])
    case object([String: LogValue])

    init(_ value: Logger.MetadataValue) {
        switch value {
        case .string(let text): self = .string(text)
        case .stringConvertible(let convertible):
            // Numbers stay numbers, so a collector can aggregate them.
            if let number = convertible as? Int {
                self = .integer(number)
            } else if let number = convertible as? Double {
                self = .number(number)
            } else {
                self = .string(convertible.description)
            }
        case .array(let values): self = .array(values.map(LogValue.init))
        case .dictionary(let values): self = .object(values.mapValues(LogValue.init))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let text): try container.encode(text)
        case .integer(let number): try container.encode(number)
        case .number(let number): try container.encode(number)
        case .array(let values): try container.encode(values)
        case .object(let values): try container.encode(values)
        }
    }
}
