import Foundation
import Testing
@testable import Recurrent

/// Texts read from UTF-8 into one or two bytes per character: the same
/// vocabulary, windows, losses and weights as the `[Int]` encoding that came
/// before, and errors that name the byte offset.
@Suite struct EncodedTextTests {
    /// Letters, digits out of order, punctuation and newlines: under 256 symbols.
    static let narrowText = (0..<80).map { "line \(($0 * 7) % 10): the quick model reads row \($0 % 5), ü é.\n" }.joined()

    /// Over 300 distinct characters: ASCII, CJK (three bytes of UTF-8),
    /// emoji and a musical symbol outside the Basic Multilingual Plane (four
    /// bytes), so indices need two bytes.
    static let wideText: String = {
        let cjk = (0x4E00..<0x4F00).map { Unicode.Scalar($0)! }
        let emoji = (0x1F600..<0x1F640).map { Unicode.Scalar($0)! }
        let letters = Array("abcdefghij 0123456789\n".unicodeScalars) + cjk + emoji + ["\u{1D11E}"]
        var random = RandomSource(seed: 5)
        var scalars = String.UnicodeScalarView()
        // Every letter once (so the vocabulary is full), then a random text.
        scalars.append(contentsOf: letters)
        for _ in 0..<4000 { scalars.append(letters[random.nextIndex(below: letters.count)]) }
        return String(scalars)
    }()

    /// The windows of today's `[Int]` streams (the code they replaced),
    /// written out again over an array: the reference.
    static func referenceWindows(_ text: [Int], width requested: Int, steps: Int, passes: Int) -> [SequenceGrid] {
        let width = max(1, min(requested, text.count - 1)), length = text.count / width
        var grids: [SequenceGrid] = []
        for _ in 0..<passes {
            var offset = 0
            while offset < length {
                var grid = SequenceGrid()
                grid.reset(width: width)
                for step in 0..<min(steps, length - offset) {
                    let position = offset + step
                    grid.appendStep(inputs: (0..<width).map { position == 0 ? 0 : text[$0 * length + position - 1] },
                                    targets: (0..<width).map { text[$0 * length + position] })
                }
                offset += grid.steps
                grids.append(grid)
            }
        }
        return grids
    }

    @Test(arguments: [(narrowText, 1), (wideText, 2)])
    func vocabularyAndIndicesMatchTheArrayEncoding(text: String, width: Int) throws {
        let encoded = try EncodedText(text)
        let vocabulary = Vocabulary(sentences: [text])
        #expect(encoded.vocabulary == vocabulary)
        #expect(encoded.symbols.bytesPerSymbol == width)
        #expect(encoded.byteCount == text.utf8.count)
        #expect(Array(encoded.symbols.all) == (try vocabulary.encode(text).get()))
        // The same from a file, and from a given vocabulary.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("encoded-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(text.utf8).write(to: file)
        let fromFile = try EncodedText(contentsOfFile: file.path)
        #expect(fromFile.vocabulary == vocabulary && fromFile.symbols.all == encoded.symbols.all)
        let given = try EncodedText(contentsOfFile: file.path, vocabulary: vocabulary)
        #expect(given.symbols.all == encoded.symbols.all && given.symbols.bytesPerSymbol == width)
    }

    /// Pieces cut anywhere, inside characters too, give the same text.
    @Test(arguments: [1, 2, 3, 5, 64])
    func piecesMayEndInsideACharacter(pieceSize: Int) throws {
        let bytes = Array((Self.narrowText + Self.wideText).utf8)
        let encoder = TextEncoder(), counter = TextEncoder(keepsSymbols: false)
        for start in stride(from: 0, to: bytes.count, by: pieceSize) {
            let piece = Array(bytes[start..<min(bytes.count, start + pieceSize)])
            try piece.withUnsafeBytes { raw in
                try encoder.append(raw)
                try counter.append(raw)
            }
        }
        let pieced = try encoder.finish()
        let whole = try EncodedText(Self.narrowText + Self.wideText)
        #expect(pieced.vocabulary == whole.vocabulary && pieced.symbols.all == whole.symbols.all)
        #expect(pieced.byteCount == bytes.count && pieced.symbols.bytesPerSymbol == 2)
        // Checking and counting only gives the same vocabulary and counts.
        let summary = try counter.summary()
        #expect(summary == TextEncoder.Summary(vocabulary: whole.vocabulary, characterCount: whole.count, byteCount: bytes.count))
    }

