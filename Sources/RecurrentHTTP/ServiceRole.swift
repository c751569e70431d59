/// What a node of the service does. A single node (the SQLite store) is
/// always `all`; the nodes of a cluster sharing one PostgreSQL database may
/// split the work.
public enum ServiceRole: String, Sendable, CaseIterable {
    /// Answers the whole API and the page, and trains.
    case all
    /// Answers the whole API and the page; trains nothing.
    case api
    /// Trains; answers only `/api/health` and `/metrics`.
    case worker

    /// Whether the node claims and trains jobs.
    public var trains: Bool { self != .api }
    /// Whether the node answers the API and serves the page.
    public var servesAPI: Bool { self != .worker }
}
