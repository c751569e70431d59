/// Every limit on what one request may ask for, each declared once with its
/// meaning. Validation (``ServiceLimits`` rules), the OpenAPI document and the
/// README's limits table state the same values; tests check that they agree.
/// Each violation is answered with a 4xx error naming the field.
public struct ServiceLimits: Sendable {
    // MARK: Configurable (`recurrent serve` flags)

    /// Largest request body in bytes (16 MiB); past it the answer is 413.
    public var maxBodyBytes = 16 * 1024 * 1024
    /// Largest training corpus (`text`, `sentences`, `evaluate`'s text) in
    /// bytes of UTF-8 (10 MB); past it 422 `corpus_too_large`.
    public var maxCorpusBytes = 10_000_000
    /// Largest corpus uploaded on its own (`POST /api/corpora`, streamed to
    /// storage, never held in memory), in bytes (1 GiB); past it 413
    /// `corpus_too_large`, after reading at most this many bytes.
    public var maxUploadBytes = 1 << 30
    /// Threads each text-corpus job trains with: its streams are split
    /// among them (at least 8 streams each) and BLAS stays single-threaded
    /// inside them. nil (the default): the cores this process may use,
    /// shared among the jobs training at the moment (``CoreShare``). The
    /// memory budget counts a weight copy per extra thread, at the most a job
    /// can get.
    public var jobThreads: Int?

    // MARK: Model shape

    /// Allowed size of each hidden layer (`hidden_sizes[i]`).
    public var hiddenSizes = 1...1024
    /// Most hidden layers (`hidden_sizes` holds 1 to this many).
    public var maxLayers = 8
    /// Allowed letter (embedding) size (`letter_size`).
    public var letterSizes = 1...512
    /// Most memory one model may need while training (2 GiB): parameters
    /// times 4 bytes times (weights, gradients, solver state, snapshot,
    /// best weights, checkpoint copy) plus the working memory of one tick
    /// (`MemoryEstimate` in the engine).
    public var memoryBudgetBytes = 2 * 1024 * 1024 * 1024

    // MARK: Training settings

    /// Largest `batch_size` of a model.
    public var maxBatchSize = 1024
    /// Largest `seq_length` (window) of a text-corpus model.
    public var maxSequenceLength = 4096
    /// Allowed `val_interval` (ticks between validations; 0: never).
    public static let validationIntervals = 0...1_000_000
    /// Allowed `warmup_ticks` (0: no warm-up).
    public static let warmupTicks = 0...1_000_000_000
    /// Allowed `early_stop` (validations without a new best; 0: never).
    public static let earlyStopValidations = 0...100_000
    /// Largest `val_fraction` and `dropout`: a JSON parser may round
    /// 0.9999999999999999 to 1, which would hold out the whole text or drop
    /// every input.
    public static let maxFraction = 0.99
    /// Allowed learning rates, temperatures and clip values: well inside
    /// Float's range, where the engine computes. `regc` may also be 0.
    public static let positiveRange = 1e-30...1e30
    /// Longest model `name`, in Unicode scalars (as JSON Schema's maxLength counts).
    public static let maxNameLength = 200
    /// Largest integer a request may hold (`max_ticks`, `seed`): beyond
    /// 2^53 - 1 a JSON number (a double) is not exact.
    public static let maxExactInteger = 9_007_199_254_740_991

    // MARK: Inference and reads

    /// Most samples one `generate` call may ask for (`count`).
    public var maxGenerateCount = 100
    /// Longest sample one `generate` call may ask for (`max_length`), and
    /// longest `predict` context, in characters.
    public var maxGenerateLength = 2000
    /// Largest `top_k` of `predict`.
    public var maxTopK = 1000
    /// Largest `limit` of the list endpoints.
    public var maxPageSize = 1000

    // MARK: Request bodies

    /// Most JSON objects and arrays a body may hold (400 `too_many_containers`,
    /// found by a scan before parsing; a model file has a few hundred).
    public static let maxJSONContainers = 100_000
    /// Bodies of at least this many bytes are parsed off the request threads.
    public static let inlineParseBytes = 64 * 1024

    public init() {}
}
