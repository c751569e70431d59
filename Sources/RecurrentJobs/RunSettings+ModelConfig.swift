import Recurrent
import RecurrentStore
import RecurrentTraining

extension RunSettings {
    /// A stored model's settings, training at `learningRate` with `workers`
    /// data-parallel workers (text corpora).
    init(config: ModelConfig, learningRate: Double, workers: Int) {
        self.init(generator: config.generator, hiddenSizes: config.hiddenSizes, letterSize: config.letterSize,
                  optimizer: config.optimizer, regc: config.regc, clipval: config.clipval, seed: config.seed,
                  corpus: config.corpus, batchSize: config.batchSize, sequenceLength: config.sequenceLength,
                  validationFraction: config.validationFraction, validationInterval: config.validationInterval,
                  learningRateDecay: config.learningRateDecay, dropout: config.dropout,
                  learningRate: learningRate, workers: workers)
        schedule = config.schedule
        earlyStopPatience = config.earlyStop
        precision = config.precision
    }
}
