import Recurrent

/// Where a training run starts: a fresh model from the options, or a model
/// file to resume.
extension TrainCommand {
    /// A model, its solver and settings, and the generator to train with.
    struct Start {
        var model: CharacterModel
        var solver: Solver
        var settings: TrainingSettings
        var ticks: Int
        var random: RandomSource
        /// Text-corpus options (unused for sentences).
        var text: TextTrainingOptions
        /// Text corpora: the epoch the resumed run had reached (0: from the start).
        var epoch: Double = 0
    }

    /// Settings from the options, then the resumed file's record, then the defaults.
    private func settings(_ record: TrainingRecord?, kind: CorpusKind) -> TrainingSettings {
        let defaults = TrainingSettings()
        let defaultRate = kind == .text ? Float(TrainingSettings.textDefaultLearningRate) : defaults.learningRate
        return TrainingSettings(learningRate: learningRate ?? record?.learningRate ?? defaultRate,
                                regc: regc ?? record?.regc ?? defaults.regc,
                                clipval: clipval ?? record?.clipval ?? defaults.clipval,
                                batchSize: batchSize ?? record?.batchSize ?? (kind == .text ? 32 : 1),
                                dropout: dropout ?? record?.dropout ?? 0)
    }

    private func textOptions(_ record: TrainingRecord?) -> TextTrainingOptions {
        let defaults = TextTrainingOptions()
        return TextTrainingOptions(sequenceLength: seqLength ?? record?.sequenceLength ?? defaults.sequenceLength,
                                   validationFraction: valFraction ?? record?.validationFraction ?? defaults.validationFraction,
                                   validationInterval: valInterval ?? defaults.validationInterval,
                                   learningRateDecay: lrDecay ?? record?.learningRateDecay ?? defaults.learningRateDecay)
    }

    func fresh(vocabularyFrom texts: [String], kind: CorpusKind) -> Start {
        var random = seed.map(RandomSource.init(seed:)) ?? RandomSource()
        let model = CharacterModel(vocabulary: Vocabulary(sentences: texts), generator: generator ?? .lstm,
                                   hiddenSizes: hiddenSizes?.sizes ?? [20, 20], letterSize: letterSize ?? 5,
                                   random: &random)
        return Start(model: model, solver: Solver(optimizer: optimizer ?? .rmsprop), settings: settings(nil, kind: kind),
                     ticks: 0, random: random, text: textOptions(nil))
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
        return Start(model: model, solver: solver, settings: settings(record, kind: kind), ticks: record?.ticks ?? 0,
                     random: random, text: textOptions(record), epoch: kind == .text ? record?.epoch ?? 0 : 0)
    }
}
