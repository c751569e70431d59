/// A dense, row-major matrix of `Float` values with a gradient of the same shape.
///
/// A matrix with one column is a column vector; a matrix of `B` columns holds a
/// batch of `B` column vectors. Storage is contiguous and reached through raw
/// pointers so that the engine's hot loops run without bounds checks or
/// per-element allocation.
///
/// A matrix is either the owner of its storage or a *view* of consecutive rows
/// of another matrix (the LSTM keeps its four input-gate weights in one block
/// and exposes `Wix`, `Wfx`, ... as views, so one product computes all gates).
///
/// A matrix is not synchronised: one thread at a time may use it.
public final class Matrix: @unchecked Sendable {
    /// Number of rows (`n` in the model JSON).
    public let rows: Int
    /// Number of columns (`d` in the model JSON).
    public let columns: Int
    /// Values, `rows * columns` of them, row-major.
    public let values: UnsafeMutablePointer<Float>
    /// Gradients, same layout as `values`.
    public let gradients: UnsafeMutablePointer<Float>
    /// The matrix whose storage this one views, kept alive by this reference.
    private let parent: Matrix?

    /// Number of elements, `rows * columns`.
    @inlinable public var count: Int { rows * columns }

    /// A zero-filled matrix with zero gradients.
    public init(rows: Int, columns: Int = 1) {
        precondition(rows >= 0 && columns >= 0, "matrix dimensions must not be negative")
        self.rows = rows
        self.columns = columns
        let count = rows * columns
        values = .allocate(capacity: max(count, 1))
        values.initialize(repeating: 0, count: max(count, 1))
        gradients = .allocate(capacity: max(count, 1))
        gradients.initialize(repeating: 0, count: max(count, 1))
        parent = nil
    }

    /// A matrix holding `values` (row-major), with zero gradients.
    public convenience init(rows: Int, columns: Int = 1, values source: [Float]) {
        precondition(source.count == rows * columns, "expected \(rows * columns) values, got \(source.count)")
        self.init(rows: rows, columns: columns)
        source.withUnsafeBufferPointer { values.update(from: $0.baseAddress!, count: source.count) }
    }

    /// A view of `rowCount` consecutive rows of `parent`, starting at `firstRow`.
    /// Writes through the view change the parent and the other way round.
    public init(viewing parent: Matrix, firstRow: Int, rowCount: Int) {
        precondition(firstRow >= 0 && rowCount >= 0 && firstRow + rowCount <= parent.rows, "view outside the parent")
        rows = rowCount
        columns = parent.columns
        values = parent.values + firstRow * parent.columns
        gradients = parent.gradients + firstRow * parent.columns
        self.parent = parent
    }

    deinit {
        if parent == nil {
            values.deallocate()
            gradients.deallocate()
        }
    }

    /// The value at (`row`, `column`).
    public subscript(row: Int, column: Int) -> Float {
        get {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "index out of range")
            return values[row * columns + column]
        }
        set {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "index out of range")
            values[row * columns + column] = newValue
        }
    }

    /// The values as an array (row-major).
    public var valueArray: [Float] { Array(UnsafeBufferPointer(start: values, count: count)) }
    /// The gradients as an array (row-major).
    public var gradientArray: [Float] { Array(UnsafeBufferPointer(start: gradients, count: count)) }

    /// Replaces every value (row-major).
    public func setValues(_ source: [Float]) {
        precondition(source.count == count, "expected \(count) values, got \(source.count)")
        source.withUnsafeBufferPointer { values.update(from: $0.baseAddress!, count: count) }
    }

    /// Copies the values of a matrix of the same shape.
    public func copyValues(from other: Matrix) {
        precondition(other.rows == rows && other.columns == columns, "shape mismatch")
        values.update(from: other.values, count: count)
    }

    /// Sets every gradient to zero.
    public func zeroGradients() { gradients.update(repeating: 0, count: count) }

    /// Sets every value to zero.
    public func zeroValues() { values.update(repeating: 0, count: count) }

    /// Fills the values uniformly from `[-scale, scale]`.
    public func randomize<G: RandomNumberGenerator>(scale: Float, using generator: inout G) {
        for index in 0..<count {
            values[index] = Float.random(in: -scale...scale, using: &generator)
        }
    }

    /// True when every value is finite.
    public var allValuesFinite: Bool {
        for index in 0..<count where !values[index].isFinite { return false }
        return true
    }
}
