import ArgumentParser
import Foundation
import Recurrent

/// `recurrent train`: trains a new model, or resumes one, on a text file.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a character model on a text file, one sentence per line.",
        discussion: """
            Each tick trains on one sentence picked at random. Without --ticks or \
            --seconds the run lasts \(defaultTicks) ticks.

            Progress goes to stderr: on a terminal one line redrawn in place, otherwise \
            a line every 100 ticks or every second, whichever is rarer; perplexity is the \
            median of the last 100 ticks and a sentence of n characters counts as n + 1 \
            characters. Every 1000 ticks or 10 seconds, whichever is rarer, three samples \
            at temperature 1 and the greedy one are shown.

            At the end, or on Ctrl-C (which stops after the current tick), the model is \
            written with its solver state and a "training" field holding the settings and \
            the tick count, and a summary line goes to stdout. --resume continues from such \
            a file: its vocabulary, weights, solver state, tick count and settings, unless \
            options override the settings.
            """
    )

    static let defaultTicks = 2000

    @Option(help: ArgumentHelp("Training text, one sentence per line (lines are trimmed, empty ones dropped).",
                               valueName: "file"))
    var data: String

    @Option(help: "Recurrent layer type (default: lstm, or the resumed model's).")
    var generator: Generator?

    @Option(help: ArgumentHelp("Units per layer, bottom first (default: 20,20).", valueName: "sizes"),
            transform: HiddenSizes.parse)
    var hiddenSizes: HiddenSizes?

    @Option(parsing: .unconditional, help: "Size of the letter embedding (default: 5).")
    var letterSize: Int?

    @Option(parsing: .unconditional, help: "Solver step size (default: 0.01).")
    var learningRate: Float?

    @Option(parsing: .unconditional, help: "L2 regularisation strength (default: 1e-6).")
    var regc: Float?

    @Option(parsing: .unconditional, help: "Gradients are clipped to [-clipval, clipval] (default: 5).")
    var clipval: Float?

    @Option(help: "Solver (default: rmsprop, or the resumed model's).")
    var optimizer: Optimizer?

    @Option(parsing: .unconditional, help: "Ticks to run (default: \(defaultTicks) unless --seconds is given).")
    var ticks: Int?

    @Option(parsing: .unconditional, help: "Train for this many seconds instead of a number of ticks.")
    var seconds: Double?

    @Option(parsing: .unconditional, help: "Seed for initialisation and sentence choice (default: random).")
    var seed: UInt64?

    @Option(help: ArgumentHelp("Where to write the model.", valueName: "file"))
    var out = "model.json"

    @Option(help: ArgumentHelp("Continue training a model file written by this command.", valueName: "file"))
    var resume: String?

    func validate() throws {
        guard ticks == nil || seconds == nil else {
            throw ValidationError("give --ticks or --seconds, not both")
        }
        try Check.atLeast(1, ticks, "--ticks")
        try Check.positive(seconds, "--seconds")
        try Check.positive(learningRate, "--learning-rate")
        try Check.nonNegative(regc, "--regc")
        try Check.positive(clipval, "--clipval")
        try Check.atLeast(1, letterSize, "--letter-size")
        if let letterSize, letterSize > HiddenSizes.maximum {
            throw ValidationError("--letter-size must be at most \(HiddenSizes.maximum) (got \(letterSize))")
        }
    }

    func run() throws {
        let sentences = try InputFiles.sentences(data)
        let writer = ModelWriter(path: out)
        try writer.checkWritable()
        let start = try resume.map { path throws(CommandError) in try resumed(from: path) } ?? fresh(sentences)
        // Samples draw from their own generator so that the trainer's stream,
        // saved in the file, makes a resumed run continue exactly as an
        // uninterrupted one would.
        let sampleRandom = seed.map { RandomSource(seed: $0 &+ 1) } ?? RandomSource()

        let trainer: CharacterTrainer
        do {
            trainer = try CharacterTrainer(model: start.model, sentences: sentences, solver: start.solver,
                                           settings: start.settings, random: start.random)
        } catch let TrainingError.unknownCharacter(sentence, unknown) {
            let source = resume.map { "the model resumed from '\($0)'" } ?? "the model"
            throw CommandError.usage("data file '\(data)' does not fit \(source): non-empty line \(sentence + 1): \(unknown.readable)")
        } catch {
            throw CommandError.usage("data file '\(data)': \(error)")
        }
        trainer.ticks = start.ticks

        let interrupt = InterruptSignal()
        defer { interrupt.stop() }
        var session = TrainingSession(trainer: trainer, budget: seconds.map(TrainingBudget.seconds)
                                      ?? .ticks(ticks ?? Self.defaultTicks), sampleRandom: sampleRandom)
        let outcome = session.run(interrupt: interrupt, style: StandardError.isTerminal ? .live : .plain)

        let record = TrainingRecord(settings: trainer.settings, optimizer: trainer.solver.optimizer,
                                    ticks: trainer.ticks, randomState: trainer.random.state)
        if outcome.diverged {
            StandardError.writeLine("training diverged at tick \(trainer.ticks): the cost is not a number")
        }
        try writer.write(trainer.model, solver: trainer.solver, extraFields: [("training", record.json)])
        print(summary(outcome, trainer: trainer))
    }

    private func summary(_ outcome: TrainingSession.Outcome, trainer: CharacterTrainer) -> String {
        let how = outcome.interrupted ? "interrupted after" : "trained"
        return "\(how) \(outcome.ticks) ticks in \(String(format: "%.1f", outcome.elapsed)) s"
            + " (\(trainer.ticks) in all, epoch \(String(format: "%.2f", trainer.epoch)))"
            + ", perplexity \(String(format: "%.3f", outcome.medianPerplexity)); wrote \(out)"
    }
}
