import Foundation
import Recurrent

// The peer suite: the shapes `bench/pytorch_peer.py` trains with PyTorch's
// `nn.LSTM`, so that `scripts/bench-vs-pytorch` can print both side by side.
//
// LSTM 2x128, 2x256 and 2x512, letter 64, at batches 32, 50 and 64 (windows
// of 64 steps, 50 for batch 50 as char-rnn's defaults), Adam at 0.002, one
// thread and two (two data-parallel workers with single-threaded BLAS, the
// faster of our two ways). One line a shape:
//
//   PEER <shape> <threads> <median> <min> <max> <GFLOP/s>
//
// in training characters per second, the text being the default corpus
// repeated to 400 000 characters.

/// A shape both peers train.
struct PeerShape {
    let hidden: Int
    let batch: Int
    let steps: Int

    var name: String { "lstm-2x\(hidden)-b\(batch)-t\(steps)" }

    static let all: [PeerShape] = [128, 256, 512].flatMap { hidden in
        [PeerShape(hidden: hidden, batch: 32, steps: 64), PeerShape(hidden: hidden, batch: 50, steps: 50),
         PeerShape(hidden: hidden, batch: 64, steps: 64)]
    }
}

/// Runs the peer suite at `threadCounts`, shapes filtered by `only` (a substring of their names).
/// `precision` is that of the products (``ProductPrecision``; bfloat16 runs
/// only where the CPU has it, and the heading says what ran).
@MainActor func runPeerSuite(corpus: String, threadCounts: [Int], only: String?, precision: ProductPrecision = .float32) {
    let text = benchText(corpus)
    let vocabulary = Vocabulary(sentences: [text])
    let textCorpus = try! TextCorpus(text: text, vocabulary: vocabulary, validationFraction: 0)
    print("peer suite: text of \(textCorpus.training.count) characters, \(vocabulary.count) symbols; \(runs) runs of \(seconds) s; Adam; products in \(precision.effective.rawValue)")
    print("       shape                      threads     median        min        max   GFLOP/s")
    for shape in PeerShape.all where only.map({ shape.name.contains($0) }) ?? true {
        for threads in threadCounts {
            BLASThreads.set(1)
            var random = RandomSource(seed: 1)
            let model = CharacterModel(vocabulary: vocabulary, generator: .lstm, hiddenSizes: [shape.hidden, shape.hidden],
                                       letterSize: 64, random: &random)
            let settings = TrainingSettings(learningRate: 0.002, batchSize: shape.batch, productPrecision: precision)
            let trainer = TextTrainer(model: model, corpus: textCorpus, solver: Solver(optimizer: .adam), settings: settings,
                                      options: TextTrainingOptions(sequenceLength: shape.steps, validationInterval: 0,
                                                                   workers: threads),
                                      random: random)
            for _ in 0..<3 { trainer.tick() }
            let rate = measure { trainer.tick().predictions }
            let gigaflops = rate.median * multiplyAddsPerCharacter(model.network) * 2 * 3 / 1e9
            print("PEER", shape.name.padding(toLength: 28, withPad: " ", startingAt: 0),
                  String(format: "%4d %10.0f %10.0f %10.0f %9.1f", threads, rate.median, rate.min, rate.max, gigaflops))
        }
    }
}
