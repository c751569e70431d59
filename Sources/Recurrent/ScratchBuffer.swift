/// Raw memory a kernel works in, grown on demand and reused from call to
/// call (contents are not kept when it grows); 64-byte aligned.
final class ScratchBuffer {
    private var storage: UnsafeMutableRawPointer?
    private var capacity = 0

    deinit { storage?.deallocate() }

    /// The latest memory handed out, if any.
    var current: UnsafeMutableRawPointer? { storage }

    /// At least `bytes` of memory, typed as `T`.
    func reserve<T>(bytes: Int, as type: T.Type) -> UnsafeMutablePointer<T> {
        if storage == nil || bytes > capacity {
            storage?.deallocate()
            storage = .allocate(byteCount: max(bytes, 64), alignment: 64)
            capacity = bytes
        }
        return storage!.assumingMemoryBound(to: type)
    }
}
