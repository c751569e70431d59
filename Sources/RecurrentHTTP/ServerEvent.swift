import RecurrentJobs

/// A Server-Sent Event: its name and JSON data.
struct ServerEvent: Sendable {
    var name: String
    var data: String

    init(name: String, data: String) {
        self.name = name
        self.data = data
    }

    /// A job's event as the event stream carries it.
    init(_ event: JobEvent) {
        self.init(name: event.name, data: JSONWriter.string(JobEventPayload(event)))
    }

    /// The event in the `text/event-stream` wire format.
    var wire: String { "event: \(name)\ndata: \(data)\n\n" }
}
