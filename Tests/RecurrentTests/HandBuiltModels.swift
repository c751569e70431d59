import Foundation
@testable import Recurrent

/// Small models whose next-character distributions are set by hand.
enum HandBuiltModels {
    /// A model whose logits are `logits` (END first, then `letters`) at every
    /// step, whatever came before: every weight is zero but the decoder's bias.
    static func constant(letters: String, logits: [Float]) -> CharacterModel {
        let vocabulary = Vocabulary(letters: Array(letters.unicodeScalars))
        precondition(logits.count == vocabulary.symbolCount)
        let network = RecurrentNetwork(generator: .rnn, symbolCount: vocabulary.symbolCount, letterSize: 1, hiddenSizes: [1])
        network.decoderBias.setValues(logits)
        return CharacterModel(vocabulary: vocabulary, network: network)
    }

    /// A bigram model: the logits after row `previous` (0: START) are
    /// `table(previous)`, END first. An RNN whose embedding and input weights
    /// are identities carries the previous input as a one-hot hidden state
    /// (relu keeps it exact), and the decoder's column `previous` holds the logits.
    static func bigram(letters: String, table: (Int) -> [Float]) -> CharacterModel {
        let vocabulary = Vocabulary(letters: Array(letters.unicodeScalars))
        let size = vocabulary.symbolCount
        let network = RecurrentNetwork(generator: .rnn, symbolCount: size, letterSize: size, hiddenSizes: [size])
        let inputWeights = network.parameter(named: "Wxh0")!
        for index in 0..<size {
            network.embedding[index, index] = 1
            inputWeights[index, index] = 1
        }
        for previous in 0..<size {
            let logits = table(previous)
            precondition(logits.count == size)
            for next in 0..<size { network.decoderWeights[next, previous] = logits[next] }
        }
        return CharacterModel(vocabulary: vocabulary, network: network)
    }

    /// Natural logarithms of probabilities, as logits.
    static func logits(_ probabilities: [Double]) -> [Float] {
        probabilities.map { Float(log($0)) }
    }
}
