import Dispatch
import Foundation
import RecurrentStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Uploaded corpora as files in a folder next to the database
/// (`recurrent.sqlite` → `recurrent-corpora/`), one file each, named at random.
///
/// Files rather than blobs: SQLite writes a blob whole in one transaction
/// (incremental blob I/O needs the final size first, which a streamed
/// upload does not know), every byte would pass through the write-ahead log
/// and be copied again at its checkpoint, and the jobs' frequent small
/// writes would wait behind an upload of a gigabyte. A file is written as
/// the bytes arrive, made durable with `fsync`, and renamed into place in
/// one step; only then is its row written.
///
/// All file work runs on Dispatch's threads, never on the caller's.
struct CorpusFiles: Sendable {
    let folder: String

    /// Size of the pieces read back.
    static let readSize = 1 << 20
    static let partialSuffix = ".partial"

    /// The folder of the database at `databasePath`.
    init(databasePath: String) {
        let url = URL(fileURLWithPath: databasePath)
        let stem = url.deletingPathExtension().lastPathComponent
        folder = url.deletingLastPathComponent().appendingPathComponent(stem + "-corpora").path
    }

    func path(_ name: String) -> String { folder + "/" + name }

    /// Removes what an interrupted upload or delete left: unfinished
    /// (`.partial`) files, and finished ones no row names.
    func removeLeftovers(keeping names: Set<String>) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for entry in entries where entry.hasSuffix(Self.partialSuffix) || !names.contains(entry) {
            unlink(path(entry))
        }
    }

    /// `work` on a Dispatch thread.
    static func offThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    static func failure(_ what: String) -> StoreError {
        StoreError.unavailable(reason: "cannot \(what) an uploaded corpus", detail: String(cString: strerror(errno)))
    }

    /// Reads the file `name` in pieces into `consume`, returning the digest of what it read.
    func readAll(_ name: String, _ consume: @escaping @Sendable (UnsafeRawBufferPointer) throws -> Void) async throws -> String {
        let path = self.path(name)
        return try await Self.offThread {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw Self.failure("open") }
            defer { close(descriptor) }
            let piece = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.readSize, alignment: 16)
            defer { piece.deallocate() }
            var digest = CorpusDigest()
            while true {
                let got = read(descriptor, piece.baseAddress, piece.count)
                if got < 0 && errno == EINTR { continue }
                guard got >= 0 else { throw Self.failure("read") }
                if got == 0 { break }
                let bytes = UnsafeRawBufferPointer(rebasing: piece[..<got])
                digest.update(bytes)
                try consume(bytes)
            }
            return digest.hex()
        }
    }
}

/// One upload's file while it is written: a `.partial` file that becomes the
/// corpus's file only once complete and durable. Used by one upload at a
/// time, each step awaited before the next, so unchecked `Sendable`.
final class CorpusFileWriter: @unchecked Sendable {
    let files: CorpusFiles
    /// The finished file's name.
    let name: String
    private var descriptor: Int32
    private(set) var digest = CorpusDigest()
    private(set) var byteCount = 0

    private var partialPath: String { files.path(name + CorpusFiles.partialSuffix) }

    /// Creates the folder if needed and the `.partial` file.
    static func begin(in files: CorpusFiles) async throws -> CorpusFileWriter {
        try await CorpusFiles.offThread {
            try? FileManager.default.createDirectory(atPath: files.folder, withIntermediateDirectories: true)
            return try CorpusFileWriter(files: files, name: "corpus-\(UUID().uuidString.lowercased()).txt")
        }
    }

    private init(files: CorpusFiles, name: String) throws {
        self.files = files
        self.name = name
        descriptor = open(files.path(name + CorpusFiles.partialSuffix), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw CorpusFiles.failure("create") }
    }

    /// Appends `piece` (hashed as it goes).
    func append(_ piece: [UInt8]) async throws {
        try await CorpusFiles.offThread { [self] in
            try piece.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let wrote = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if wrote < 0 && errno == EINTR { continue }
                    guard wrote > 0 else { throw CorpusFiles.failure("write") }
                    offset += wrote
                }
                digest.update(bytes)
            }
            byteCount += piece.count
        }
    }

    /// Makes the file durable and gives it its final name: after this a
    /// crash leaves a whole file (which a start without its row removes).
    func complete() async throws {
        try await CorpusFiles.offThread { [self] in
            guard fsync(descriptor) == 0 else { throw CorpusFiles.failure("sync") }
            close(descriptor)
            descriptor = -1
            guard rename(partialPath, files.path(name)) == 0 else { throw CorpusFiles.failure("rename") }
            // The rename itself is durable once the folder is synced.
            let folder = open(files.folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if folder >= 0 {
                fsync(folder)
                close(folder)
            }
        }
    }

    /// Removes the file, finished or not (an upload cut short, a record that could not be written).
    func discard() async {
        _ = try? await CorpusFiles.offThread { [self] in
            if descriptor >= 0 {
                close(descriptor)
                descriptor = -1
            }
            unlink(partialPath)
            unlink(files.path(name))
        }
    }
}
