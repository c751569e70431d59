import Foundation
import Recurrent

/// Writes model files so that a reader (or a crash, or a second Ctrl-C) never
/// sees half a file: the text goes to a temporary file in the same directory,
/// which is then renamed over the destination.
struct ModelWriter {
    let path: String

    /// Refuses, before any training, a destination that cannot be written.
    func checkWritable() throws(CommandError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw .usage("--out '\(path)' is a directory")
        }
        let directory = Self.directory(of: path)
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .usage("--out '\(path)': directory '\(directory)' does not exist")
        }
        guard access(directory, W_OK) == 0 else {
            throw .usage("--out '\(path)': directory '\(directory)' is not writable")
        }
    }

    /// Exports and writes the model with its solver state and extra fields.
    func write(_ model: CharacterModel, solver: Solver?, extraFields: [(String, String)]) throws(CommandError) {
        let text: String
        do {
            text = try ModelFile.export(model, solver: solver, extraFields: extraFields)
        } catch {
            throw .failure("the model was not written to '\(path)': \(error) (training diverged; try a lower --learning-rate)")
        }
        let temporary = "\(path).tmp-\(getpid())"
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        } catch {
            throw .failure("cannot write '\(temporary)': \(error.localizedDescription)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .failure("cannot rename '\(temporary)' to '\(path)': \(reason)")
        }
    }

    private static func directory(of path: String) -> String {
        let parent = (path as NSString).deletingLastPathComponent
        return parent.isEmpty ? "." : parent
    }
}
