/// Weight-gradient updates `W.grad += D · Xᵀ`, deferred during a backward
/// pass: nothing in the backward pass reads weight gradients, so they can wait
/// and be done in fewer, larger pieces.
///
/// - One sequence (`D`, `X` single columns): each step's update is rank 1 and
///   reads and writes the whole gradient for one multiply-add per element;
///   grouping four steps' updates of the same matrix does four per element.
/// - A batch (`B` columns): the updates of all `T` steps are packed side by
///   side and done as one product with an inner dimension of `T·B` at the end
///   of the pass, which BLAS runs far more efficiently (and on more threads)
///   than `T` products with an inner dimension of `B`.
final class OuterProductQueue {
    private final class Group {
        let target: UnsafeMutablePointer<Float>
        let rows: Int
        let columns: Int
        let batch: Int
        var left: [UnsafePointer<Float>] = []
        var right: [UnsafePointer<Float>] = []
        /// Packing space for batched groups: `rows x (steps·batch)` and
        /// `columns x (steps·batch)`, kept across passes.
        var packedLeft: UnsafeMutablePointer<Float>?
        var packedRight: UnsafeMutablePointer<Float>?
        var packedCapacity = 0

        init(target: UnsafeMutablePointer<Float>, rows: Int, columns: Int, batch: Int) {
            self.target = target
            self.rows = rows
            self.columns = columns
            self.batch = batch
            left.reserveCapacity(batch == 1 ? 4 : 64)
            right.reserveCapacity(batch == 1 ? 4 : 64)
        }

        deinit {
            packedLeft?.deallocate()
            packedRight?.deallocate()
        }
    }

    private var groups: [Group] = []

    /// Queues `target[rows x columns] += left[rows x batch] · right[columns x batch]ᵀ`
    /// (both operands row-major with `batch` columns).
    func append(target: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
                left: UnsafePointer<Float>, right: UnsafePointer<Float>, batch: Int = 1) {
        let group: Group
        if let existing = groups.first(where: {
            $0.target == target && $0.rows == rows && $0.columns == columns && $0.batch == batch
        }) {
            group = existing
        } else {
            group = Group(target: target, rows: rows, columns: columns, batch: batch)
            groups.append(group)
        }
        group.left.append(left)
        group.right.append(right)
        if batch == 1 && group.left.count == 4 { applyFour(group) }
    }

    /// Applies every queued update.
    func flush() {
        for group in groups where !group.left.isEmpty {
            if group.batch == 1 { applySingles(group) } else { applyPacked(group) }
        }
    }

    private func applyFour(_ group: Group) {
        let columns = group.columns, target = group.target
        let l0 = group.left[0], l1 = group.left[1], l2 = group.left[2], l3 = group.left[3]
        let r0 = group.right[0], r1 = group.right[1], r2 = group.right[2], r3 = group.right[3]
        for row in 0..<group.rows {
            let a0 = l0[row], a1 = l1[row], a2 = l2[row], a3 = l3[row]
            let v0 = SIMD8<Float>(repeating: a0), v1 = SIMD8<Float>(repeating: a1)
            let v2 = SIMD8<Float>(repeating: a2), v3 = SIMD8<Float>(repeating: a3)
            let out = target + row * columns
            var index = 0
            while index + 8 <= columns {
                var sum = MatrixProduct.load(out + index)
                sum = sum.addingProduct(MatrixProduct.load(r0 + index), v0)
                sum = sum.addingProduct(MatrixProduct.load(r1 + index), v1)
                sum = sum.addingProduct(MatrixProduct.load(r2 + index), v2)
                sum = sum.addingProduct(MatrixProduct.load(r3 + index), v3)
                MatrixProduct.store(sum, out + index)
                index += 8
            }
            while index < columns {
                out[index] += a0 * r0[index] + a1 * r1[index] + a2 * r2[index] + a3 * r3[index]
                index += 1
            }
        }
        group.left.removeAll(keepingCapacity: true)
        group.right.removeAll(keepingCapacity: true)
    }

    private func applySingles(_ group: Group) {
        for (left, right) in zip(group.left, group.right) {
            MatrixProduct.accumulateTimesTransposed(left, right, into: group.target, m: group.rows, n: 1, k: group.columns)
        }
        group.left.removeAll(keepingCapacity: true)
        group.right.removeAll(keepingCapacity: true)
    }

    private func applyPacked(_ group: Group) {
        let batch = group.batch, steps = group.left.count, width = steps * batch
        let needed = max(group.rows, group.columns) * width
        if group.packedCapacity < needed {
            group.packedLeft?.deallocate()
            group.packedRight?.deallocate()
            group.packedLeft = .allocate(capacity: needed)
            group.packedRight = .allocate(capacity: needed)
            group.packedCapacity = needed
        }
        guard let packedLeft = group.packedLeft, let packedRight = group.packedRight else { return }
        for (step, (left, right)) in zip(group.left, group.right).enumerated() {
            let offset = step * batch
            for row in 0..<group.rows {
                (packedLeft + row * width + offset).update(from: left + row * batch, count: batch)
            }
            for row in 0..<group.columns {
                (packedRight + row * width + offset).update(from: right + row * batch, count: batch)
            }
        }
        MatrixProduct.accumulateTimesTransposed(packedLeft, packedRight, into: group.target,
                                                m: group.rows, n: width, k: group.columns)
        group.left.removeAll(keepingCapacity: true)
        group.right.removeAll(keepingCapacity: true)
    }
}
