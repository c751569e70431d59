import Foundation
import Recurrent

/// Reading the files named on the command line; every failure is a usage
/// error that names the file.
enum InputFiles {
    /// Fails with a one-line reason unless `path` exists and is not a directory.
    static func checkFile(_ path: String, what: String) throws(CommandError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .usage("\(what) '\(path)' does not exist")
        }
        guard !isDirectory.boolValue else { throw .usage("\(what) '\(path)' is a directory") }
    }

    /// The bytes of `path`, or a one-line reason it cannot be read.
    static func read(_ path: String, what: String) throws(CommandError) -> Data {
        try checkFile(path, what: what)
        // A file handle rather than `FileManager.contents(atPath:)`, which
        // refuses devices and pipes such as /dev/stdin.
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            return try handle.readToEnd() ?? Data()
        } catch {
            throw .usage("\(what) '\(path)' cannot be read")
        }
    }

    /// A data file's text.
    static func text(_ path: String) throws(CommandError) -> String {
        let data = try read(path, what: "data file")
        guard let text = String(data: data, encoding: .utf8) else {
            throw .usage("data file '\(path)' is not UTF-8 text")
        }
        return text
    }

    /// The sentences of a training text (as in the original library); an empty text is an error.
    static func sentences(_ path: String) throws(CommandError) -> [String] {
        let sentences = Sentences.split(try text(path))
        guard !sentences.isEmpty else {
            throw .usage("data file '\(path)' has no sentences (every line is empty after trimming)")
        }
        return sentences
    }

    /// A model file, with its parsed JSON for the fields the engine ignores.
    static func model(_ path: String) throws(CommandError) -> (loaded: LoadedModel, root: [String: Any]) {
        let data = try read(path, what: "model file")
        let root: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw CommandError.usage("model file '\(path)' is not a JSON object")
            }
            root = object
        } catch let error as CommandError {
            throw error
        } catch {
            throw .usage("model file '\(path)' is not valid JSON")
        }
        do {
            return (try ModelFile.load(root), root)
        } catch {
            throw .usage("model file '\(path)': \(error)")
        }
    }
}
