import Foundation
import Testing
@testable import Recurrent

/// One training tick of the original library (shared/testvectors), reproduced.
@Suite struct ReferenceVectorTests {
    @Test(arguments: ["one_tick_lstm_20_20.json", "one_tick_rnn_8_6.json"])
    func oneTickMatchesTheOriginal(file: String) throws {
        let vector = try Fixtures.json(file)
        let generator = try #require(Generator(rawValue: vector["generator"] as! String))
        let hiddenSizes = (vector["hidden_sizes"] as! [NSNumber]).map(\.intValue)
        let letterSize = (vector["letter_size"] as! NSNumber).intValue
        let letterToIndex = vector["letterToIndex"] as! [String: NSNumber]
        var letters = [Unicode.Scalar](repeating: " ", count: letterToIndex.count)
        for (letter, index) in letterToIndex { letters[index.intValue - 1] = letter.unicodeScalars.first! }
        let vocabulary = Vocabulary(letters: letters)
        let network = RecurrentNetwork(generator: generator, symbolCount: vocabulary.symbolCount,
                                       letterSize: letterSize, hiddenSizes: hiddenSizes)
        let before = vector["weights_before"] as! [String: [String: Any]]
        let grads = vector["grads"] as! [String: [String: Any]]
        let after = vector["weights_after"] as! [String: [String: Any]]
        #expect(Set(before.keys) == Set(network.parameters.map(\.name)))
        for parameter in network.parameters {
            let json = try #require(before[parameter.name])
            #expect((json["n"] as! NSNumber).intValue == parameter.matrix.rows)
            #expect((json["d"] as! NSNumber).intValue == parameter.matrix.columns)
            parameter.matrix.setValues((json["v"] as! [NSNumber]).map(\.floatValue))
        }
        let model = CharacterModel(vocabulary: vocabulary, network: network)
        let sentence = vector["sentence"] as! String
        let trainer = try CharacterTrainer(model: model, sentences: [sentence], random: RandomSource(seed: 1))
        let (cost, predictions) = trainer.accumulateGradients(trainer.sentences)
        #expect(predictions == sentence.count + 1)
        expectClose(cost, (vector["cost"] as! NSNumber).doubleValue, relative: 1e-5, "cost")
        for parameter in network.parameters {
            let expected = (grads[parameter.name]!["v"] as! [NSNumber]).map(\.doubleValue)
            expectClose(parameter.matrix.gradientArray, expected, relative: 1e-4, absolute: 1e-6, "gradient of \(parameter.name)")
        }
        let learningRate = (vector["lr"] as! NSNumber).floatValue
        let regc = (vector["regc"] as! NSNumber).floatValue
        let clipval = (vector["clipval"] as! NSNumber).floatValue
        trainer.solver.step(network.parameters, learningRate: learningRate, regc: regc, clipval: clipval)
        for parameter in network.parameters {
            let expected = (after[parameter.name]!["v"] as! [NSNumber]).map(\.doubleValue)
            expectClose(parameter.matrix.valueArray, expected, relative: 1e-5, absolute: 1e-7, "weights after \(parameter.name)")
        }
    }
}
