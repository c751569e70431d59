import Foundation
import Testing
@testable import Recurrent

/// Model JSON (as in the original library): lossless round trips, both `w` forms, files
/// without solver state, and a named rejection for each kind of bad file.
@Suite struct ModelFileTests {
    static let sentences = ["hello world", "a 2nd line: ok!", "quotes \" and \\ too"]

    func trainedModel(_ generator: Generator, optimizer: Optimizer = .rmsprop) throws -> (CharacterModel, Solver) {
        var random = RandomSource(seed: 11)
        let model = CharacterModel(vocabulary: Vocabulary(sentences: Self.sentences), generator: generator,
                                   hiddenSizes: [7, 4], letterSize: 3, random: &random)
        let trainer = try CharacterTrainer(model: model, sentences: Self.sentences, solver: Solver(optimizer: optimizer),
                                           random: random)
        for _ in 0..<5 { trainer.tick() }
        return (model, trainer.solver)
    }

    func parse(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func reload(_ object: Any) throws(ModelFileError) -> LoadedModel {
        let data = try! JSONSerialization.data(withJSONObject: object)
        return try ModelFile.load(data)
    }

    @Test(arguments: [(Generator.lstm, Optimizer.rmsprop), (.rnn, .rmsprop), (.gru, .rmsprop), (.lstm, .adam)])
    func exportThenImportIsLossless(generator: Generator, optimizer: Optimizer) throws {
        let (model, solver) = try trainedModel(generator, optimizer: optimizer)
        let text = try ModelFile.export(model, solver: solver)
        let loaded = try ModelFile.load(Data(text.utf8))
        #expect(loaded.hadSolverState)
        #expect(loaded.model.vocabulary == model.vocabulary)
        #expect(loaded.model.generator == generator)
        #expect(loaded.model.hiddenSizes == [7, 4])
        #expect(loaded.solver.optimizer == optimizer)
        for (mine, theirs) in zip(model.network.parameters, loaded.model.network.parameters) {
            #expect(mine.name == theirs.name)
            #expect(mine.matrix.valueArray == theirs.matrix.valueArray, "\(mine.name)")
            switch optimizer {
            case .rmsprop:
                #expect(solver.stepCache[mine.name]!.valueArray == loaded.solver.stepCache[mine.name]!.valueArray)
            case .adam:
                #expect(solver.firstMoments[mine.name]!.valueArray == loaded.solver.firstMoments[mine.name]!.valueArray)
                #expect(solver.secondMoments[mine.name]!.valueArray == loaded.solver.secondMoments[mine.name]!.valueArray)
                #expect(loaded.solver.adamSteps == solver.adamSteps)
            }
        }
        // Exporting the import gives the same bytes.
        #expect(try ModelFile.export(loaded.model, solver: loaded.solver) == text)
    }

    @Test func indexKeyedWeightsWithoutSolverAndExtraFieldsLoad() throws {
        let (model, solver) = try trainedModel(.lstm)
        var root = try parse(ModelFile.export(model, solver: solver))
        var matrices = root["model"] as! [String: Any]
        for (name, value) in matrices {
            var matrix = value as! [String: Any]
            let values = matrix["w"] as! [Any]
            matrix["w"] = Dictionary(uniqueKeysWithValues: values.enumerated().map { (String($0.offset), $0.element) })
            matrices[name] = matrix
        }
        root["model"] = matrices
        root["solver"] = nil
        root["optimizer"] = nil
        root["something_new"] = ["nested": [1, 2, 3]]
        let loaded = try reload(root)
        #expect(!loaded.hadSolverState)
        #expect(loaded.solver.stepCache.isEmpty)
        for (mine, theirs) in zip(model.network.parameters, loaded.model.network.parameters) {
            #expect(mine.matrix.valueArray == theirs.matrix.valueArray)
        }
        let sentence = try model.vocabulary.encode("hello world").get()
        #expect(loaded.model.cost(ofEncoded: sentence) == model.cost(ofEncoded: sentence))
    }

    /// A file in the original's own form (index-keyed `w`, no solver, no
    /// optimizer field) built from the reference vector scores the reference cost.
    @Test func fileInTheOriginalsFormGivesTheOriginalsCost() throws {
        let vector = try Fixtures.json("one_tick_lstm_20_20.json")
        let letterToIndex = vector["letterToIndex"] as! [String: NSNumber]
        var indexToLetter: [String: String] = [:], vocab: [String] = Array(repeating: "", count: letterToIndex.count)
        for (letter, index) in letterToIndex {
            indexToLetter[String(index.intValue)] = letter
            vocab[index.intValue - 1] = letter
        }
        var model: [String: Any] = [:]
        for (name, value) in vector["weights_before"] as! [String: [String: Any]] {
            let values = value["v"] as! [NSNumber]
            model[name] = ["n": value["n"]!, "d": value["d"]!,
                           "w": Dictionary(uniqueKeysWithValues: values.enumerated().map { (String($0.offset), $0.element) })]
        }
        let file: [String: Any] = ["generator": "lstm", "hidden_sizes": [20, 20], "letter_size": 5, "model": model,
                                   "letterToIndex": letterToIndex, "indexToLetter": indexToLetter, "vocab": vocab]
        let loaded = try reload(file)
        let sentence = try loaded.model.vocabulary.encode(vector["sentence"] as! String).get()
        expectClose(loaded.model.cost(ofEncoded: sentence), (vector["cost"] as! NSNumber).doubleValue, relative: 1e-5, "cost")
    }

    @Test(arguments: [
        ("generator", "unknown generator"),
        ("hidden_sizes", "hidden_sizes"),
        ("letter_size", "letter_size"),
        ("model.Wix0.w", "has 20 values"),
        ("model.Wix0", "is 3x3"),
        ("model.Wfh1", "missing"),
        ("model.Extra0", "is not a parameter"),
        ("model.bd.w[2]", "finite"),
        ("model.Whd.w", "must be an array"),
        ("indexToLetter.2", "does not agree"),
        ("letterToIndex", "single character"),
        ("letterToIndex.h", "index"),
        ("vocab", "same characters"),
        ("solver.step_cache.Wil", "is 1x1"),
        ("optimizer", "unknown optimizer"),
    ])
    func malformedFilesAreRejectedNamingTheField(field: String, fragment: String) throws {
        let (model, solver) = try trainedModel(.lstm)
        var root = try parse(ModelFile.export(model, solver: solver))
        var matrices = root["model"] as! [String: Any]
        func edit(_ name: String, _ change: (inout [String: Any]) -> Void) {
            var matrix = matrices[name] as! [String: Any]
            change(&matrix)
            matrices[name] = matrix
        }
        switch field {
        case "generator": root["generator"] = "transformer"
        case "hidden_sizes": root["hidden_sizes"] = [7, "four"]
        case "letter_size": root["letter_size"] = 0
        case "model.Wix0.w": edit("Wix0") { $0["w"] = Array(($0["w"] as! [Any]).dropLast(1)) }
        case "model.Wix0": edit("Wix0") { $0["n"] = 3; $0["d"] = 3 }
        case "model.Wfh1": matrices["Wfh1"] = nil
        case "model.Extra0": matrices["Extra0"] = matrices["bd"]
        case "model.bd.w[2]": edit("bd") { var w = $0["w"] as! [Any]; w[2] = "NaN"; $0["w"] = w }
        case "model.Whd.w": edit("Whd") { $0["w"] = "zeros" }
        case "indexToLetter.2":
            var mapping = root["indexToLetter"] as! [String: Any]
            mapping["2"] = "#"
            root["indexToLetter"] = mapping
        case "letterToIndex":
            var mapping = root["letterToIndex"] as! [String: Any]
            let index = mapping.removeValue(forKey: "h")!
            mapping["hh"] = index
            root["letterToIndex"] = mapping
        case "letterToIndex.h":
            var mapping = root["letterToIndex"] as! [String: Any]
            mapping["h"] = 999
            root["letterToIndex"] = mapping
        case "vocab": root["vocab"] = ["x"]
        case "solver.step_cache.Wil":
            var solverJSON = root["solver"] as! [String: Any]
            var cache = solverJSON["step_cache"] as! [String: Any]
            cache["Wil"] = ["n": 1, "d": 1, "w": [0]]
            solverJSON["step_cache"] = cache
            root["solver"] = solverJSON
        default: root["optimizer"] = "sgd"
        }
        root["model"] = matrices
        do {
            _ = try reload(root)
            Issue.record("accepted a file with a bad \(field)")
        } catch {
            #expect(error.field.hasPrefix(field), "field \(error.field) for \(field): \(error)")
            #expect(error.description.contains(fragment), "\(error)")
        }
    }

    @Test func hugeClaimedShapesAreRefusedBeforeAllocating() throws {
        let (model, solver) = try trainedModel(.lstm)
        var root = try parse(ModelFile.export(model, solver: solver))
        root["hidden_sizes"] = [100_000, 100_000]
        do {
            _ = try reload(root)
            Issue.record("accepted a network of 10^10 parameters")
        } catch {
            #expect(error.field == "hidden_sizes")
            #expect(error.message.contains("parameters"))
        }
    }

    @Test func notJSONAndNonObjectsAreRejected() {
        #expect(throws: ModelFileError.self) { try ModelFile.load(Data("{not json".utf8)) }
        #expect(throws: ModelFileError.self) { try ModelFile.load(Data("[1, 2]".utf8)) }
        #expect(throws: ModelFileError.self) { try ModelFile.load(Data("{}".utf8)) }
    }

    @Test func nonFiniteWeightsAreNotExported() throws {
        let (model, _) = try trainedModel(.rnn)
        model.network.decoderBias.values[0] = .nan
        #expect(throws: ModelFileError.self) { try ModelFile.export(model) }
    }

    @Test func grusAndUnusualCharactersRoundTrip() throws {
        let sentences = ["tab\there", "emoji 🙂 and é", "control \u{1} char", "<script>alert(1)</script>"]
        var random = RandomSource(seed: 2)
        let model = CharacterModel(vocabulary: Vocabulary(sentences: sentences), generator: .gru, hiddenSizes: [5],
                                   letterSize: 2, random: &random)
        let loaded = try ModelFile.load(Data(try ModelFile.export(model).utf8))
        #expect(loaded.model.vocabulary == model.vocabulary)
        #expect(loaded.model.vocabulary.index(of: "🙂") != nil)
    }
}
