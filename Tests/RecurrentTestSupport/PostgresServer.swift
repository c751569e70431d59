import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL 15 server for tests: `initdb` in a fresh folder
/// under the temporary directory, `pg_ctl start` on a free port of
/// 127.0.0.1 (its socket in the same folder), trust authentication for the
/// `postgres` user. As root (initdb refuses root) every server command runs
/// as the `postgres` user through `runuser`. ``destroy()`` stops the server
/// and removes the folder.
///
/// Lives in the RecurrentTestSupport target, which every test target that
/// needs a server depends on (RecurrentPostgresTests, RecurrentHTTPTests).
public final class PostgresServer: Sendable {
    /// Where Debian's `postgresql` package puts the server's programs.
    public static let binaries = "/usr/lib/postgresql/15/bin"
    /// The server run by ``SharedPostgresServer`` around a suite.
    @TaskLocal public static var shared: PostgresServer?

    /// The server's folder: its data folder, its log and its socket.
    public let folder: URL
    /// The loopback TCP port it listens on.
    public let port: Int
    /// The cluster `initdb` created.
    public var dataFolder: URL { folder.appendingPathComponent("data") }
    /// The server's own log (`pg_ctl -l`).
    public var logFile: URL { folder.appendingPathComponent("server.log") }
    /// Databases being created ahead of ``createDatabase()``'s calls.
    private let spares = Mutex<[Task<String, any Error>]>([])
    /// How many databases are created ahead.
    private static let spareCount = 2

    private init(folder: URL, port: Int) {
        self.folder = folder
        self.port = port
    }

    /// Creates a cluster and starts it.
    public static func start() async throws -> PostgresServer {
        guard FileManager.default.isExecutableFile(atPath: "\(binaries)/initdb") else {
            throw Failure("PostgreSQL 15 is not installed (apt-get install -y postgresql)")
        }
        let folder = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("recurrent-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let server = PostgresServer(folder: folder, port: try freePort())
        do {
            if isRoot { try await run("/bin/chown", ["postgres:postgres", folder.path]) }
            try await server.asServerUser("initdb", ["-D", server.dataFolder.path, "-A", "trust", "-U", "postgres",
                                                     "-E", "UTF8", "--no-sync"])
            try await server.start()
        } catch {
            await server.destroy()
            throw error
        }
        return server
    }

    /// Starts the server of this folder (again) on its port.
    public func start() async throws {
        try await asServerUser("pg_ctl", ["-D", dataFolder.path, "-l", logFile.path, "-w", "-t", "60", "-o",
                                          "-p \(port) -k \(folder.path) -c listen_addresses=127.0.0.1 -c fsync=off",
                                          "start"])
    }

    /// Stops the server; `mode` is pg_ctl's: smart, fast or immediate.
    public func stop(mode: String = "fast") async throws {
        try await asServerUser("pg_ctl", ["-D", dataFolder.path, "-m", mode, "-w", "stop"])
    }

    /// Stops the server if it runs and removes its folder.
    public func destroy() async {
        // No createdb may outlive the server (it would fail anyway).
        for spare in spares.withLock({ spares in defer { spares.removeAll() }; return spares }) { _ = try? await spare.value }
        if FileManager.default.fileExists(atPath: dataFolder.appendingPathComponent("postmaster.pid").path) {
            try? await stop(mode: "immediate")
        }
        try? FileManager.default.removeItem(at: folder)
    }

    /// Creates an empty database and returns its URL. The database was
    /// made ahead, while the caller's previous test ran, and the next one is
    /// started: `CREATE DATABASE` copies a template of several megabytes and
    /// takes a few hundred milliseconds on a busy machine, which a test
    /// suite with a database per test would otherwise wait for each time.
    public func createDatabase() async throws -> String {
        let next = spares.withLock { spares in
            let next = spares.isEmpty ? Task { try await self.newDatabase() } : spares.removeFirst()
            while spares.count < Self.spareCount { spares.append(Task { try await self.newDatabase() }) }
            return next
        }
        // One made ahead may have failed while the server was stopped: make another.
        if let url = try? await next.value { return url }
        return try await newDatabase()
    }

    private func newDatabase() async throws -> String {
        let name = "test_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        try await asServerUser("createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", name])
        return url(database: name)
    }

    /// The URL of database `database` of this server, as the `postgres` user.
    public func url(database: String) -> String {
        "postgres://postgres@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    // MARK: Processes

    private static var isRoot: Bool { getuid() == 0 }

    private func asServerUser(_ program: String, _ arguments: [String]) async throws {
        let path = "\(Self.binaries)/\(program)"
        if Self.isRoot {
            try await Self.run("/usr/sbin/runuser", ["-u", "postgres", "--", path] + arguments)
        } else {
            try await Self.run(path, arguments)
        }
    }

    /// Runs a program to its end; its output goes to a file that a failure
    /// reports. Not Foundation's `Process`: it waits until every copy of the
    /// child's descriptors is closed, and the server `pg_ctl start` leaves
    /// running keeps them. `posix_spawn` with the output redirected to the
    /// file, then `waitpid` on a thread of its own (never the caller's).
    private static func run(_ path: String, _ arguments: [String]) async throws {
        let output = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("pg-cmd-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard spawned == 0 else { throw Failure("cannot run \(path): error \(spawned)") }
        let child = pid
        let status: Int32 = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var status: Int32 = 0
                while waitpid(child, &status, 0) == -1 && errno == EINTR {}
                continuation.resume(returning: status)
            }
        }
        // Exited normally with status 0 (WIFEXITED and WEXITSTATUS by hand).
        guard status & 0x7F == 0, (status >> 8) & 0xFF == 0 else {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            throw Failure("\(path) \(arguments.joined(separator: " ")) failed (wait status \(status)): \(text)")
        }
    }

    /// A TCP port of 127.0.0.1 that nothing listens on now.
    public static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure("socket() failed") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound else { throw Failure("cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Why the server or one of its commands failed.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }
}
