import Foundation
import Recurrent
import RecurrentLaunch

// Prints characters trained per second (forward, backward and solver step) as
// the median of several timed runs after a warm-up.
//
// - demo suite: one sentence per tick (batch 1) on the default corpus, a
//   sentence of n characters counting n + 1; single thread.
// - batch suite: a text corpus (the default corpus as one text, repeated), 32
//   streams x 64 steps per tick, with 1 and 2 BLAS threads; also the achieved
//   GFLOP/s of useful work (2 flops per multiply-add of the products, forward
//   and backward) and the peak resident memory.
//
// - sample suite: generation speed (SampleSuite.swift).
// - peer suite: the shapes of the PyTorch comparison (PeerSuite.swift);
//   `--threads 1,2` picks the thread counts.
//
//   swift run -c release recurrent-bench [--suite demo|batch|sample|peer|all] [--seconds S] [--runs N] [--only NAME]
//                                        [--way single|blas|workers|validate] [--threads 1,2]

OpenBLASKernelChoice.applyBeforeStart()
print("CPU kernels: \(CPUKernels.selected.rawValue) (best on this CPU: \(CPUKernels.best.rawValue); \(CPUKernels.environmentVariable)=auto|portable|avx2|avx512)")

struct Configuration {
    let name: String
    let generator: Generator
    let hiddenSizes: [Int]
    let letterSize: Int
}

let demoConfigurations = [
    Configuration(name: "lstm-20-20", generator: .lstm, hiddenSizes: [20, 20], letterSize: 5),
    Configuration(name: "lstm-100", generator: .lstm, hiddenSizes: [100], letterSize: 5),
    Configuration(name: "rnn-20-20", generator: .rnn, hiddenSizes: [20, 20], letterSize: 5),
    Configuration(name: "gru-20-20", generator: .gru, hiddenSizes: [20, 20], letterSize: 5),
]
let batchConfigurations = [
    Configuration(name: "lstm-128-128", generator: .lstm, hiddenSizes: [128, 128], letterSize: 64),
    Configuration(name: "lstm-512-512", generator: .lstm, hiddenSizes: [512, 512], letterSize: 64),
    Configuration(name: "gru-512-512", generator: .gru, hiddenSizes: [512, 512], letterSize: 64),
]

var seconds = 2.0, runs = 5
var suite = "all"
var only: String?
var onlyWay: String?
var peerThreads = [1, 2]
var peerPrecision = ProductPrecision.float32
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--seconds": seconds = Double(arguments.next() ?? "") ?? seconds
    case "--runs": runs = Int(arguments.next() ?? "") ?? runs
    case "--only": only = arguments.next()
    case "--suite": suite = arguments.next() ?? suite
    case "--way": onlyWay = arguments.next()
    case "--precision":
        guard let value = arguments.next().flatMap(ProductPrecision.init(rawValue:)) else {
            FileHandle.standardError.write(Data("error: --precision takes float32 or bfloat16\n".utf8))
            exit(2)
        }
        peerPrecision = value
    case "--threads": peerThreads = (arguments.next() ?? "").split(separator: ",").compactMap { Int($0) }.filter { $0 >= 1 }
    default:
        FileHandle.standardError.write(Data("usage: recurrent-bench [--suite demo|batch|sample|peer|all] [--seconds S] [--runs N] [--only NAME] [--way single|blas|workers|validate] [--threads 1,2] [--precision float32|bfloat16]\n".utf8))
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

/// Median, minimum and maximum of `runs` timed runs of `tick`, in characters per second.
@MainActor func measure(_ tick: () -> Int) -> (median: Double, min: Double, max: Double) {
    var rates: [Double] = []
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        var characters = 0
        var elapsed = 0.0
        while elapsed < seconds {
            characters += tick()
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        rates.append(Double(characters) / elapsed)
    }
    rates.sort()
    return (rates[rates.count / 2], rates.first!, rates.last!)
}

func peakResidentMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// Multiply-adds of the products per character, forward only.
func multiplyAddsPerCharacter(_ network: RecurrentNetwork) -> Double {
    var total = 0.0
    for layer in network.layers {
        let gates = layer.parameters.count / 3
        total += Double(gates * layer.hiddenSize * (layer.inputSize + layer.hiddenSize))
    }
    return total + Double(network.decoderWeights.count)
}