    /// The streams hand out the reference's windows over two passes, and a
    /// trainer on the encoded text trains the weights the reference windows
    /// train (same costs, same weights after every tick, dropout included).
    @Test(arguments: [narrowText, wideText])
    func trainingMatchesTheArrayEncoding(text: String) throws {
        let encoded = try EncodedText(text)
        let vocabulary = encoded.vocabulary
        let all = try vocabulary.encode(text).get()
        let corpus = try TextCorpus(encoded: encoded, validationFraction: 0.1)
        let trainingCount = all.count - Int(Double(all.count) * 0.1)
        #expect(Array(corpus.training) == Array(all[..<trainingCount]))
        #expect(Array(corpus.validation) == Array(all[trainingCount...]))

        let steps = 13, width = 6
        let reference = Self.referenceWindows(Array(all[..<trainingCount]), width: width, steps: steps, passes: 2)
        var streams = TextStreams(text: corpus.training, width: width)
        var grid = SequenceGrid()
        for expected in reference {
            if !streams.nextWindow(into: &grid, steps: steps) { _ = streams.nextWindow(into: &grid, steps: steps) }
            #expect(grid.inputs == expected.inputs && grid.targets == expected.targets)
        }

        // The trainer on the encoded text against the reference windows run by hand, tick for tick.
        func model() -> CharacterModel {
            var random = RandomSource(seed: 3)
            return CharacterModel(vocabulary: vocabulary, generator: .lstm, hiddenSizes: [10, 8], letterSize: 5, random: &random)
        }
        let settings = TrainingSettings(learningRate: 0.01, batchSize: width, dropout: 0.2)
        let trainer = TextTrainer(model: model(), corpus: corpus, settings: settings,
                                  options: TextTrainingOptions(sequenceLength: steps, validationInterval: 0),
                                  random: RandomSource(seed: 9))
        let byHand = model(), solver = Solver()
        var random = RandomSource(seed: 9)
        let worker = WindowWorker(network: byHand.network, isReplica: false, columns: 0..<width, random: random)
        let windowsPerPass = reference.count / 2
        for (tick, window) in reference.enumerated() {
            if tick % windowsPerPass == 0 { worker.resetState() }
            worker.random = random
            worker.train(window, dropout: 0.2, sliced: false)
            random = worker.random
            _ = solver.step(byHand.network.parameters, learningRate: 0.01, regc: settings.regc, clipval: settings.clipval)
            let result = trainer.tick()
            #expect(result.cost == worker.cost, "tick \(tick): cost \(result.cost) vs \(worker.cost)")
            for (mine, theirs) in zip(trainer.model.network.parameters, byHand.network.parameters) {
                #expect(mine.matrix.valueArray == theirs.matrix.valueArray, "tick \(tick): \(mine.name)")
            }
        }
        #expect(trainer.completedEpochs == 1)
    }

