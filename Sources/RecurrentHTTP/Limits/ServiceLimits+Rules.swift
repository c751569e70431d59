import Recurrent
import RecurrentStore

/// One rule per limit, each with its message, used by create, import,
/// patch and the inference calls alike.
extension ServiceLimits {
    /// `hidden_sizes`: 1 to ``maxLayers`` sizes, each in ``hiddenSizes``.
    func checkHiddenSizes(_ sizes: [Int]) throws(APIError) {
        guard !sizes.isEmpty, sizes.count <= maxLayers else {
            throw APIError.invalid("hidden_sizes", "must list 1 to \(maxLayers) layer sizes (got \(sizes.count))")
        }
        for (index, size) in sizes.enumerated() where !hiddenSizes.contains(size) {
            throw APIError.invalid("hidden_sizes[\(index)]", "must be in \(hiddenSizes.lowerBound)...\(hiddenSizes.upperBound) (got \(size))")
        }
    }

    /// `letter_size` in ``letterSizes``.
    func checkLetterSize(_ size: Int) throws(APIError) {
        guard letterSizes.contains(size) else {
            throw APIError.invalid("letter_size", "must be in \(letterSizes.lowerBound)...\(letterSizes.upperBound) (got \(size))")
        }
    }

    /// A rate, temperature or clip value in ``positiveRange``.
    static func checkPositive(_ number: Double, field: String) throws(APIError) {
        guard positiveRange.contains(number) else {
            throw APIError.invalid(field, "must be a number in 1e-30...1e30 (got \(number))")
        }
    }

    /// `regc` in 0...``positiveRange``'s upper bound.
    static func checkRegc(_ number: Double) throws(APIError) {
        guard (0...positiveRange.upperBound).contains(number) else {
            throw APIError.invalid("regc", "must be a number in 0...1e30 (got \(number))")
        }
    }

    /// `max_ticks` at least 1.
    static func checkMaxTicks(_ ticks: Int) throws(APIError) {
        guard ticks >= 1 else { throw APIError.invalid("max_ticks", "must be an integer >= 1 (got \(ticks))") }
    }

    /// `seed` at least 0.
    static func checkSeed(_ seed: Int) throws(APIError) -> UInt64 {
        guard seed >= 0 else { throw APIError.invalid("seed", "must be an integer >= 0") }
        return UInt64(seed)
    }

    /// `name`: at most ``maxNameLength`` characters, no U+0000.
    static func checkName(_ name: String) throws(APIError) {
        guard name.unicodeScalars.count <= maxNameLength else {
            throw APIError.invalid("name", "must be at most \(maxNameLength) characters")
        }
        try refuseNUL(name, field: "name")
    }

    /// U+0000 is refused in what the service stores as text: SQLite's driver
    /// here ends text at it, so a name or a recorded sample would come back
    /// cut short.
    static func refuseNUL(_ text: String, field: String) throws(APIError) {
        guard let offset = text.unicodeScalars.firstIndex(of: "\u{0}") else { return }
        let position = text.unicodeScalars.distance(from: text.unicodeScalars.startIndex, to: offset)
        throw APIError.invalid(field, "must not contain the character U+0000 (found at position \(position))")
    }

    /// An integer setting in `range`.
    static func checkInteger(_ number: Int, in range: ClosedRange<Int>, field: String) throws(APIError) {
        guard range.contains(number) else {
            throw APIError.invalid(field, "must be an integer in \(range.lowerBound)...\(range.upperBound) (got \(number))")
        }
    }

    /// `batch_size` in 1...``maxBatchSize``.
    func checkBatchSize(_ size: Int) throws(APIError) { try Self.checkInteger(size, in: 1...maxBatchSize, field: "batch_size") }
    /// `seq_length` in 1...``maxSequenceLength``.
    func checkSequenceLength(_ length: Int) throws(APIError) { try Self.checkInteger(length, in: 1...maxSequenceLength, field: "seq_length") }
    /// `val_interval` in ``validationIntervals``.
    static func checkValidationInterval(_ interval: Int) throws(APIError) { try checkInteger(interval, in: validationIntervals, field: "val_interval") }

    /// `val_fraction` and `dropout`: in [0, ``maxFraction``].
    static func checkFraction(_ number: Double, field: String) throws(APIError) {
        guard number.isFinite, number <= maxFraction, number >= 0 else {
            throw APIError.invalid(field, "must be a number in [0, \(maxFraction)] (got \(number))")
        }
    }

    /// `lr_decay` in (0, 1].
    static func checkLearningRateDecay(_ decay: Double) throws(APIError) {
        guard decay.isFinite, decay > 0, decay <= 1 else {
            throw APIError.invalid("lr_decay", "must be a number in (0, 1] (got \(decay))")
        }
    }

    /// A corpus (or evaluated text) of at most ``maxCorpusBytes``.
    func checkCorpusSize(_ bytes: Int, field: String, what: String = "corpus") throws(APIError) {
        guard bytes <= maxCorpusBytes else {
            throw APIError(.unprocessableContent, code: "corpus_too_large",
                           "the \(what) is \(bytes) bytes, more than the limit of \(maxCorpusBytes)", field: field)
        }
    }

    /// `generate`'s `count` in 1...``maxGenerateCount``.
    func checkGenerateCount(_ count: Int) throws(APIError) {
        guard (1...maxGenerateCount).contains(count) else {
            throw APIError.invalid("count", "must be in 1...\(maxGenerateCount) (got \(count))")
        }
    }

    /// `generate`'s `max_length` in 1...``maxGenerateLength``.
    func checkGenerateLength(_ length: Int) throws(APIError) {
        guard (1...maxGenerateLength).contains(length) else {
            throw APIError.invalid("max_length", "must be in 1...\(maxGenerateLength) (got \(length))")
        }
    }

    /// `predict`'s `context` of at most ``maxGenerateLength`` characters.
    func checkContextLength(_ context: String) throws(APIError) {
        guard context.unicodeScalars.count <= maxGenerateLength else {
            throw APIError.invalid("context", "must be at most \(maxGenerateLength) characters")
        }
    }

    /// `predict`'s `top_k` in 1...``maxTopK``.
    func checkTopK(_ topK: Int) throws(APIError) {
        guard (1...maxTopK).contains(topK) else { throw APIError.invalid("top_k", "must be in 1...\(maxTopK) (got \(topK))") }
    }

    /// The list endpoints' `limit` range.
    var pageSizes: ClosedRange<Int> { 1...maxPageSize }
}
