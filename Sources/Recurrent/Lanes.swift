/// A group of float lanes that the recurrent cells' step maths is written
/// over once: ``SIMD8`` for the body of a row and ``Lane`` (one float) for its
/// tail. Generic code over it is specialised and inlined, so each instance
/// compiles to the loop it would be if written out by hand.
protocol Lanes {
    /// All lanes equal to `value`.
    init(repeating value: Float)
    /// Loads the lanes from `pointer` (no alignment needed).
    init(loading pointer: UnsafePointer<Float>)
    /// Stores the lanes to `pointer`.
    func store(to pointer: UnsafeMutablePointer<Float>)
    static func + (left: Self, right: Self) -> Self
    static func - (left: Self, right: Self) -> Self
    static func * (left: Self, right: Self) -> Self
    /// `1 / (1 + e^-x)`.
    var sigmoid: Self { get }
    var tanh: Self { get }
    /// `max(0, x)`.
    var relu: Self { get }
    /// The lanes where `condition` is positive, zero elsewhere.
    func kept(wherePositive condition: Self) -> Self
}

extension SIMD8: Lanes where Scalar == Float {
    @inline(__always)
    init(loading pointer: UnsafePointer<Float>) { self = UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self) }

    @inline(__always)
    func store(to pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: self, as: SIMD8<Float>.self)
    }

    /// The `count` (1 to 8) floats at `pointer`, the lanes past them
    /// repeating the first (finite, for lanes computed and then ignored).
    @inline(__always)
    init(loading pointer: UnsafePointer<Float>, count: Int) {
        if count == 8 {
            self.init(loading: pointer)
        } else {
            self.init(repeating: pointer[0])
            for lane in 1..<count { self[lane] = pointer[lane] }
        }
    }

    var sigmoid: Self { @inline(__always) get { Activation.sigmoid(self) } }
    var tanh: Self { @inline(__always) get { Activation.tanh(self) } }
    // Blends rather than `pointwiseMax`, whose generic form is not inlined.
    var relu: Self { @inline(__always) get { replacing(with: 0, where: self .< 0) } }

    @inline(__always)
    func kept(wherePositive condition: Self) -> Self { replacing(with: 0, where: condition .<= 0) }
}

/// One float as ``Lanes``: the scalar tail of a row.
struct Lane: Lanes {
    var value: Float

    @inline(__always)
    init(_ value: Float) { self.value = value }

    @inline(__always)
    init(repeating value: Float) { self.value = value }

    @inline(__always)
    init(loading pointer: UnsafePointer<Float>) { value = pointer.pointee }

    @inline(__always)
    func store(to pointer: UnsafeMutablePointer<Float>) { pointer.pointee = value }

    @inline(__always)
    static func + (left: Lane, right: Lane) -> Lane { Lane(left.value + right.value) }

    @inline(__always)
    static func - (left: Lane, right: Lane) -> Lane { Lane(left.value - right.value) }

    @inline(__always)
    static func * (left: Lane, right: Lane) -> Lane { Lane(left.value * right.value) }

    var sigmoid: Lane { @inline(__always) get { Lane(Activation.sigmoid(value)) } }
    var tanh: Lane { @inline(__always) get { Lane(Activation.tanh(value)) } }
    var relu: Lane { @inline(__always) get { Lane(max(0, value)) } }

    @inline(__always)
    func kept(wherePositive condition: Lane) -> Lane { condition.value > 0 ? self : Lane(0) }
}

/// Work on one row of floats, done a group of lanes at a time: ``sweep(width:)``
/// runs ``run(_:column:)`` over SIMD8 groups, then one float at a time for the
/// tail, from the one generic body.
protocol LaneKernel {
    func run<L: Lanes>(_ lanes: L.Type, column: Int)
}

extension LaneKernel {
    /// Runs the kernel over columns `0..<width`.
    @inline(__always)
    func sweep(width: Int) {
        var column = 0
        while column + 8 <= width {
            run(SIMD8<Float>.self, column: column)
            column += 8
        }
        while column < width {
            run(Lane.self, column: column)
            column += 1
        }
    }
}

extension Lanes {
    /// `addend` plus, when given, `extra` at `column`: a preactivation plus
    /// the recurrent product (`nil` where the caller has added it already),
    /// or an output's gradient plus the next step's.
    @inline(__always)
    static func sum(_ addend: UnsafePointer<Float>, _ extra: UnsafePointer<Float>?, _ column: Int) -> Self {
        guard let extra else { return Self(loading: addend + column) }
        return Self(loading: addend + column) + Self(loading: extra + column)
    }

    /// Writes `self` to `target` at `column`, or adds it there when `accumulates`.
    @inline(__always)
    func write(to target: UnsafeMutablePointer<Float>, _ column: Int, accumulates: Bool) {
        if accumulates {
            (Self(loading: target + column) + self).store(to: target + column)
        } else {
            store(to: target + column)
        }
    }
}
