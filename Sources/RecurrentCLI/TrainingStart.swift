import Recurrent
import RecurrentTraining

/// Where a training run starts: a fresh model from the options, or a model
/// file to resume.
extension TrainCommand {
    /// The shared run's settings and starting point.
    struct Start {
        var settings: RunSettings
        var start: RunStart
    }

    /// Settings from the options, then the resumed file's record (and model),
    /// then the defaults. The learning rate is the rate as set: a text's decay
    /// is worked out again from the epoch (see `TrainingRun`).
    private func runSettings(_ record: TrainingRecord?, model: CharacterModel?, optimizer: Optimizer,
                             kind: CorpusKind) -> RunSettings {
        let defaults = TrainingSettings(), text = TextTrainingOptions()
        let sizes = model?.hiddenSizes ?? hiddenSizes?.sizes ?? [20, 20]
        let defaultRate = kind == .text
            ? Float(TrainingSettings.textDefaultLearningRate(hiddenSizes: sizes, optimizer: optimizer)) : defaults.learningRate
        var settings = RunSettings(
            generator: model?.generator ?? generator ?? .lstm,
            hiddenSizes: sizes,
            letterSize: model?.letterSize ?? letterSize ?? 5,
            optimizer: optimizer,
            regc: Double(regc ?? record?.regc ?? defaults.regc),
            clipval: Double(clipval ?? record?.clipval ?? defaults.clipval),
            seed: seed,
            corpus: kind,
            batchSize: batchSize ?? record?.batchSize ?? (kind == .text ? 32 : 1),
            sequenceLength: seqLength ?? record?.sequenceLength ?? text.sequenceLength,
            validationFraction: valFraction ?? record?.validationFraction ?? text.validationFraction,
            validationInterval: valInterval ?? text.validationInterval,
            learningRateDecay: Double(lrDecay ?? record?.learningRateDecay ?? text.learningRateDecay),
            dropout: Double(dropout ?? record?.dropout ?? 0),
            learningRate: Double(learningRate ?? record?.learningRate ?? defaultRate),
            workers: threadCount)
        settings.schedule = LearningRateSchedule(shape: lrSchedule ?? .constant, warmupTicks: warmupTicks ?? 0)
        settings.earlyStopPatience = earlyStop ?? 0
        settings.precision = precision ?? record?.precision ?? .float32
        return settings
    }

    func fresh(vocabularyFrom texts: [String], kind: CorpusKind) -> Start {
        fresh(vocabulary: Vocabulary(sentences: texts), kind: kind)
    }

    func fresh(vocabulary: Vocabulary, kind: CorpusKind) -> Start {
        let settings = runSettings(nil, model: nil,
                                   optimizer: optimizer ?? (kind == .text ? TrainingSettings.textDefaultOptimizer : .rmsprop),
                                   kind: kind)
        return Start(settings: settings, start: .fresh(settings, vocabulary: vocabulary))
    }

    /// The resumed file's model and state; options override its settings but
    /// may not contradict its shape.
    func resumed(from path: String, kind: CorpusKind) throws(CommandError) -> Start {
        let (loaded, root) = try InputFiles.model(path)
        let model = loaded.model
        func conflict(_ option: String, _ given: String, _ actual: String) -> CommandError {
            .usage("\(option) \(given) contradicts the model resumed from '\(path)', which has \(actual)")
        }
        if let generator, generator != model.generator {
            throw conflict("--generator", generator.rawValue, model.generator.rawValue)
        }
        if let hiddenSizes, hiddenSizes.sizes != model.hiddenSizes {
            throw conflict("--hidden-sizes", hiddenSizes.description, HiddenSizes(model.hiddenSizes).description)
        }
        if let letterSize, letterSize != model.letterSize {
            throw conflict("--letter-size", String(letterSize), String(model.letterSize))
        }
        let record = try TrainingRecord(root: root, path: path)
        var solver = loaded.solver
        if let optimizer, optimizer != solver.optimizer {
            StandardError.writeLine("note: switching from \(solver.optimizer.rawValue) to \(optimizer.rawValue) "
                                    + "starts the solver state afresh")
            solver = Solver(optimizer: optimizer)
        }
        // A seed restarts the sentence choice; otherwise it continues where it stopped.
        let random = seed.map(RandomSource.init(seed:))
            ?? record?.randomState.flatMap(RandomSource.init(state:)) ?? RandomSource()
        let start = RunStart(model: model, solver: solver, random: random, ticks: record?.ticks ?? 0,
                             epoch: kind == .text ? record?.epoch ?? 0 : 0, firstLoss: record?.firstLoss)
        return Start(settings: runSettings(record, model: model, optimizer: solver.optimizer, kind: kind), start: start)
    }
}
