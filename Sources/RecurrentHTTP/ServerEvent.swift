import Foundation
import RecurrentJobs
import RecurrentStore

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
        name = event.name
        data = JSON.string(Self.payload(event))
    }

    /// The event in the `text/event-stream` wire format.
    var wire: String { "event: \(name)\ndata: \(data)\n\n" }

    private static func payload(_ event: JobEvent) -> [String: Any] {
        switch event {
        case .status(let id, let status, let error):
            var fields: [String: Any] = ["id": id, "status": status.rawValue]
            if let error { fields["error"] = error }
            return fields
        case .progress(let progress):
            return [
                "id": progress.id, "ticks": progress.ticks, "epoch": progress.epoch,
                "perplexity": JSON.number(progress.perplexity),
                "median_perplexity": JSON.number(progress.medianPerplexity),
                "ticks_per_sec": JSON.number(progress.ticksPerSecond),
                "chars_per_sec": JSON.number(progress.charactersPerSecond),
                "learning_rate": progress.learningRate,
            ]
        case .metric(let point):
            return point.dictionary
        case .samples(let id, let step, let samples):
            // Without ids: the rows get theirs when the next flush writes them.
            return ["id": id, "step": step, "samples": samples.map { sample -> [String: Any] in
                var fields = sample.dictionary
                fields["id"] = nil
                return fields
            }]
        case .validation(let validation):
            return ["id": validation.id, "step": validation.step, "validation_loss": validation.validationLoss,
                    "best_validation_loss": JSON.number(validation.bestValidationLoss),
                    "best_step": validation.bestStep.map { $0 as Any } ?? NSNull()]
        }
    }
}

extension MetricPoint {
    /// As the API shows it.
    var dictionary: [String: Any] {
        ["step": step, "median_perplexity": medianPerplexity, "mean_loss": meanLoss,
         "learning_rate": learningRate, "ticks_per_sec": ticksPerSecond, "time": JSON.time(time),
         "validation_loss": JSON.number(validationLoss)]
    }
}

extension SampleEntry {
    /// As the API shows it.
    var dictionary: [String: Any] {
        ["id": id, "step": step, "kind": kind.rawValue, "temperature": JSON.number(temperature), "text": text,
         "time": JSON.time(time)]
    }
}
