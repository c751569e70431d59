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
    }

    func fresh(_ sentences: [String]) -> Start {
        var random = seed.map(RandomSource.init(seed:)) ?? RandomSource()
        let model = CharacterModel(vocabulary: Vocabulary(sentences: sentences), generator: generator ?? .lstm,
                                   hiddenSizes: hiddenSizes?.sizes ?? [20, 20], letterSize: letterSize ?? 5,
                                   random: &random)
        let defaults = TrainingSettings()
        let settings = TrainingSettings(learningRate: learningRate ?? defaults.learningRate,
                                        regc: regc ?? defaults.regc, clipval: clipval ?? defaults.clipval)
        return Start(model: model, solver: Solver(optimizer: optimizer ?? .rmsprop), settings: settings,
                     ticks: 0, random: random)
    }

    /// The resumed file's model and state; options override its settings but
    /// may not contradict its shape.
    func resumed(from path: String) throws(CommandError) -> Start {
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
        let defaults = TrainingSettings()
        let settings = TrainingSettings(learningRate: learningRate ?? record?.learningRate ?? defaults.learningRate,
                                        regc: regc ?? record?.regc ?? defaults.regc,
                                        clipval: clipval ?? record?.clipval ?? defaults.clipval)
        var solver = loaded.solver
        if let optimizer, optimizer != solver.optimizer {
            StandardError.writeLine("note: switching from \(solver.optimizer.rawValue) to \(optimizer.rawValue) "
                                    + "starts the solver state afresh")
            solver = Solver(optimizer: optimizer)
        }
        // A seed restarts the sentence choice; otherwise it continues where it stopped.
        let random = seed.map(RandomSource.init(seed:))
            ?? record?.randomState.flatMap(RandomSource.init(state:)) ?? RandomSource()
        return Start(model: model, solver: solver, settings: settings, ticks: record?.ticks ?? 0, random: random)
    }
}
