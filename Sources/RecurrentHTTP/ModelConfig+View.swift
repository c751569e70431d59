import Foundation
import RecurrentStore

extension ModelConfig {
    /// As the API shows it.
    var dictionary: [String: Any] {
        var result: [String: Any] = [
            "generator": generator.rawValue, "hidden_sizes": hiddenSizes, "letter_size": letterSize,
            "optimizer": optimizer.rawValue, "regc": regc, "clipval": clipval,
            "corpus": corpus.rawValue, "batch_size": batchSize, "dropout": dropout,
        ]
        if corpus == .text {
            result["seq_length"] = sequenceLength
            result["val_fraction"] = validationFraction
            result["val_interval"] = validationInterval
            result["lr_decay"] = learningRateDecay
        }
        result["seed"] = seed.map { Int64(bitPattern: $0) } ?? NSNull()
        return result
    }
}
