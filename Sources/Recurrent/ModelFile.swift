import Foundation

/// A model file that could not be read, with the field to blame
/// (a dotted path such as `model.Wix0.w`).
public struct ModelFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The dotted path of the field at fault (empty for the file as a whole).
    public let field: String
    /// What is wrong with it.
    public let message: String

    /// An error about `field`.
    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    /// `field: message`, or the message alone.
    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}

/// A model read from a file, with the solver state it carried.
public struct LoadedModel: @unchecked Sendable {
    /// The model, ready to sample or train.
    public let model: CharacterModel
    /// The solver with the state the file carried (fresh when it had none).
    public let solver: Solver
    /// Whether the file had a `solver` field (the original's pretrained file has none).
    public let hadSolverState: Bool
}

/// The model JSON, interchangeable with the original library's.
///
/// Export writes `w` as arrays and includes the solver state; for Adam the
/// moments go in an extra `adam` field (the original ignores it) and
/// `solver.step_cache` still holds RMSProp's cache. Import accepts `w` as an
/// array or an object keyed `"0"`, `"1"`, ...; a missing `solver` (fresh zero
/// state); and unknown extra fields. It validates every matrix and mapping and
/// names the offending field in its error.
public enum ModelFile {
    /// The model file as JSON text. `extraFields` are written at the top level
    /// as they are (each value must be JSON text).
    public static func export(_ model: CharacterModel, solver: Solver? = nil,
                              extraFields: [(String, String)] = []) throws(ModelFileError) -> String {
        let network = model.network
        for parameter in network.parameters where !parameter.matrix.allValuesFinite {
            throw ModelFileError(field: "model.\(parameter.name)", "holds a value that is not finite")
        }
        var out = "{\"generator\":\"\(network.generator.rawValue)\""
        out += ",\"hidden_sizes\":[\(network.hiddenSizes.map(String.init).joined(separator: ","))]"
        out += ",\"letter_size\":\(network.letterSize)"
        out += ",\"model\":"
        writeMatrices(network.parameters.map { ($0.name, $0.matrix) }, to: &out)
        let solver = solver ?? Solver()
        out += ",\"solver\":{\"decay_rate\":\(solver.decayRate),\"smooth_eps\":\(solver.smoothEpsilon),\"step_cache\":"
        writeMatrices(network.parameters.map { ($0.name, solver.stepCache[$0.name] ?? zeroLike($0.matrix)) }, to: &out)
        out += "}"
        out += ",\"optimizer\":\"\(solver.optimizer.rawValue)\""
        if solver.optimizer == .adam {
            out += ",\"adam\":{\"beta1\":\(solver.beta1),\"beta2\":\(solver.beta2),\"eps\":\(solver.adamEpsilon),\"t\":\(solver.adamSteps),\"m\":"
            writeMatrices(network.parameters.map { ($0.name, solver.firstMoments[$0.name] ?? zeroLike($0.matrix)) }, to: &out)
            out += ",\"v\":"
            writeMatrices(network.parameters.map { ($0.name, solver.secondMoments[$0.name] ?? zeroLike($0.matrix)) }, to: &out)
            out += "}"
        }
        let letters = model.vocabulary.letters
        out += ",\"letterToIndex\":{"
        out += letters.enumerated().map { "\(jsonString(String($0.element))):\($0.offset + 1)" }.joined(separator: ",")
        out += "},\"indexToLetter\":{"
        out += letters.enumerated().map { "\"\($0.offset + 1)\":\(jsonString(String($0.element)))" }.joined(separator: ",")
        out += "},\"vocab\":["
        out += letters.map { jsonString(String($0)) }.joined(separator: ",")
        out += "]"
        for (key, value) in extraFields { out += ",\(jsonString(key)):\(value)" }
        out += "}"
        return out
    }

    /// Files describing more parameters than this are refused before anything
    /// is allocated (200 million floats, 800 MB of weights).
    public static let defaultMaximumParameters = 200_000_000