if suite == "demo" || suite == "all" {
    let sentences = Sentences.split(corpus)
    BLASThreads.set(1)
    print("demo suite: \(sentences.count) sentences, batch 1; \(runs) runs of \(seconds) s; single thread")
    print("configuration        chars/s (median)   min        max")
    for configuration in demoConfigurations where only == nil || only == configuration.name {
        var random = RandomSource(seed: 1)
        let model = CharacterModel(vocabulary: Vocabulary(sentences: sentences), generator: configuration.generator,
                                   hiddenSizes: configuration.hiddenSizes, letterSize: configuration.letterSize,
                                   random: &random)
        let trainer = try! CharacterTrainer(model: model, sentences: sentences, random: random)
        for _ in 0..<200 { trainer.tick() }
        let rate = measure { (0..<20).reduce(0) { total, _ in total + trainer.tick().predictions } }
        print(configuration.name.padding(toLength: 20, withPad: " ", startingAt: 0),
              String(format: "%12.0f %12.0f %10.0f", rate.median, rate.min, rate.max))
    }
}

/// The text the batch and peer suites train on: the default corpus repeated
/// to at least 400 000 characters.
func benchText(_ corpus: String) -> String {
    var text = corpus
    while text.count < 400_000 { text += corpus }
    return text
}

if suite == "batch" || suite == "all" {
    let text = benchText(corpus)
    let vocabulary = Vocabulary(sentences: [text])
    let textCorpus = try! TextCorpus(text: text, vocabulary: vocabulary, validationFraction: 0)
    print("batch suite: text of \(textCorpus.training.count) characters, 32 streams x 64 steps; \(runs) runs of \(seconds) s")
    print("configuration   threads  how       chars/s (median)   min        max    GFLOP/s  peak RSS MB  (\(BLASKernels.coreName))")
    // Two ways to use two threads: BLAS's own threads inside each product, or
    // two data-parallel workers (half the streams each) with single-threaded BLAS.
    let ways: [(threads: Int, workers: Int, label: String, name: String)] = [
        (1, 1, "-", "single"), (2, 1, "BLAS", "blas"), (2, 2, "workers", "workers"),
    ]
    for configuration in batchConfigurations where only == nil || only == configuration.name {
        for way in ways where onlyWay == nil || onlyWay == way.name {
            let threads = way.threads
            BLASThreads.set(way.workers > 1 ? 1 : threads)
            var random = RandomSource(seed: 1)
            let model = CharacterModel(vocabulary: vocabulary, generator: configuration.generator,
                                       hiddenSizes: configuration.hiddenSizes, letterSize: configuration.letterSize,
                                       random: &random)
            let trainer = TextTrainer(model: model, corpus: textCorpus, settings: TrainingSettings(batchSize: 32),
                                      options: TextTrainingOptions(sequenceLength: 64, validationInterval: 0, workers: way.workers),
                                      random: random)
            for _ in 0..<3 { trainer.tick() }
            let rate = measure { trainer.tick().predictions }
            let gigaflops = rate.median * multiplyAddsPerCharacter(model.network) * 2 * 3 / 1e9
            print(configuration.name.padding(toLength: 16, withPad: " ", startingAt: 0),
                  String(format: "%6d  ", threads) + way.label.padding(toLength: 8, withPad: " ", startingAt: 0),
                  String(format: "%14.0f %12.0f %10.0f %9.1f %10.0f", rate.median, rate.min, rate.max,
                         gigaflops, peakResidentMegabytes()))
        }
        // Validation: forward only, the last 8% of the text (32 streams x
        // 64-step windows) scored by one thread, then by two (the workers'
        // shares), characters scored per second.
        if onlyWay == nil || onlyWay == "validate" {
            BLASThreads.set(1)
            for threads in [1, 2] {
                var random = RandomSource(seed: 1)
                let model = CharacterModel(vocabulary: vocabulary, generator: configuration.generator,
                                           hiddenSizes: configuration.hiddenSizes, letterSize: configuration.letterSize,
                                           random: &random)
                let heldOut = try! TextCorpus(text: text, vocabulary: vocabulary, validationFraction: 0.08)
                let trainer = TextTrainer(model: model, corpus: heldOut, settings: TrainingSettings(batchSize: 32),
                                          options: TextTrainingOptions(sequenceLength: 64, validationInterval: 0, workers: threads),
                                          random: random)
                _ = trainer.validate()
                let rate = measure { trainer.validate()?.predictions ?? 0 }
                let gigaflops = rate.median * multiplyAddsPerCharacter(model.network) * 2 / 1e9
                print(configuration.name.padding(toLength: 16, withPad: " ", startingAt: 0),
                      String(format: "%6d  ", threads) + "validate",
                      String(format: "%14.0f %12.0f %10.0f %9.1f %10.0f", rate.median, rate.min, rate.max,
                             gigaflops, peakResidentMegabytes()))
            }
        }
    }
}

if suite == "peer" {
    runPeerSuite(corpus: corpus, threadCounts: peerThreads, only: only, precision: peerPrecision)
}

if suite == "sample" {
    runSampleSuite(corpus: corpus, seconds: seconds, runs: runs, only: only)
}
