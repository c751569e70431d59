import Foundation
import Recurrent

/// The binary form of a model's weights and solver state in a checkpoint.
///
/// JSON would be far too large and slow for models of millions of
/// parameters, so the layout is raw little-endian Float32:
///
///     magic "RCK1" | u8 optimizer (0 rmsprop, 1 adam) | u8 0 0 0 |
///     u32 matrix count | u64 adam steps | u32 element count per matrix … |
///     weights of every matrix (`network.parameters` order) |
///     RMSProp cache of every matrix, or Adam first then second moments
///
/// Decoding checks the magic, the optimizer, the matrix count, every matrix's
/// element count against the network and the total size.
public enum CheckpointCodec {
    static let magic: [UInt8] = Array("RCK1".utf8)

    public struct DecodeError: Error, CustomStringConvertible {
        public let description: String
    }

    public static func encode(network: RecurrentNetwork, solver: Solver) -> Data {
        let parameters = network.parameters
        let stateTables: [[String: Matrix]] = solver.optimizer == .adam
            ? [solver.firstMoments, solver.secondMoments] : [solver.stepCache]
        let elements = parameters.reduce(0) { $0 + $1.matrix.count }
        var data = Data()
        data.reserveCapacity(20 + 4 * parameters.count + 4 * elements * (1 + stateTables.count))
        data.append(contentsOf: magic)
        data.append(contentsOf: [solver.optimizer == .adam ? 1 : 0, 0, 0, 0])
        append(UInt32(parameters.count), to: &data)
        append(UInt64(solver.adamSteps), to: &data)
        for parameter in parameters { append(UInt32(parameter.matrix.count), to: &data) }
        for parameter in parameters { appendFloats(parameter.matrix.values, count: parameter.matrix.count, to: &data) }
        for table in stateTables {
            for parameter in parameters {
                if let state = table[parameter.name], state.count == parameter.matrix.count {
                    appendFloats(state.values, count: state.count, to: &data)
                } else {
                    data.append(contentsOf: [UInt8](repeating: 0, count: 4 * parameter.matrix.count))
                }
            }
        }
        return data
    }

    /// Fills `network`'s weights from `data` and returns a solver holding the
    /// saved state.
    public static func decode(_ data: Data, into network: RecurrentNetwork, optimizer: Optimizer) throws -> Solver {
        let parameters = network.parameters
        return try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> Solver in
            var offset = 0
            func take(_ count: Int) throws -> UnsafeRawBufferPointer {
                guard offset + count <= raw.count else { throw DecodeError(description: "checkpoint is truncated at byte \(offset)") }
                defer { offset += count }
                return UnsafeRawBufferPointer(rebasing: raw[offset..<offset + count])
            }
            guard Array(try take(4)) == magic else { throw DecodeError(description: "not a checkpoint (bad magic)") }
            let flags = try take(4)
            let savedOptimizer: Optimizer = flags[0] == 1 ? .adam : .rmsprop
            guard savedOptimizer == optimizer else {
                throw DecodeError(description: "checkpoint holds \(savedOptimizer.rawValue) state, the model uses \(optimizer.rawValue)")
            }
            let matrixCount = Int(try take(4).loadUnaligned(as: UInt32.self).littleEndian)
            guard matrixCount == parameters.count else {
                throw DecodeError(description: "checkpoint has \(matrixCount) matrices, the network \(parameters.count)")
            }
            let adamSteps = Int(try take(8).loadUnaligned(as: UInt64.self).littleEndian)
            for parameter in parameters {
                let count = Int(try take(4).loadUnaligned(as: UInt32.self).littleEndian)
                guard count == parameter.matrix.count else {
                    throw DecodeError(description: "checkpoint matrix \(parameter.name) has \(count) values, expected \(parameter.matrix.count)")
                }
            }
            let tables = optimizer == .adam ? 2 : 1
            let elements = parameters.reduce(0) { $0 + $1.matrix.count }
            guard raw.count - offset == 4 * elements * (1 + tables) else {
                throw DecodeError(description: "checkpoint holds \(raw.count - offset) bytes of values, expected \(4 * elements * (1 + tables))")
            }
            for parameter in parameters {
                readFloats(try take(4 * parameter.matrix.count), into: parameter.matrix.values)
            }
            var states: [[String: Matrix]] = []
            for _ in 0..<tables {
                var table: [String: Matrix] = [:]
                for parameter in parameters {
                    let matrix = Matrix(rows: parameter.matrix.rows, columns: parameter.matrix.columns)
                    readFloats(try take(4 * matrix.count), into: matrix.values)
                    table[parameter.name] = matrix
                }
                states.append(table)
            }
            let solver = Solver(optimizer: optimizer)
            if optimizer == .adam {
                solver.restore(stepCache: [:], firstMoments: states[0], secondMoments: states[1], adamSteps: adamSteps)
            } else {
                solver.restore(stepCache: states[0])
            }
            return solver
        }
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to data: inout Data) {
        withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
    }

    private static func appendFloats(_ values: UnsafeMutablePointer<Float>, count: Int, to data: inout Data) {
        #if _endian(little)
        data.append(UnsafeBufferPointer(start: values, count: count))
        #else
        for index in 0..<count { append(values[index].bitPattern, to: &data) }
        #endif
    }

    private static func readFloats(_ bytes: UnsafeRawBufferPointer, into values: UnsafeMutablePointer<Float>) {
        let count = bytes.count / 4
        for index in 0..<count {
            values[index] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self)))
        }
    }
}
