import Foundation

/// Times as the API writes them: ISO 8601 with milliseconds, in UTC.
enum APITime {
    /// `seconds` since 1970 as ISO 8601, or nil.
    static func string(_ seconds: Double?) -> String? {
        guard let seconds else { return nil }
        return Date(timeIntervalSince1970: seconds)
            .formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}
