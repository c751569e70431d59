/// Several samples drawn together: each is a column of one batch, so every
/// step runs one matrix-matrix product per layer for all of them instead of
/// one matrix-vector product per sample. A finished sample leaves the batch.
///
/// Each sample has its own random generator, so it comes out as it would
/// alone with that generator (up to the last bits of the products' rounding,
/// which can differ between a batch and a single column).
final class SampleBatch {
    let model: CharacterModel
    let options: SamplingOptions
    private let stops: StopSequences
    private let stepper: BatchStepper
    /// Everything a step changes, changed in one mutating call: a class's
    /// stored arrays were checked for exclusive access at every element, a
    /// noticeable share of a batched step.
    private var columns: SampleColumns

    /// A batch with one sample per generator; throws
    /// ``Vocabulary/UnknownCharacter`` for a prime outside the vocabulary.
    init(model: CharacterModel, options: SamplingOptions, randoms: [RandomSource]) throws {
        precondition(!randoms.isEmpty, "a batch needs at least one sample")
        precondition(options.temperature > 0 && options.temperature.isFinite, "temperature must be positive")
        self.model = model
        self.options = options
        let prime = try model.vocabulary.encode(options.prime).get()
        stops = StopSequences(options.stop)
        // The prime is the same for every sample: fed once, then copied to each column.
        stepper = BatchStepper(network: model.network)
        var input = Vocabulary.boundary
        for row in prime {
            _ = stepper.feed([input])
            input = row
        }
        var tracks = randoms.map { SampleTrack(random: $0, prime: prime, details: options.logprobs != nil) }
        var active: [Int] = []
        if options.maxLength <= 0 {
            for index in tracks.indices { tracks[index].end(.length) }
        } else {
            active = Array(tracks.indices)
            if tracks.count > 1 { stepper.select(columns: Array(repeating: 0, count: tracks.count)) }
        }
        columns = SampleColumns(tracks: tracks, active: active, inputs: Array(repeating: input, count: active.count),
                                chooser: CharacterChooser(options: options, vocabulary: model.vocabulary))
    }

    /// Every sample's progress, in order.
    var tracks: [SampleTrack] { columns.tracks }

    /// Whether every sample has ended.
    var isFinished: Bool { columns.active.isEmpty }

    /// Generates one more character for every unfinished sample.
    func step() {
        guard !isFinished else { return }
        let logits = stepper.feed(columns.inputs)
        if let staying = columns.advance(logits, stops: stops, vocabulary: model.vocabulary, options: options),
           !staying.isEmpty {
            stepper.select(columns: staying)
        }
    }

    /// Runs every sample to its end and returns them in order.
    func run() -> [GeneratedSample] {
        while !isFinished { step() }
        return tracks.map { $0.result(prime: options.prime) }
    }
}

/// A ``SampleBatch``'s samples and each step's scratch.
private struct SampleColumns {
    var tracks: [SampleTrack]
    /// The unfinished tracks, in the batch's column order.
    var active: [Int]
    /// The row each active column feeds next.
    var inputs: [Int]
    var chooser: CharacterChooser
    /// Each column's log-softmax normaliser at this step.
    var normalisers: [Double] = []
    /// Each column's uniform draw and drawn row, when drawn at once.
    var draws: [Float] = [], chosen: [Int] = []

    /// Chooses every active column's next character from `logits`; returns
    /// the columns that stay when some sample ended (the batch's next
    /// columns), nil when all go on.
    mutating func advance(_ logits: Matrix, stops: StopSequences, vocabulary: Vocabulary,
                          options: SamplingOptions) -> [Int]? {
        chooser.prepare(logits, normalisers: &normalisers)
        let atOnce = chooser.drawsAtOnce
        if atOnce {
            // Plain sampling takes one draw from each sample's generator, as choose would.
            draws.removeAll(keepingCapacity: true)
            for track in active { draws.append(tracks[track].random.nextUnitFloat()) }
            chooser.draw(draws, into: &chosen)
        }
        var finished = false
        for (column, track) in active.enumerated() {
            if let next = tracks[track].advance(logits, column: column, normaliser: normalisers[column],
                                                chosen: atOnce ? chosen[column] : nil,
                                                chooser: &chooser, stops: stops, vocabulary: vocabulary,
                                                maxLength: options.maxLength, alternatives: options.logprobs) {
                inputs[column] = next
            } else {
                finished = true
            }
        }
        guard finished else { return nil }
        let staying = active.indices.filter { tracks[active[$0]].finish == nil }
        active = staying.map { active[$0] }
        inputs = staying.map { inputs[$0] }
        return staying
    }
}

extension CharacterModel {
    /// `count` samples drawn together as the columns of one batch (see
    /// ``SamplingOptions`` for the order the settings apply in). Sample `i`
    /// draws from `RandomSource(seed: seed &+ i)`, `seed` being
    /// ``SamplingOptions/seed`` or one drawn from the system, so it equals
    /// the single sample of a call with seed `seed &+ i`.
    ///
    /// Throws ``InvalidSamplingOption`` for a setting out of range and
    /// ``Vocabulary/UnknownCharacter`` for a prime outside the vocabulary.
    public func generate(_ options: SamplingOptions, count: Int = 1) throws -> [GeneratedSample] {
        precondition(count >= 1, "count must be at least 1")
        try options.validate()
        var system = SystemRandomNumberGenerator()
        let seed = options.seed ?? system.next()
        let randoms = (0..<count).map { RandomSource(seed: seed &+ UInt64($0)) }
        return try SampleBatch(model: self, options: options, randoms: randoms).run()
    }
}
