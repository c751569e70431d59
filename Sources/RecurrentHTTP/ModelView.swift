import Foundation
import RecurrentStore

/// A model as the API shows it: the stored row, with the live figures of its
/// job laid over it while it trains (the row is written about once a second).
enum ModelView {
    static func dictionary(_ record: ModelRecord, live: ProgressFigures?) -> [String: Any] {
        var figures = record.figures
        if let live, record.status == .running {
            figures = live
            figures.greedyText = live.greedyText ?? record.figures.greedyText
        }
        let training = record.status == .running
        return [
            "id": record.id,
            "name": record.name,
            "status": record.status.rawValue,
            "config": record.config.dictionary,
            "learning_rate": record.settings.learningRate,
            "sample_temperature": record.settings.sampleTemperature,
            "max_ticks": record.settings.maxTicks.map { $0 as Any } ?? NSNull(),
            "vocabulary": record.vocabulary,
            "vocabulary_size": record.vocabulary.count,
            "parameter_count": record.parameterCount,
            "sentence_count": record.sentenceCount,
            "has_corpus": record.sentenceCount > 0,
            "ticks": figures.ticks,
            "epoch": figures.epoch,
            "perplexity": JSON.number(figures.latestPerplexity),
            "median_perplexity": JSON.number(figures.medianPerplexity),
            // Rates describe a training job; a stopped model has none.
            "ticks_per_sec": training ? JSON.number(figures.ticksPerSecond) : NSNull(),
            "chars_per_sec": training ? JSON.number(figures.charactersPerSecond) : NSNull(),
            "last_tick_at": JSON.time(figures.lastTickAt),
            "clipped_ratio": JSON.number(figures.clippedRatio),
            "greedy": figures.greedyText.map { $0 as Any } ?? NSNull(),
            "validation_loss": JSON.number(figures.validationLoss),
            "best_validation_loss": JSON.number(figures.bestValidationLoss),
            "best_step": figures.bestStep.map { $0 as Any } ?? NSNull(),
            "checkpoint_ticks": record.checkpointTicks.map { $0 as Any } ?? NSNull(),
            "checkpoint_at": JSON.time(record.checkpointAt),
            // While storage fails, a running job says so here.
            "error": (record.error ?? (training ? live?.storageError : nil)).map { $0 as Any } ?? NSNull(),
            "created_at": JSON.time(record.createdAt),
            "updated_at": JSON.time(record.updatedAt),
        ]
    }
}
