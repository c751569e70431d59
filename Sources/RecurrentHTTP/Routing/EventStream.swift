import Foundation
import Hummingbird
import RecurrentJobs
import RecurrentStore

/// `GET /api/models/{id}/events`: Server-Sent Events. The stream opens with
/// the model's current state (`status`), then carries `progress` about twice
/// a second while it trains, `samples` as they are recorded, `metric` points
/// and `status` changes. It ends when the model is deleted, when the service
/// stops, or after `max_events` events when that query parameter is given.
struct EventStream: Sendable {
    let scheduler: JobScheduler
    let lookup: ModelLookup

    func register(on router: Router<BasicRequestContext>) {
        router.get("/api/models/{id}/events") { request, context in
            let record = try await lookup.record(context)
            let maxEvents = try QueryParameters(request).integer("max_events", default: Int.max, range: 1...Int.max)
            let events = scheduler.events(for: record.id)
            let opening = ServerEvent(name: "status",
                                      data: JSONWriter.string(ModelResponse(record, live: scheduler.liveFigures(record.id))))
            let body = ResponseBody { writer in
                try await writer.write(ByteBuffer(string: opening.wire))
                var sent = 1
                if sent < maxEvents {
                    for await event in events {
                        try await writer.write(ByteBuffer(string: ServerEvent(event).wire))
                        sent += 1
                        if sent >= maxEvents { break }
                    }
                }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: [
                .contentType: "text/event-stream", .cacheControl: "no-cache",
            ], body: body)
        }
    }
}
