import Foundation
import Hummingbird
import Recurrent
import RecurrentJobs
import RecurrentStore

/// Export of model files (as in the original library), so a model moves from this
/// service to `recurrent train` and the original library.
struct ExportRoutes: Sendable {
    let store: any ModelStore
    let library: ModelLibrary
    let lookup: ModelLookup

    func register(on router: Router<BasicRequestContext>) {
        router.get("/api/models/{id}/export") { request, context in try await export(request, context) }
    }

    /// The model file with solver state; the service's own fields (`name`,
    /// `sentences`, `training`) ride along as extra top-level fields, which
    /// the original library ignores.
    private func export(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let record = try await lookup.record(context)
        let which = try QueryParameters(request).choice("weights", ["current", "best"], default: "current",
                                                        message: "must be current or best")
        let state = try await library.exportState(record, weights: which == "best" ? .best : .current)
        let sentences = try await store.corpus(record.id)
        let training = TrainingRecord(record: record, ticks: state.ticks, randomState: state.randomState)
        var extra: [(String, String)] = [("name", JSONWriter.string(record.name)), ("training", JSONWriter.string(training))]
        if let sentences {
            // A text corpus is one entry: the text as it is.
            if record.config.corpus == .text, let text = sentences.first {
                extra.append(("text", JSONWriter.string(text)))
            } else {
                extra.append(("sentences", JSONWriter.string(sentences)))
            }
        }
        let fields = extra, exported = state
        let text = try await Background.run { () throws -> String in
            do {
                return try ModelFile.export(exported.model, solver: exported.solver, extraFields: fields)
            } catch {
                throw APIError(.conflict, code: "not_exportable", "the model cannot be exported: \(error)")
            }
        }
        let filename = record.name.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) || $0 == "-" ? Character($0) : "_" }
        return Response(status: .ok, headers: [
            .contentType: "application/json; charset=utf-8",
            .contentDisposition: "attachment; filename=\"\(String(filename).isEmpty ? "model" : String(filename)).json\"",
        ], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
