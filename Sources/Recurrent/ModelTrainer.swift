/// What every trainer offers, whatever its corpus: ticks, settings that may
/// change between ticks, and (for corpora with a validation part) validation.
public protocol ModelTrainer: AnyObject, Sendable {
    /// The model being trained.
    var model: CharacterModel { get }
    /// The solver and its state.
    var solver: Solver { get }
    /// Settings used by the next tick.
    var settings: TrainingSettings { get set }
    /// The trainer's random generator (sentence choice, dropout).
    var random: RandomSource { get set }
    /// Ticks run so far.
    var ticks: Int { get set }
    /// Passes over the training data so far.
    var epoch: Double { get }
    /// The latest validation; nil when the corpus has no validation part.
    var latestValidation: ValidationResult? { get }
    /// The validation with the lowest loss so far.
    var bestValidation: ValidationResult? { get }
    /// A copy of the weights at ``bestValidation``.
    var bestModel: CharacterModel? { get }
    /// One training step.
    @discardableResult func tick() -> TickResult
}

extension CharacterTrainer: ModelTrainer {
    /// Sentence corpora have no validation part.
    public var latestValidation: ValidationResult? { nil }
    /// Sentence corpora have no validation part.
    public var bestValidation: ValidationResult? { nil }
    /// No validation, so no best weights apart from the current ones.
    public var bestModel: CharacterModel? { nil }
}

extension TextTrainer: ModelTrainer {}
