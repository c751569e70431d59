/// One sample's progress in a ``SampleBatch``: its random generator, the text
/// so far, each character's log-probability and why it ended.
struct SampleTrack {
    var random: RandomSource
    /// The prime's rows then the generated ones (the repetition penalty's window).
    private(set) var rows: [Int]
    /// Generated characters, including any held back for a stop sequence.
    private(set) var generated: [Unicode.Scalar] = []
    /// `ln p` of each generated character, under the model at temperature 1.
    private(set) var logprobs: [Double] = []
    /// Per-character details when asked for.
    private(set) var tokens: [GeneratedToken]?
    /// `ln p(END)` when the sample ended there.
    private(set) var endLogprob: Double?
    /// Generated characters that can be handed out: not part of a possible stop sequence.
    private(set) var released = 0
    private(set) var finish: FinishReason?

    init(random: RandomSource, prime: [Int], details: Bool) {
        self.random = random
        rows = prime
        tokens = details ? [] : nil
    }

    /// Ends the sample before the next step (the maximum length is 0).
    mutating func end(_ reason: FinishReason) {
        finish = reason
        released = generated.count
    }

    /// Chooses the next character from column `column` of `logits` (its
    /// log-softmax normaliser `normaliser`), unless already `chosen` (from a
    /// draw of this sample's generator), and returns the row to feed next,
    /// or nil when the sample has ended.
    mutating func advance(_ logits: Matrix, column: Int, normaliser: Double, chosen: Int? = nil,
                          chooser: inout CharacterChooser, stops: StopSequences, vocabulary: Vocabulary,
                          maxLength: Int, alternatives: Int?) -> Int? {
        let row = chosen ?? chooser.choose(logits, column: column, recent: rows[...], random: &random)
        let scores = ColumnLogprobs(logits, column: column, normaliser: normaliser)
        let logprob = scores.logprob(row)
        let character = ColumnLogprobs.character(row, vocabulary)
        if let alternatives {
            tokens?.append(GeneratedToken(chosen: CharacterLogprob(character: character, logprob: logprob),
                                          top: scores.alternatives(alternatives, vocabulary: vocabulary)))
        }
        guard let character else {
            endLogprob = logprob
            end(.end)
            return nil
        }
        rows.append(row)
        generated.append(character)
        logprobs.append(logprob)
        if !stops.isEmpty, let length = stops.completed(generated) {
            // The stop sequence is not part of the text, nor of its log-probability.
            generated.removeLast(length)
            logprobs.removeLast(length)
            tokens?.removeLast(length)
            end(.stop)
            return nil
        }
        if generated.count >= maxLength {
            end(.length)
            return nil
        }
        released = generated.count - (stops.isEmpty ? 0 : stops.heldBack(generated))
        return row
    }

    /// The sample's log-probability: its characters' and END's, summed in order.
    var totalLogprob: Double { logprobs.reduce(0, +) + (endLogprob ?? 0) }

    /// The finished sample, `prime` first.
    func result(prime: String) -> GeneratedSample {
        GeneratedSample(text: String(prime, followedBy: generated), logprob: totalLogprob,
                        finishReason: finish ?? .length, tokens: tokens)
    }
}