    /// Losses and gradients of one window, encoded against the reference's
    /// windows, with one-byte and two-byte symbols.
    @Test(arguments: [narrowText, wideText])
    func gradientsMatchTheArrayEncoding(text: String) throws {
        let encoded = try EncodedText(text)
        let all = try encoded.vocabulary.encode(text).get()
        let reference = Self.referenceWindows(all, width: 4, steps: 20, passes: 1)
        var streams = TextStreams(text: encoded.symbols.all, width: 4)
        func network() -> RecurrentNetwork {
            var random = RandomSource(seed: 1)
            return RecurrentNetwork(generator: .gru, symbolCount: encoded.vocabulary.symbolCount, letterSize: 4,
                                    hiddenSizes: [6], random: &random)
        }
        let first = WindowWorker(network: network(), isReplica: false, columns: 0..<4, random: RandomSource(seed: 2))
        let second = WindowWorker(network: network(), isReplica: false, columns: 0..<4, random: RandomSource(seed: 2))
        var grid = SequenceGrid()
        for window in reference.prefix(3) {
            #expect(streams.nextWindow(into: &grid, steps: 20))
            first.train(window, dropout: 0, sliced: false)
            second.train(grid, dropout: 0, sliced: false)
            #expect(first.cost == second.cost && first.cost > 0)
            for (a, b) in zip(first.network.parameters, second.network.parameters) {
                #expect(a.matrix.gradientArray == b.matrix.gradientArray, "\(a.name)")
            }
            #expect(second.network.parameters.allSatisfy { $0.matrix.gradientArray.contains { $0 != 0 } },
                    "every parameter has a gradient")
        }
    }

    // MARK: Errors

    static func read(_ bytes: [UInt8], vocabulary: Vocabulary? = nil) throws -> EncodedText {
        try bytes.withUnsafeBytes { raw in try EncodedText(utf8: raw, vocabulary: vocabulary) }
    }

    @Test(arguments: [
        ([0x61, 0x62, 0x80, 0x63], 2),              // a continuation byte alone
        ([0x61, 0xC3], 1),                          // cut off by the end
        ([0x61, 0x62, 0x63, 0xC0, 0x80], 3),        // overlong NUL
        ([0x61, 0xED, 0xA0, 0x80], 1),              // a surrogate
        ([0xF0, 0x9F, 0x98, 0x80, 0xF5, 0x80], 4),  // an emoji, then a byte past U+10FFFF
        ([0x61, 0xE2, 0x28, 0xA1], 1),              // a bad second byte
        ([0xF0, 0x82, 0x82, 0xAC], 0),              // overlong four-byte form
    ] as [([UInt8], Int)])
    func invalidUTF8NamesTheByteOffset(bytes: [UInt8], offset: Int) {
        #expect(throws: TextReadError.invalidUTF8(byteOffset: offset)) { try Self.read(bytes) }
        #expect(TextReadError.invalidUTF8(byteOffset: offset).description.contains("byte offset \(offset)"))
    }

    @Test func binaryFilesAndEmptyTextsAreRefused() throws {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47]   // 0x89 cannot lead a UTF-8 sequence
        #expect(throws: TextReadError.invalidUTF8(byteOffset: 0)) { try Self.read(png) }
        let elf: [UInt8] = Array("ELF".utf8) + [0x02, 0x01]
        #expect(throws: TextReadError.notText(byteOffset: 3, character: "\u{02}")) { try Self.read(elf) }
        #expect(throws: TextReadError.notText(byteOffset: 6, character: "\u{00}")) { try Self.read(Array("héllo".utf8) + [0]) }
        #expect(throws: TextReadError.empty) { try Self.read([]) }
        #expect(TextReadError.empty.description.contains("byte offset 0"))
        // Tab, newline, carriage return, form feed and escape are text.
        let text = try Self.read(Array("a\tb\r\n\u{0C}\u{1B}[1m".utf8))
        #expect(text.count == 10)
        // A JSON string's text keeps every scalar, NUL included.
        #expect(try EncodedText("a\u{0}b").count == 3)
    }

    @Test func aGivenVocabularyRefusesOtherCharacters() throws {
        let vocabulary = Vocabulary(sentences: ["the cät"])
        #expect(throws: TextReadError.unknownCharacter("Z", byteOffset: 9, characterOffset: 8)) {
            try Self.read(Array("the cät Z".utf8), vocabulary: vocabulary)
        }
        #expect(throws: TextReadError.self) { try EncodedText(contentsOfFile: "/nonexistent/text.txt") }
        #expect(throws: TextReadError.self) { try EncodedText(contentsOfFile: FileManager.default.temporaryDirectory.path) }
    }
}
