#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A text's symbol indices in one contiguous block: one byte each when every
/// index fits (at most 256 symbols, START/END's 0 included), two otherwise.
///
/// A 100 MB text of one-byte symbols takes 100 MB here, where `[Int]` took
/// 800 MB. The block never changes once built, so buffers are shared freely
/// between threads.
public final class SymbolBuffer: @unchecked Sendable {
    /// The block, by width.
    enum Storage {
        case narrow(UnsafeBufferPointer<UInt8>)
        case wide(UnsafeBufferPointer<UInt16>)
    }

    let storage: Storage
    private let block: UnsafeMutableRawPointer

    /// Symbols held.
    public let count: Int
    /// Bytes per symbol: 1 or 2.
    public let bytesPerSymbol: Int

    /// Bytes each symbol of a text takes for a vocabulary of `symbolCount`
    /// symbols (START/END's 0 included): 1 up to 256, else 2.
    public static func bytesPerSymbol(symbolCount: Int) -> Int { symbolCount > 256 ? 2 : 1 }

    /// Takes ownership of `block` (from `malloc`), `count` symbols of `bytesPerSymbol` bytes.
    init(adopting block: UnsafeMutableRawPointer, count: Int, bytesPerSymbol: Int) {
        precondition(bytesPerSymbol == 1 || bytesPerSymbol == 2, "symbols are one or two bytes")
        self.block = block
        self.count = count
        self.bytesPerSymbol = bytesPerSymbol
        storage = bytesPerSymbol == 1
            ? .narrow(UnsafeBufferPointer(start: block.assumingMemoryBound(to: UInt8.self), count: count))
            : .wide(UnsafeBufferPointer(start: block.assumingMemoryBound(to: UInt16.self), count: count))
    }

    /// A buffer of these indices, each in `0..<65536`: one byte each when all are below 256.
    public convenience init(indices: some Collection<Int>) {
        let largest = indices.max() ?? 0
        precondition(indices.allSatisfy { $0 >= 0 } && largest <= Int(UInt16.max), "indices must fit in two bytes")
        let width = largest <= Int(UInt8.max) ? 1 : 2
        guard let block = malloc(max(1, indices.count * width)) else { fatalError("out of memory") }
        for (offset, index) in indices.enumerated() {
            if width == 1 {
                block.storeBytes(of: UInt8(index), toByteOffset: offset, as: UInt8.self)
            } else {
                block.storeBytes(of: UInt16(index), toByteOffset: 2 * offset, as: UInt16.self)
            }
        }
        self.init(adopting: block, count: indices.count, bytesPerSymbol: width)
    }

    deinit { free(block) }

    /// The index at `position`.
    @inline(__always)
    public subscript(position: Int) -> Int {
        precondition(position >= 0 && position < count, "position outside the text")
        switch storage {
        case .narrow(let symbols): return Int(symbols[position])
        case .wide(let symbols): return Int(symbols[position])
        }
    }

    /// Every symbol, as a view.
    public var all: EncodedSymbols { EncodedSymbols(buffer: self, range: 0..<count) }

    /// Bytes held.
    public var byteCount: Int { count * bytesPerSymbol }
}

/// A contiguous run of a ``SymbolBuffer``'s symbols: the training or the
/// validation part of a text, without copying it.
///
/// Indices are positions in the whole buffer, as with array slices.
public struct EncodedSymbols: RandomAccessCollection, Equatable, Sendable {
    /// The buffer viewed.
    public let buffer: SymbolBuffer
    /// Positions in ``buffer``.
    public let range: Range<Int>

    /// A view of `range` of `buffer`.
    public init(buffer: SymbolBuffer, range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= buffer.count, "range outside the buffer")
        self.buffer = buffer
        self.range = range
    }

    /// Views of a view are views of the same buffer.
    public typealias SubSequence = EncodedSymbols
    /// Positions in the whole buffer.
    public typealias Indices = Range<Int>

    /// The positions viewed.
    public var indices: Range<Int> { range }
    /// The first position.
    public var startIndex: Int { range.lowerBound }
    /// One past the last position.
    public var endIndex: Int { range.upperBound }

    /// The index at `position` (a position in the whole buffer).
    public subscript(position: Int) -> Int {
        precondition(range.contains(position), "position outside the view")
        return buffer[position]
    }

    /// A narrower view.
    public subscript(bounds: Range<Int>) -> EncodedSymbols {
        precondition(bounds.lowerBound >= range.lowerBound && bounds.upperBound <= range.upperBound, "bounds outside the view")
        return EncodedSymbols(buffer: buffer, range: bounds)
    }

    /// Views are equal when they hold the same indices in the same order.
    public static func == (lhs: EncodedSymbols, rhs: EncodedSymbols) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs)
    }

    /// The indices of both views, one after the other (small texts and tests).
    public static func + (lhs: EncodedSymbols, rhs: EncodedSymbols) -> [Int] {
        Array(lhs) + Array(rhs)
    }

    /// Calls `body` with the view's symbols as a typed buffer (`UInt8` or
    /// `UInt16`), so hot loops read them without a switch per symbol.
    func withSymbols<Result>(_ body: (SymbolReader) -> Result) -> Result {
        switch buffer.storage {
        case .narrow(let symbols): body(SymbolReader(narrow: UnsafeBufferPointer(rebasing: symbols[range])))
        case .wide(let symbols): body(SymbolReader(wide: UnsafeBufferPointer(rebasing: symbols[range])))
        }
    }
}

/// Reads a view's symbols from its typed buffer, the width fixed for the
/// reader's life (the branch on it is the same every time, so predicted).
struct SymbolReader {
    private let narrow: UnsafeBufferPointer<UInt8>?
    private let wide: UnsafeBufferPointer<UInt16>?

    init(narrow: UnsafeBufferPointer<UInt8>) {
        self.narrow = narrow
        wide = nil
    }

    init(wide: UnsafeBufferPointer<UInt16>) {
        narrow = nil
        self.wide = wide
    }

    /// The index at `offset` from the view's start.
    @inline(__always)
    subscript(offset: Int) -> Int {
        if let narrow { Int(narrow[offset]) } else { Int(wide.unsafelyUnwrapped[offset]) }
    }
}
