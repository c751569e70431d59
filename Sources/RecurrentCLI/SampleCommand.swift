import ArgumentParser
import Recurrent

/// `recurrent sample`: prints samples from a model file, one per line.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Print samples from a model, one per line.",
        discussion: "The same --seed gives the same samples; --greedy samples do not depend on the seed."
    )

    @Option(help: ArgumentHelp("Model file to sample from.", valueName: "file"))
    var model: String

    @Option(parsing: .unconditional, help: "Number of samples.")
    var count = 5

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

    func validate() throws {
        try Check.atLeast(1, count, "--count")
        try Check.positive(temperature, "--temperature")
        try Check.atLeast(0, maxLength, "--max-length")
    }

    func run() throws {
        let model = try InputFiles.model(self.model).loaded.model
        // Checked up front so that a bad prime prints nothing but the error.
        if case .failure(let unknown) = model.vocabulary.encode(prime) {
            throw CommandError.usage("--prime: \(unknown.readable)")
        }
        let options = SamplingOptions(temperature: temperature, greedy: greedy, maxLength: maxLength, prime: prime)
        var random = seed.map(RandomSource.init(seed:)) ?? RandomSource()
        for _ in 0..<count {
            do {
                print(try model.sample(options, random: &random))
            } catch {
                throw CommandError.usage("--prime: \(error)")
            }
        }
    }
}
