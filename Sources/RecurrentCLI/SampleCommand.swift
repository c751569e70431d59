import ArgumentParser
import Recurrent

/// `recurrent sample`: prints samples from a model file, one per line.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Print samples from a model, one per line.",
        discussion: """
            The samples of one run are drawn together as one batch; sample i uses seed --seed + i, so it equals \
            the single sample of --count 1 --seed (--seed + i). --greedy samples and beam search do not depend \
            on the seed.

            Each character is chosen in this order: the repetition penalty, then greedy or --top-k, --top-p and \
            --min-p (on the probabilities at temperature 1), then --temperature and one draw. A sample ends at \
            END, when its text ends with a --stop sequence (left out of the text) or after --max-length \
            characters.

            --beam-width W prints the --count (default 1, at most W) most likely texts a beam search finds; \
            --beam-width 1 gives the greedy text. --length-penalty α ranks finished texts by \
            logprob / ((5 + length) / 6)^α.

            --json prints one object a line: {"text", "logprob", "finish_reason"}, finish_reason being "end", \
            "stop" or "length"; logprob is the sum of ln p of the generated characters (and of END when the \
            sample ended there) under the model at temperature 1, whatever the sampling settings. With \
            --logprobs N each line also has "tokens": every generated character (then END, as null) with its \
            logprob and the N most likely characters at that step.
            """
    )

    @Option(help: ArgumentHelp("Model file to sample from.", valueName: "file"))
    var model: String

    @Option(parsing: .unconditional, help: "Number of samples (default: 5; 1 with --beam-width).")
    var count: Int?

    @Option(parsing: .unconditional, help: "Logits are divided by this before the softmax; lower is more conservative.")
    var temperature: Float = 1

    @Flag(help: "Take the most likely character at each step.")
    var greedy = false

    @Option(help: "Text each sample continues (every character must be in the model's vocabulary).")
    var prime = ""

    @Option(parsing: .unconditional, help: "Most characters to generate after the prime.")
    var maxLength = 100

    @Option(parsing: .unconditional, help: "Seed for sampling (default: random).")
    var seed: UInt64?

    @Option(name: .customLong("top-k"), parsing: .unconditional, help: "Keep only the k most likely characters (0: all).")
    var topK = 0

    @Option(name: .customLong("top-p"), parsing: .unconditional,
            help: "Keep the fewest most likely characters whose probability adds up to at least p, in (0, 1].")
    var topP: Float = 1

    @Option(name: .customLong("min-p"), parsing: .unconditional,
            help: "Drop characters less likely than p times the most likely one, in [0, 1].")
    var minP: Float = 0

    @Option(parsing: .unconditional,
            help: "Divide the positive logits (multiply the negative ones) of recently seen characters by this; 1 is off.")
    var repetitionPenalty: Float = 1

    @Option(parsing: .unconditional, help: "How many of the latest characters the repetition penalty looks at.")
    var repetitionWindow = 64

    @Option(help: ArgumentHelp("End a sample before this text (repeatable).", valueName: "text"))
    var stop: [String] = []

    @Option(parsing: .unconditional, help: "Beam search with this many hypotheses instead of sampling (1 to \(BeamSearchOptions.maximumWidth)).")
    var beamWidth: Int?

    @Option(parsing: .unconditional, help: "Beam search's length penalty α (>= 0; 0 ranks by log-probability alone).")
    var lengthPenalty: Double?

    @Option(parsing: .unconditional, help: "With --json: each character's log-probability and the N most likely alternatives.")
    var logprobs: Int?

    @Flag(help: "Print one JSON object a line with the text, its log-probability and why it ended.")
    var json = false

    func validate() throws {
        try Check.atLeast(1, count, "--count")
        try Check.positive(temperature, "--temperature")
        try Check.atLeast(0, maxLength, "--max-length")
        do {
            try samplingOptions.validate()
        } catch {
            let value = value(of: error.field)
            throw ValidationError("\(Self.flag(error.field)) \(error.message)" + (value.isEmpty ? "" : " (got \(value))"))
        }
        if logprobs != nil && !json { throw ValidationError("--logprobs needs --json") }
        if let beamWidth {
            do {
                try beamOptions(width: beamWidth).validate()
            } catch {
                throw ValidationError("\(Self.flag(error.field)) \(error.message) (got \(error.field == "width" ? "\(beamWidth)" : "\(lengthPenalty ?? 0)"))")
            }
            if let count, count > beamWidth {
                throw ValidationError("--count must be at most --beam-width (\(beamWidth)) for a beam search (got \(count))")
            }
            let sampling = [("--greedy", greedy), ("--temperature", temperature != 1), ("--top-k", topK != 0),
                            ("--top-p", topP != 1), ("--min-p", minP != 0), ("--repetition-penalty", repetitionPenalty != 1)]
            if let (flag, _) = sampling.first(where: \.1) {
                throw ValidationError("\(flag) does not apply to a beam search (--beam-width)")
            }
        } else if lengthPenalty != nil {
            throw ValidationError("--length-penalty needs --beam-width")
        }
    }

    private var samplingOptions: SamplingOptions {
        SamplingOptions(temperature: temperature, greedy: greedy, maxLength: maxLength, prime: prime, topK: topK,
                        topP: topP, minP: minP, repetitionPenalty: repetitionPenalty, repetitionWindow: repetitionWindow,
                        stop: stop, seed: seed, logprobs: logprobs)
    }

    private func beamOptions(width: Int) -> BeamSearchOptions {
        BeamSearchOptions(width: width, lengthPenalty: lengthPenalty ?? 0)
    }

    /// The option named by an engine setting.
    private static func flag(_ field: String) -> String {
        let names = ["topK": "--top-k", "topP": "--top-p", "minP": "--min-p", "repetitionPenalty": "--repetition-penalty",
                     "repetitionWindow": "--repetition-window", "stop": "--stop", "logprobs": "--logprobs",
                     "temperature": "--temperature", "maxLength": "--max-length", "width": "--beam-width",
                     "lengthPenalty": "--length-penalty"]
        return names[field] ?? "--\(field)"
    }

    private func value(of field: String) -> String {
        switch field {
        case "topK": "\(topK)"
        case "topP": "\(topP)"
        case "minP": "\(minP)"
        case "repetitionPenalty": "\(repetitionPenalty)"
        case "repetitionWindow": "\(repetitionWindow)"
        case "logprobs": logprobs.map { "\($0)" } ?? ""
        default: ""
        }
    }

    func run() throws {
        let model = try InputFiles.model(self.model).loaded.model
        // Checked up front so that a bad prime prints nothing but the error.
        if case .failure(let unknown) = model.vocabulary.encode(prime) {
            throw CommandError.usage("--prime: \(unknown.readable)")
        }
        let samples: [GeneratedSample]
        if let beamWidth {
            samples = try model.beamSearch(samplingOptions, beam: beamOptions(width: beamWidth), count: count ?? 1)
        } else {
            samples = try model.generate(samplingOptions, count: count ?? 5)
        }
        for sample in samples {
            print(json ? SampleJSON.line(sample) : sample.text)
        }
    }
}
