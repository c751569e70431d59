import Foundation
import Recurrent

// Prints characters trained per second (forward, backward and solver step; a
// sentence of n characters counts n + 1) for the demo's configurations, as
// the median of several timed runs after a warm-up.
//
//   swift run -c release recurrent-bench [--seconds S] [--runs N] [--only NAME]

struct Configuration {
    let name: String
    let generator: Generator
    let hiddenSizes: [Int]
    let letterSize: Int
    let batchSize: Int
}

let configurations = [
    Configuration(name: "lstm-20-20", generator: .lstm, hiddenSizes: [20, 20], letterSize: 5, batchSize: 1),
    Configuration(name: "lstm-100", generator: .lstm, hiddenSizes: [100], letterSize: 5, batchSize: 1),
    Configuration(name: "rnn-20-20", generator: .rnn, hiddenSizes: [20, 20], letterSize: 5, batchSize: 1),
    Configuration(name: "gru-20-20", generator: .gru, hiddenSizes: [20, 20], letterSize: 5, batchSize: 1),
]

var seconds = 2.0, runs = 5
var only: String?
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--seconds": seconds = Double(arguments.next() ?? "") ?? seconds
    case "--runs": runs = Int(arguments.next() ?? "") ?? runs
    case "--only": only = arguments.next()
    default:
        FileHandle.standardError.write(Data("usage: recurrent-bench [--seconds S] [--runs N] [--only NAME]\n".utf8))
        exit(2)
    }
}

let corpusURL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Corpus/default.txt")
guard let corpus = try? String(contentsOf: corpusURL, encoding: .utf8) else {
    FileHandle.standardError.write(Data("error: cannot read \(corpusURL.path)\n".utf8))
    exit(2)
}
let sentences = Sentences.split(corpus)
BLASThreads.set(1)
print("corpus: \(sentences.count) sentences; \(runs) runs of \(seconds) s each; single thread")
print("configuration        chars/s (median)   min        max")

for configuration in configurations where only == nil || only == configuration.name {
    var random = RandomSource(seed: 1)
    let model = CharacterModel(vocabulary: Vocabulary(sentences: sentences), generator: configuration.generator,
                               hiddenSizes: configuration.hiddenSizes, letterSize: configuration.letterSize,
                               random: &random)
    let trainer = try! CharacterTrainer(model: model, sentences: sentences,
                                        settings: TrainingSettings(batchSize: configuration.batchSize), random: random)
    for _ in 0..<200 { trainer.tick() }
    var rates: [Double] = []
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        var characters = 0
        var elapsed = 0.0
        while elapsed < seconds {
            for _ in 0..<20 { characters += trainer.tick().predictions }
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        rates.append(Double(characters) / elapsed)
    }
    rates.sort()
    let median = rates[rates.count / 2]
    print(configuration.name.padding(toLength: 20, withPad: " ", startingAt: 0),
          String(format: "%12.0f %12.0f %10.0f", median, rates.first!, rates.last!))
}
