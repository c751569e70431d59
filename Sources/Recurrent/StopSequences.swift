/// The stop sequences of a sample: generation ends as soon as the generated
/// text ends with one of them, and the sequence is left out of the text.
///
/// While the text ends with the beginning of a sequence, those characters may
/// still turn out to be part of it, so a streaming reader is handed only the
/// characters before them (``heldBack(_:)``).
struct StopSequences: Sendable {
    /// Each sequence's characters (Unicode scalars, as the vocabulary counts them).
    let sequences: [[Unicode.Scalar]]

    init(_ sequences: [String]) {
        self.sequences = sequences.map { Array($0.unicodeScalars) }.filter { !$0.isEmpty }
    }

    var isEmpty: Bool { sequences.isEmpty }

    /// The length of the sequence `text` ends with, the longest when several
    /// do (it starts first), or nil.
    func completed(_ text: [Unicode.Scalar]) -> Int? {
        var found: Int?
        for sequence in sequences where sequence.count <= text.count && sequence.count > (found ?? 0) {
            if text.suffix(sequence.count).elementsEqual(sequence) { found = sequence.count }
        }
        return found
    }

    /// How many characters at the end of `text` are the beginning of some
    /// sequence (shorter than it), so cannot be handed out yet.
    func heldBack(_ text: [Unicode.Scalar]) -> Int {
        var held = 0
        for sequence in sequences {
            var length = min(sequence.count - 1, text.count)
            while length > held {
                if text.suffix(length).elementsEqual(sequence.prefix(length)) {
                    held = length
                    break
                }
                length -= 1
            }
        }
        return held
    }
}
