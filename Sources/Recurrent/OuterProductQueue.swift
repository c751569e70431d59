import CKernels

/// Weight-gradient updates `W.grad += d · xᵀ` of single-column steps, deferred
/// during a backward pass and applied four at a time.
///
/// With one sequence, every step adds a rank-1 update to each weight gradient;
/// done one by one, each reads and writes the whole gradient matrix for a
/// single multiply-add per element. Nothing in the backward pass reads weight
/// gradients, so the updates can wait: grouping four steps' updates of the same
/// matrix does four multiply-adds per element for one read and write.
final class OuterProductQueue {
    private final class Group {
        let target: UnsafeMutablePointer<Float>
        let rows: Int
        let columns: Int
        // Appended to at every step; never accessed overlappingly, so
        // without the run-time exclusivity checks.
        @exclusivity(unchecked) var left: [UnsafePointer<Float>] = []
        @exclusivity(unchecked) var right: [UnsafePointer<Float>] = []

        init(target: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
            self.target = target
            self.rows = rows
            self.columns = columns
            left.reserveCapacity(4)
            right.reserveCapacity(4)
        }
    }

    @exclusivity(unchecked) private var groups: [Group] = []

    /// Queues `target[rows x columns] += left[rows] · right[columns]ᵀ`.
    func append(target: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
                left: UnsafePointer<Float>, right: UnsafePointer<Float>) {
        let group: Group
        if let existing = groups.first(where: { $0.target == target && $0.rows == rows && $0.columns == columns }) {
            group = existing
        } else {
            group = Group(target: target, rows: rows, columns: columns)
            groups.append(group)
        }
        group.left.append(left)
        group.right.append(right)
        if group.left.count == 4 { apply(group) }
    }

    /// Applies every queued update.
    func flush() {
        for group in groups where !group.left.isEmpty { apply(group) }
    }

    private func apply(_ group: Group) {
        let columns = group.columns, target = group.target
        if group.left.count == 4 {
            let left = group.left, right = group.right
            Kernels.selected.table.outer_product4(target, group.rows, columns, left[0], left[1], left[2], left[3],
                                                  right[0], right[1], right[2], right[3])
        } else {
            for (left, right) in zip(group.left, group.right) {
                MatrixProduct.accumulateTimesTransposed(left, right, into: target, m: group.rows, n: 1, k: columns)
            }
        }
        group.left.removeAll(keepingCapacity: true)
        group.right.removeAll(keepingCapacity: true)
    }

    /// `target[rows x columns] += Σ_j left_j · right_jᵀ` for four pairs: the
    /// portable level's kernel.
    static func portableOuterProduct4(
        target: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
        left: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
        right: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>)
    ) {
        let (l0, l1, l2, l3) = left, (r0, r1, r2, r3) = right
        for row in 0..<rows {
            let a0 = l0[row], a1 = l1[row], a2 = l2[row], a3 = l3[row]
            let v0 = SIMD8<Float>(repeating: a0), v1 = SIMD8<Float>(repeating: a1)
            let v2 = SIMD8<Float>(repeating: a2), v3 = SIMD8<Float>(repeating: a3)
            let out = target + row * columns
            var index = 0
            while index + 8 <= columns {
                var sum = MatrixProduct.load(out + index)
                sum = sum.plusProduct(MatrixProduct.load(r0 + index), v0)
                sum = sum.plusProduct(MatrixProduct.load(r1 + index), v1)
                sum = sum.plusProduct(MatrixProduct.load(r2 + index), v2)
                sum = sum.plusProduct(MatrixProduct.load(r3 + index), v3)
                MatrixProduct.store(sum, out + index)
                index += 8
            }
            while index < columns {
                out[index] += a0 * r0[index] + a1 * r1[index] + a2 * r2[index] + a3 * r3[index]
                index += 1
            }
        }
    }
}