    /// Reads a model file.
    public static func load(_ data: Data, maximumParameters: Int = defaultMaximumParameters) throws(ModelFileError) -> LoadedModel {
        let root: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw ModelFileError(field: "", "a model file must be a JSON object")
            }
            root = object
        } catch let error as ModelFileError {
            throw error
        } catch {
            throw ModelFileError(field: "", "not valid JSON (\(error.localizedDescription))")
        }
        return try load(root, maximumParameters: maximumParameters)
    }

    /// Reads a model file already parsed by `JSONSerialization`.
    public static func load(_ root: [String: Any], maximumParameters: Int = defaultMaximumParameters) throws(ModelFileError) -> LoadedModel {
        guard let generatorName = root["generator"] as? String else {
            throw ModelFileError(field: "generator", root["generator"] == nil ? "missing" : "must be a string")
        }
        guard let generator = Generator(rawValue: generatorName) else {
            throw ModelFileError(field: "generator", "unknown generator \(generatorName.debugDescription) (expected lstm, rnn or gru)")
        }
        guard let sizes = root["hidden_sizes"] as? [Any], !sizes.isEmpty else {
            throw ModelFileError(field: "hidden_sizes", "must be a non-empty array of positive integers")
        }
        var hiddenSizes: [Int] = []
        for (position, size) in sizes.enumerated() {
            guard let value = integer(size), value >= 1 else {
                throw ModelFileError(field: "hidden_sizes[\(position)]", "must be a positive integer")
            }
            hiddenSizes.append(value)
        }
        guard let letterSize = root["letter_size"].flatMap(integer), letterSize >= 1 else {
            throw ModelFileError(field: "letter_size", "must be a positive integer")
        }
        let vocabulary = try readVocabulary(root)
        // Sizes multiply: check the total before allocating anything.
        guard hiddenSizes.allSatisfy({ $0 <= maximumParameters }), letterSize <= maximumParameters,
              RecurrentNetwork.parameterCount(generator: generator, symbolCount: vocabulary.symbolCount,
                                              letterSize: letterSize, hiddenSizes: hiddenSizes) <= maximumParameters else {
            throw ModelFileError(field: "hidden_sizes", "the network would have more than \(maximumParameters) parameters")
        }

        let network = RecurrentNetwork(generator: generator, symbolCount: vocabulary.symbolCount,
                                       letterSize: letterSize, hiddenSizes: hiddenSizes)
        guard let matrices = root["model"] as? [String: Any] else {
            throw ModelFileError(field: "model", root["model"] == nil ? "missing" : "must be an object of matrices")
        }
        let expected = network.parameterShapes
        for name in matrices.keys where expected[name] == nil {
            throw ModelFileError(field: "model.\(name)", "is not a parameter of a \(generator.rawValue) network with hidden sizes \(hiddenSizes)")
        }
        for parameter in network.parameters {
            guard let json = matrices[parameter.name] else {
                throw ModelFileError(field: "model.\(parameter.name)", "missing")
            }
            try readMatrix(json, into: parameter.matrix, field: "model.\(parameter.name)")
        }

        let optimizerName = (root["optimizer"] as? String) ?? Optimizer.rmsprop.rawValue
        guard let optimizer = Optimizer(rawValue: optimizerName) else {
            throw ModelFileError(field: "optimizer", "unknown optimizer \(optimizerName.debugDescription) (expected rmsprop or adam)")
        }
        let solver = Solver(optimizer: optimizer)
        let hadSolver = root["solver"] != nil && !(root["solver"] is NSNull)
        if hadSolver {
            guard let solverJSON = root["solver"] as? [String: Any] else {
                throw ModelFileError(field: "solver", "must be an object")
            }
            for key in ["decay_rate", "smooth_eps"] where solverJSON[key] != nil {
                guard let value = number(solverJSON[key]!), value.isFinite else {
                    throw ModelFileError(field: "solver.\(key)", "must be a number")
                }
            }
            let cache = try readStateMatrices(solverJSON["step_cache"], network: network, field: "solver.step_cache")
            var firstMoments: [String: Matrix] = [:], secondMoments: [String: Matrix] = [:], steps = 0
            if optimizer == .adam, let adam = root["adam"] as? [String: Any] {
                firstMoments = try readStateMatrices(adam["m"], network: network, field: "adam.m")
                secondMoments = try readStateMatrices(adam["v"], network: network, field: "adam.v")
                guard let t = adam["t"].flatMap(integer), t >= 0 else {
                    throw ModelFileError(field: "adam.t", "must be a non-negative integer")
                }
                steps = t
            }
            solver.restore(stepCache: cache, firstMoments: firstMoments, secondMoments: secondMoments, adamSteps: steps)
        }
        return LoadedModel(model: CharacterModel(vocabulary: vocabulary, network: network), solver: solver,
                           hadSolverState: hadSolver)
    }

    // MARK: - Reading

    private static func readVocabulary(_ root: [String: Any]) throws(ModelFileError) -> Vocabulary {
        guard let letterToIndex = root["letterToIndex"] as? [String: Any] else {
            throw ModelFileError(field: "letterToIndex", root["letterToIndex"] == nil ? "missing" : "must be an object")
        }
        guard let indexToLetter = root["indexToLetter"] as? [String: Any] else {
            throw ModelFileError(field: "indexToLetter", root["indexToLetter"] == nil ? "missing" : "must be an object")
        }
        let count = letterToIndex.count
        guard count >= 1 else { throw ModelFileError(field: "letterToIndex", "the vocabulary is empty") }
        var letters = [Unicode.Scalar?](repeating: nil, count: count)
        for (letter, value) in letterToIndex {
            guard letter.unicodeScalars.count == 1, let scalar = letter.unicodeScalars.first else {
                throw ModelFileError(field: "letterToIndex", "key \(letter.debugDescription) is not a single character")
            }
            guard let index = integer(value), index >= 1, index <= count else {
                throw ModelFileError(field: "letterToIndex.\(letter)", "index must be an integer in 1...\(count)")
            }
            guard letters[index - 1] == nil else {
                throw ModelFileError(field: "letterToIndex.\(letter)", "index \(index) is used twice")
            }
            letters[index - 1] = scalar
        }
        let ordered = letters.map { $0! }
        guard indexToLetter.count == count else {
            throw ModelFileError(field: "indexToLetter", "has \(indexToLetter.count) entries, letterToIndex has \(count)")
        }
        for (position, letter) in ordered.enumerated() {
            guard let mapped = indexToLetter[String(position + 1)] as? String, mapped == String(letter) else {
                throw ModelFileError(field: "indexToLetter.\(position + 1)", "does not agree with letterToIndex (expected \(String(letter).debugDescription))")
            }
        }
        if let vocab = root["vocab"] {
            guard let list = vocab as? [Any], list.count == count,
                  Set(list.compactMap { $0 as? String }) == Set(ordered.map { String($0) }) else {
                throw ModelFileError(field: "vocab", "does not list the same characters as letterToIndex")
            }
        }
        return Vocabulary(letters: ordered)
    }

    private static func readStateMatrices(_ json: Any?, network: RecurrentNetwork, field: String) throws(ModelFileError) -> [String: Matrix] {
        guard let json, !(json is NSNull) else { return [:] }
        guard let object = json as? [String: Any] else { throw ModelFileError(field: field, "must be an object of matrices") }
        var result: [String: Matrix] = [:]
        let shapes = network.parameterShapes
        for (name, value) in object {
            guard let shape = shapes[name] else {
                throw ModelFileError(field: "\(field).\(name)", "is not a parameter of this network")
            }
            let matrix = Matrix(rows: shape.rows, columns: shape.columns)
            try readMatrix(value, into: matrix, field: "\(field).\(name)")
            result[name] = matrix
        }
        return result
    }

    private static func readMatrix(_ json: Any, into matrix: Matrix, field: String) throws(ModelFileError) {
        guard let object = json as? [String: Any] else { throw ModelFileError(field: field, "must be an object {n, d, w}") }
        guard let n = object["n"].flatMap(integer), let d = object["d"].flatMap(integer) else {
            throw ModelFileError(field: field, "needs integer n and d")
        }
        guard n == matrix.rows && d == matrix.columns else {
            throw ModelFileError(field: field, "is \(n)x\(d), expected \(matrix.rows)x\(matrix.columns)")
        }
        let count = matrix.count
        let values = matrix.values
        switch object["w"] {
        case let array as [Any]:
            guard array.count == count else {
                throw ModelFileError(field: "\(field).w", "has \(array.count) values, n*d is \(count)")
            }
            for (index, element) in array.enumerated() {
                guard let value = number(element), value.isFinite, Float(value).isFinite else {
                    throw ModelFileError(field: "\(field).w[\(index)]", "must be a finite number")
                }
                values[index] = Float(value)
            }
        case let keyed as [String: Any]:
            guard keyed.count == count else {
                throw ModelFileError(field: "\(field).w", "has \(keyed.count) values, n*d is \(count)")
            }
            for (key, element) in keyed {
                guard let index = Int(key), index >= 0, index < count else {
                    throw ModelFileError(field: "\(field).w", "key \(key.debugDescription) is not an index in 0..<\(count)")
                }
                guard let value = number(element), value.isFinite, Float(value).isFinite else {
                    throw ModelFileError(field: "\(field).w.\(key)", "must be a finite number")
                }
                values[index] = Float(value)
            }
        case nil:
            throw ModelFileError(field: "\(field).w", "missing")
        default:
            throw ModelFileError(field: "\(field).w", "must be an array of numbers or an object keyed by index")
        }
    }

    /// A JSON number as a Double; booleans are not numbers.
    private static func number(_ value: Any) -> Double? {
        if let number = value as? NSNumber {
            if String(cString: number.objCType) == "c" { return nil }
            return number.doubleValue
        }
        return nil
    }

    private static func integer(_ value: Any) -> Int? {
        guard let double = number(value), double.rounded() == double, abs(double) < 1e15 else { return nil }
        return Int(double)
    }

    // MARK: - Writing

    private static func zeroLike(_ matrix: Matrix) -> Matrix { Matrix(rows: matrix.rows, columns: matrix.columns) }

    private static func writeMatrices(_ matrices: [(String, Matrix)], to out: inout String) {
        out += "{"
        for (position, (name, matrix)) in matrices.enumerated() {
            if position > 0 { out += "," }
            out += "\(jsonString(name)):{\"n\":\(matrix.rows),\"d\":\(matrix.columns),\"w\":["
            for index in 0..<matrix.count {
                if index > 0 { out += "," }
                out += shortest(matrix.values[index])
            }
            out += "]}"
        }
        out += "}"
    }

    /// The shortest decimal that reads back as the same Float.
    private static func shortest(_ value: Float) -> String {
        if value == 0 { return "0" }
        return value.description
    }

    /// `text` as a JSON string literal, escaped as model files are (also used
    /// by other JSON writers of this project's, so they escape alike).
    public static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
