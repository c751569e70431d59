import Foundation
import RecurrentStore

/// Feeds a model's event hub from the store, for a model trained on another
/// node of a cluster: about once a second it reads the model row and the
/// metric points and samples written since, and publishes what changed as
/// the events the training thread would have published. It stops once the
/// hub has had no subscriber for a while.
struct EventRelay: Sendable {
    let id: ModelID
    let store: any ModelStore
    let hub: EventHub
    let pollSeconds: Double
    /// Whether this node trains the model itself (it then publishes directly).
    let isLocal: @Sendable () -> Bool

    /// What has been published (or seen while the job was local).
    private struct Cursor {
        var status: ModelStatus
        var ticks: Int
        var metricStep: Int
        var sampleID: Int64
        var validation: (loss: Double?, best: Int?)
    }

    /// Relays until the hub is closed or unwatched for `idleSeconds`.
    func run(idleSeconds: Double = 10) async {
        guard let record = try? await store.model(id), let lastSample = try? await store.lastSampleID(id) else { return }
        var cursor = Cursor(status: record.status, ticks: record.ticks, metricStep: record.ticks, sampleID: lastSample,
                            validation: (record.figures.validationLoss, record.figures.bestStep))
        var unwatchedSince: Date?
        while !Task.isCancelled && !hub.isClosed {
            try? await Task.sleep(for: .seconds(pollSeconds))
            if hub.subscriberCount == 0 {
                let since = unwatchedSince ?? Date()
                unwatchedSince = since
                if Date().timeIntervalSince(since) > idleSeconds { return }
                continue
            }
            unwatchedSince = nil
            do {
                guard try await step(&cursor) else { return hub.close() }
            } catch {
                // The database is away; try again at the next poll.
            }
        }
    }

    /// Publishes what changed since `cursor`; false when the model is gone.
    private func step(_ cursor: inout Cursor) async throws -> Bool {
        guard let record = try await store.model(id) else { return false }
        let metrics = try await store.metrics(id, afterStep: cursor.metricStep, limit: 1000)
        let samples = try await store.samples(id, after: cursor.sampleID, limit: 1000)
        let publish = !isLocal()
        let figures = record.figures
        if publish {
            if record.ticks != cursor.ticks && record.status == .running {
                hub.publish(.progress(ProgressEvent(
                    id: id, ticks: figures.ticks, epoch: figures.epoch, perplexity: figures.latestPerplexity,
                    medianPerplexity: figures.medianPerplexity, ticksPerSecond: figures.ticksPerSecond,
                    charactersPerSecond: figures.charactersPerSecond, learningRate: record.settings.learningRate)))
            }
            for point in metrics { hub.publish(.metric(point)) }
            for step in Set(samples.map(\.step)).sorted() {
                hub.publish(.samples(id: id, step: step, samples: samples.filter { $0.step == step }))
            }
            if let loss = figures.validationLoss, loss != cursor.validation.loss || figures.bestStep != cursor.validation.best {
                hub.publish(.validation(ValidationEvent(id: id, step: figures.ticks, validationLoss: loss,
                                                        bestValidationLoss: figures.bestValidationLoss,
                                                        bestStep: figures.bestStep)))
            }
            if record.status != cursor.status {
                hub.publish(.status(id: id, status: record.status, error: record.error))
            }
        }
        cursor.status = record.status
        cursor.ticks = record.ticks
        cursor.metricStep = metrics.last?.step ?? cursor.metricStep
        cursor.sampleID = samples.last?.id ?? cursor.sampleID
        cursor.validation = (figures.validationLoss, figures.bestStep)
        return true
    }
}
