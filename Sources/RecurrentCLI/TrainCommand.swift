import ArgumentParser
import Foundation
import Recurrent
import RecurrentTraining

/// `recurrent train`: trains a new model, or resumes one, on a text file.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a character model on a text file, one sentence per line or one continuous text.",
        discussion: """
            With --corpus sentences (the default) each tick trains on --batch-size \
            sentences picked at random (1: the demo). With --corpus text the file is one \
            continuous text, cut into --batch-size parallel streams; each tick trains a \
            window of --seq-length characters of every stream, carrying the hidden state \
            from window to window; the last --val-fraction of the text is held out and \
            scored every --val-interval ticks, and the weights with the best validation \
            loss are written to the output path with ".best" before ".json". Without \
            --ticks or --seconds the run lasts \(defaultTicks) ticks.

            Progress goes to stderr: on a terminal one line redrawn in place, otherwise \
            a line after the first tick and then every 100 ticks or every second, whichever \
            is rarer; perplexity is the \
            median of the last 100 ticks and a sentence of n characters counts as n + 1 \
            characters. Every 1000 ticks or 10 seconds, whichever is rarer, three samples \
            at temperature 1 and the greedy one are shown.

            At the end, or on Ctrl-C (which stops after the current tick), the model is \
            written with its solver state and a "training" field holding the settings and \
            the tick count (and for a text, the epoch), and a summary line goes to stdout. \
            --resume continues from such a file: its vocabulary, weights, solver state, tick \
            count and settings, unless options override the settings, and for a text the \
            place in it where the run stopped (the hidden state starts afresh) with the \
            learning rate as set, decayed again once per completed pass (--lr-decay).

            Training stops on divergence, the service's rule: a loss that is not finite, \
            or one above 3 times the first recorded loss while the median of the last 100 \
            ticks is too; nothing is written then and the exit status is 1.
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

    @Option(parsing: .unconditional, help: "Solver step size (default: 0.01; with --corpus text and Adam 0.002 x sqrt(512 / widest layer), at most 0.004, e.g. 0.0028 for 256 units, with RMSProp 0.002).")
    var learningRate: Float?

    @Option(parsing: .unconditional, help: "L2 regularisation strength (default: 1e-6).")
    var regc: Float?

    @Option(parsing: .unconditional, help: "Gradients are clipped to [-clipval, clipval] (default: 5).")
    var clipval: Float?

    @Option(help: "Solver (default: rmsprop; adam with --corpus text; or the resumed model's).")
    var optimizer: Optimizer?

    @Option(parsing: .unconditional, help: "Ticks to run (default: \(defaultTicks) unless --seconds is given).")
    var ticks: Int?

    @Option(parsing: .unconditional, help: "Train for this many seconds instead of a number of ticks.")
    var seconds: Double?

    @Option(parsing: .unconditional, help: "Seed for initialisation and sentence choice (default: random).")
    var seed: UInt64?

    @Option(help: "How to read the data file (default: sentences, or the resumed model's).")
    var corpus: CorpusKind?

    @Option(parsing: .unconditional, help: "Sequences per tick (default: 1 for sentences, 32 for text).")
    var batchSize: Int?

    @Option(parsing: .unconditional, help: "Text corpus: characters per window of backpropagation (default: 64).")
    var seqLength: Int?

    @Option(parsing: .unconditional, help: "Text corpus: fraction of the text held out for validation (default: 0.05).")
    var valFraction: Double?

    @Option(parsing: .unconditional, help: "Text corpus: validate every this many ticks (default: 200; 0: never).")
    var valInterval: Int?

    @Option(parsing: .unconditional, help: "Text corpus: multiply the learning rate by this after every epoch (default: 1).")
    var lrDecay: Float?

    @Option(help: "Learning-rate schedule over the run's --ticks or --seconds: constant, or cosine (from the rate down to a tenth of it) (default: constant).")
    var lrSchedule: LearningRateSchedule.Shape?

    @Option(parsing: .unconditional, help: "Ticks over which the rate first rises linearly to its value (default: 0).")
    var warmupTicks: Int?

    @Option(parsing: .unconditional, help: "Text corpus: stop after this many validations in a row without a new best (default: 0, never).")
    var earlyStop: Int?

    @Option(help: "Text corpus: the operands' format in the large products: float32, or bfloat16 (sums stay float; about 1.6 to 1.7 times as fast as float32 for LSTM 2x128 to 2x512, where the CPU has AVX-512-BF16; float32 elsewhere) (default: float32, or the resumed model's).")
    var precision: ProductPrecision?

    @Option(parsing: .unconditional, help: "Dropout rate on the inputs of upper layers and the decoder (default: 0).")
    var dropout: Float?

    @Option(parsing: .unconditional, help: "Threads to train with (default: the cores this process may use, affinity and cgroup quota respected). A text corpus splits its streams among them (at least 8 streams each) with single-threaded BLAS; otherwise OpenBLAS uses them inside the large products of batches.")
    var threads: Int?

    /// `--threads`, or the cores available.
    var threadCount: Int { threads ?? AvailableCores.count() }

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
        try Check.atLeast(1, batchSize, "--batch-size")
        try Check.atLeast(1, threads, "--threads")
        try Check.atLeast(1, seqLength, "--seq-length")
        try Check.atLeast(0, valInterval, "--val-interval")
        try Check.atLeast(0, warmupTicks, "--warmup-ticks")
        try Check.atLeast(0, earlyStop, "--early-stop")
        try Check.positive(lrDecay, "--lr-decay")
        if let valFraction, !(valFraction >= 0 && valFraction < 1) {
            throw ValidationError("--val-fraction must be a number in [0, 1) (got \(valFraction))")
        }
        if let dropout, !(dropout >= 0 && dropout < 1) {
            throw ValidationError("--dropout must be a number in [0, 1) (got \(dropout))")
        }
        if let letterSize, letterSize > HiddenSizes.maximum {
            throw ValidationError("--letter-size must be at most \(HiddenSizes.maximum) (got \(letterSize))")
        }
    }

    func run() throws {
        try InputFiles.checkFile(data, what: "data file")
        let writer = ModelWriter(path: out)
        try writer.checkWritable()
        let record = try resume.map { path throws(CommandError) in try InputFiles.model(path) }
        let kind = corpus ?? record.flatMap { try? TrainingRecord(root: $0.root, path: resume ?? "") }?.corpus ?? .sentences
        let resumedStart = try resume.map { path throws(CommandError) in try resumed(from: path, kind: kind) }
        // Samples draw from their own generator so that the trainer's stream,
        // saved in the file, makes a resumed run continue exactly as an
        // uninterrupted one would.
        let sampleRandom = seed.map { RandomSource(seed: $0 &+ 1) } ?? RandomSource()
        let run = try kind == .sentences ? sentenceRun(resumedStart) : textRun(resumedStart)
        let trainer = run.trainer
        if kind == .text && run.settings.precision == .bfloat16 && !ProductPrecision.bfloat16IsAvailable {
            StandardError.writeLine("note: this CPU has no AVX-512-BF16 (or RECURRENT_KERNELS is below avx512): "
                                    + "the products run in float32")
        }

        // Data-parallel workers are the parallelism; BLAS inside them stays single-threaded.
        let threads = threadCount
        BLASThreads.set((trainer as? TextTrainer).map { $0.workerCount > 1 ? 1 : threads } ?? threads)
        let interrupt = InterruptSignal()
        defer { interrupt.stop() }
        var session = TrainingSession(training: run, budget: seconds.map(TrainingBudget.seconds)
                                      ?? .ticks(ticks ?? Self.defaultTicks), sampleRandom: sampleRandom)
        let outcome = session.run(interrupt: interrupt, style: StandardError.isTerminal ? .live : .plain)

        if let loss = outcome.divergedLoss {
            // The shared rule (`DivergenceRule`): the weights are not to be
            // trusted, so the file (and any earlier one at --out) is left alone.
            let first = run.firstLoss.map { String(format: " (the first recorded loss was %.4f)", $0) } ?? ""
            throw CommandError.failure("training diverged at tick \(trainer.ticks): loss \(loss) per character\(first); "
                                       + "the model was not written to '\(out)'. Try a lower --learning-rate "
                                       + "(for example \(run.learningRateAsSet / 10)).")
        }
        let saved = TrainingRecord(run: run)
        try writer.write(trainer.model, solver: trainer.solver, extraFields: [("training", saved.json)])
        if let best = trainer.bestModel, let validation = trainer.bestValidation {
            let bestWriter = ModelWriter(path: Self.bestPath(for: out))
            let field = "{\"step\":\(validation.step),\"validation_loss\":\(validation.loss)}"
            try bestWriter.write(best, solver: nil, extraFields: [("training", saved.json), ("best_validation", field)])
        }
        print(summary(outcome, trainer: trainer))
    }

    /// A text's workers, or the threads BLAS was given.
    private func threadsUsed(by trainer: any ModelTrainer) -> Int {
        (trainer as? TextTrainer)?.workerCount ?? threadCount
    }

    /// A run on the file's sentences (read whole: sentence corpora are small).
    private func sentenceRun(_ resumedStart: Start?) throws(CommandError) -> TrainingRun {
        let sentences = try InputFiles.sentences(data)
        let start = resumedStart ?? fresh(vocabularyFrom: sentences, kind: .sentences)
        do {
            return try TrainingRun(settings: start.settings, data: sentences, start: start.start)
        } catch let TrainingError.unknownCharacter(sentence, unknown) {
            let source = resume.map { "the model resumed from '\($0)'" } ?? "the model"
            throw .usage("data file '\(data)' does not fit \(source): non-empty line \(sentence + 1): \(unknown.readable)")
        } catch {
            throw .usage("data file '\(data)': \(error)")
        }
    }

    /// A run on the file as one text, read once into one or two bytes per
    /// character (with the resumed model's vocabulary, if any).
    private func textRun(_ resumedStart: Start?) throws(CommandError) -> TrainingRun {
        let clock = ContinuousClock(), began = clock.now
        let text: EncodedText
        do throws(TextReadError) {
            text = try EncodedText(contentsOfFile: data, vocabulary: resumedStart?.start.model.vocabulary)
        } catch {
            guard case .unknownCharacter = error else { throw .usage("data file '\(data)': \(error)") }
            let source = resume.map { "the model resumed from '\($0)'" } ?? "the model"
            throw .usage("data file '\(data)' does not fit \(source): \(error)")
        }
        StandardError.writeLine("read '\(data)': \(text.count) characters in \(text.byteCount) bytes, "
                                + "\(text.vocabulary.count) distinct, \(text.symbols.bytesPerSymbol) byte(s) each, "
                                + "in \(String(format: "%.2f", TrainingSession.seconds(clock.now - began))) s")
        let start = resumedStart ?? fresh(vocabulary: text.vocabulary, kind: .text)
        let settings = start.settings, model = start.start.model
        let estimate = MemoryEstimate(generator: model.generator, symbolCount: model.vocabulary.symbolCount,
                                      letterSize: model.letterSize, hiddenSizes: model.hiddenSizes,
                                      batchSize: settings.batchSize, steps: settings.sequenceLength,
                                      optimizer: start.start.solver.optimizer, workers: settings.workers, textWindows: true)
        StandardError.writeLine("text \(text.symbols.byteCount) bytes encoded, model and training \(estimate.totalBytes) bytes (\(estimate))")
        do {
            return try TrainingRun(settings: start.settings, text: text, start: start.start)
        } catch TrainingError.noSentences {
            throw .usage("data file '\(data)' is too short to train on")
        } catch {
            throw .usage("data file '\(data)': \(error)")
        }
    }

    /// `model.json` → `model.best.json`.
    static func bestPath(for path: String) -> String {
        path.hasSuffix(".json") ? String(path.dropLast(5)) + ".best.json" : path + ".best"
    }

    private func summary(_ outcome: TrainingSession.Outcome, trainer: any ModelTrainer) -> String {
        let how = outcome.interrupted ? "interrupted after"
            : outcome.stoppedEarly ? "stopped early (validation stopped improving) after" : "trained"
        return "\(how) \(outcome.ticks) ticks in \(String(format: "%.1f", outcome.elapsed)) s"
            + " (\(trainer.ticks) in all, epoch \(String(format: "%.2f", trainer.epoch)))"
            + ", perplexity \(String(format: "%.3f", outcome.medianPerplexity))"
            + ", \(threadsUsed(by: trainer)) thread\(threadsUsed(by: trainer) == 1 ? "" : "s")"
            + ((trainer as? TextTrainer)?.settings.productPrecision.effective == .bfloat16 ? ", bfloat16 products" : "")
            + (trainer.bestValidation.map { ", best validation loss \(String(format: "%.4f", $0.loss)) at tick \($0.step)" } ?? "")
            + "; wrote \(out)"
    }
}
