import Foundation
import Hummingbird
import NIOCore
import RecurrentStore

/// A model's loss history (`/metrics`, as JSON or CSV) and recorded samples
/// (`/samples`), page by page.
struct HistoryRoutes: Sendable {
    let store: any ModelStore
    let limits: ServiceLimits
    let lookup: ModelLookup

    func register(on router: Router<BasicRequestContext>) {
        router.get("/api/models/{id}/metrics") { request, context in try await metrics(request, context) }
        router.get("/api/models/{id}/samples") { request, context in try await samples(request, context) }
    }

    private func metrics(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let record = try await lookup.record(context)
        let query = QueryParameters(request)
        let afterStep = try query.integer("after_step", default: -1, range: -1...Int.max)
        let limit = try query.integer("limit", default: 1000, range: limits.pageSizes)
        let format = try query.choice("format", ["json", "csv"], default: "json", message: "must be json or csv")
        let points = try await store.metrics(record.id, afterStep: afterStep, limit: limit)
        if format == "csv" {
            var csv = "step,median_perplexity,mean_loss,learning_rate,ticks_per_sec,time,validation_loss\n"
            for point in points {
                csv += "\(point.step),\(point.medianPerplexity),\(point.meanLoss),\(point.learningRate),\(point.ticksPerSecond),\(APITime.string(point.time) ?? ""),\(point.validationLoss.map { "\($0)" } ?? "")\n"
            }
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: csv)))
        }
        return JSONResponse.make(MetricsResponse(metrics: points.map(MetricPointResponse.init),
                                                 nextAfterStep: points.count == limit ? points.last!.step : nil))
    }

    private func samples(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let record = try await lookup.record(context)
        let query = QueryParameters(request)
        let after = try query.integer("after", default: 0, range: 0...Int.max)
        let limit = try query.integer("limit", default: 100, range: limits.pageSizes)
        let entries = try await store.samples(record.id, after: Int64(after), limit: limit)
        return JSONResponse.make(SamplesResponse(samples: entries.map { SampleResponse($0) },
                                                 nextAfter: entries.last?.id ?? Int64(after)))
    }
}
