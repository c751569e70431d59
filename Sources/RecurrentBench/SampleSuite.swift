import Foundation
import Recurrent

// The sample suite: generation speed (issue #15).
//
// - characters generated per second by LSTM [100] and LSTM [512,512], one
//   sample per call and 16 samples in one call (one batch);
// - a beam search of width 8 on LSTM [100], 200 characters: seconds per search;
// - 16 samples in one call against 16 calls of one sample: the speed-up.
//
// Temperature 0.9, no filter unless a row says so. LSTM [100] is first
// trained for 300 ticks on the corpus's sentences; LSTM [512,512] is
// untrained (its products dominate whatever the distribution).
// END's decoder bias is set to -30 so that every sample runs to its maximum
// length (an untrained model would end most samples early) and every figure
// counts the same work. One BLAS thread.

/// Runs the sample suite, `runs` timed runs of about `seconds` each.
@MainActor func runSampleSuite(corpus: String, seconds: Double, runs: Int, only: String?) {
    BLASThreads.set(1)
    let vocabulary = Vocabulary(sentences: Sentences.split(corpus))
    let configurations: [(name: String, hiddenSizes: [Int], letterSize: Int)] = [
        ("lstm-100", [100], 5), ("lstm-512-512", [512, 512], 64),
    ]
    let length = 200
    print("sample suite: \(vocabulary.count) characters, samples of \(length); \(runs) runs of \(seconds) s; single thread")
    print("configuration   how                    median        min        max")
    for configuration in configurations where only == nil || only == configuration.name {
        var random = RandomSource(seed: 1)
        let model = CharacterModel(vocabulary: vocabulary, generator: .lstm, hiddenSizes: configuration.hiddenSizes,
                                   letterSize: configuration.letterSize, random: &random)
        if configuration.name == "lstm-100" {
            // Trained a little, so that its distributions are as peaked as a
            // real model's (top-p's cost depends on how many characters it keeps).
            let sentences = Sentences.split(corpus)
            let trainer = try! CharacterTrainer(model: model, sentences: sentences, random: random)
            for _ in 0..<300 { trainer.tick() }
        }
        model.network.decoderBias[Vocabulary.boundary, 0] = -30
        var seed: UInt64 = 0
        func generate(_ count: Int, topP: Float = 1) -> Int {
            seed &+= 100
            let options = SamplingOptions(temperature: 0.9, maxLength: length, topP: topP, seed: seed)
            let samples = try! model.generate(options, count: count)
            return samples.reduce(0) { $0 + $1.text.unicodeScalars.count }
        }
        func row(_ how: String, _ figures: (median: Double, min: Double, max: Double), _ unit: String) {
            print(configuration.name.padding(toLength: 16, withPad: " ", startingAt: 0)
                  + how.padding(toLength: 20, withPad: " ", startingAt: 0),
                  String(format: "%10.0f %10.0f %10.0f  %@", figures.median, figures.min, figures.max, unit))
        }
        let one = rate(seconds: seconds, runs: runs) { generate(1) }
        let sixteen = rate(seconds: seconds, runs: runs) { generate(16) }
        let nucleus = rate(seconds: seconds, runs: runs) { generate(16, topP: 0.95) }
        row("1 sample a call", one, "chars/s")
        row("16 samples a call", sixteen, "chars/s")
        row("16 a call, top-p .95", nucleus, "chars/s")
        // The same 16 samples as 16 calls: the time of 16 single calls against
        // one batched call, measured in adjacent pairs (a shared machine's
        // load drifts between the two halves of separate timings less).
        let pairs = pairedRatios(count: max(3 * runs, 15), { for _ in 0..<16 { _ = generate(1) } }, { _ = generate(16) })
        print(configuration.name.padding(toLength: 16, withPad: " ", startingAt: 0)
              + "16 calls / 1 call".padding(toLength: 20, withPad: " ", startingAt: 0),
              String(format: "%10.2fx faster: median of %d adjacent pairs (%.2fx to %.2fx; %.4f s / %.4f s)",
                     pairs.median, pairs.count, pairs.min, pairs.max, pairs.separate, pairs.together))
        if configuration.name == "lstm-100" {
            let beam = times(runs: runs) {
                _ = try! model.beamSearch(SamplingOptions(maxLength: length), beam: BeamSearchOptions(width: 8))
            }
            print(configuration.name.padding(toLength: 16, withPad: " ", startingAt: 0)
                  + "beam width 8".padding(toLength: 20, withPad: " ", startingAt: 0),
                  String(format: "%10.3f %10.3f %10.3f  s per search of %d characters", beam.median, beam.min, beam.max, length))
        }
    }
}

/// Median, minimum and maximum of `runs` rates of `work` (characters per call) over about `seconds` each.
private func rate(seconds: Double, runs: Int, _ work: () -> Int) -> (median: Double, min: Double, max: Double) {
    _ = work()
    var rates: [Double] = []
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        var characters = 0, elapsed = 0.0
        while elapsed < seconds {
            characters += work()
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        rates.append(Double(characters) / elapsed)
    }
    rates.sort()
    return (rates[rates.count / 2], rates.first!, rates.last!)
}

/// `count` pairs of one `slow` call then one `fast` call, after one warm-up
/// of each: the median, minimum and maximum of the pairs' time ratios, and
/// the median seconds of each.
private func pairedRatios(count: Int, _ slow: () -> Void, _ fast: () -> Void)
    -> (median: Double, min: Double, max: Double, count: Int, separate: Double, together: Double) {
    slow()
    fast()
    var ratios: [Double] = [], slows: [Double] = [], fasts: [Double] = []
    for _ in 0..<count {
        let start = DispatchTime.now().uptimeNanoseconds
        slow()
        let middle = DispatchTime.now().uptimeNanoseconds
        fast()
        let end = DispatchTime.now().uptimeNanoseconds
        slows.append(Double(middle - start) / 1e9)
        fasts.append(Double(end - middle) / 1e9)
        ratios.append(slows.last! / fasts.last!)
    }
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    return (median(ratios), ratios.min()!, ratios.max()!, count, median(slows), median(fasts))
}

/// Median, minimum and maximum seconds of `runs` calls of `work`, after one warm-up call.
private func times(runs: Int, _ work: () -> Void) -> (median: Double, min: Double, max: Double) {
    work()
    var seconds: [Double] = []
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        work()
        seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    seconds.sort()
    return (seconds[seconds.count / 2], seconds.first!, seconds.last!)
}
