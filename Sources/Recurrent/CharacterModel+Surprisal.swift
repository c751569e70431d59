extension CharacterModel {
    /// `−ln p` of each of an encoded sentence's `n + 1` predictions (its
    /// characters, then END), computed as ``cost(ofEncoded:)`` does, which is
    /// their sum: how surprising the model finds each character.
    public func surprisals(ofEncoded sentence: [Int]) -> [Double] {
        let stepper = InferenceStepper(network: network)
        var surprisals: [Double] = []
        surprisals.reserveCapacity(sentence.count + 1)
        for position in -1..<sentence.count {
            let input = position < 0 ? Vocabulary.boundary : sentence[position]
            let target = position == sentence.count - 1 ? Vocabulary.boundary : sentence[position + 1]
            let probabilities = stepper.feed(input)
            // The same floor as the cost: a probability rounded to 0 would be infinitely surprising.
            surprisals.append(-log(max(Double(probabilities[target]), Double(Float.leastNormalMagnitude))))
        }
        return surprisals
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
