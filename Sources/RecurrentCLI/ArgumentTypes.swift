import ArgumentParser
import Foundation
import Recurrent
import RecurrentTraining

// The engine's enums are parsed by their raw names (lstm, rnn, gru; rmsprop,
// adam), which ArgumentParser also lists in --help.
extension Generator: ExpressibleByArgument {}
extension Optimizer: ExpressibleByArgument {}
extension LearningRateSchedule.Shape: ExpressibleByArgument {}

/// `--corpus`: how the data file is read (sentences or text).
extension CorpusKind: ExpressibleByArgument {}
extension ProductPrecision: ExpressibleByArgument {}

/// `--hidden-sizes 20,20`: one positive size per layer, bottom layer first.
struct HiddenSizes: Equatable, CustomStringConvertible {
    /// Larger layers would not fit in memory on ordinary machines.
    static let maximum = 100_000

    let sizes: [Int]

    init(_ sizes: [Int]) { self.sizes = sizes }

    /// Parses the option's value; the error completes ArgumentParser's
    /// "The value ... is invalid" line.
    static func parse(_ argument: String) throws -> HiddenSizes {
        var sizes: [Int] = []
        for part in argument.split(separator: ",", omittingEmptySubsequences: false) {
            guard let size = Int(part.trimmingCharacters(in: .whitespaces)), (1...maximum).contains(size) else {
                throw ValidationError("expected sizes from 1 to \(maximum) separated by commas, such as 20,20")
            }
            sizes.append(size)
        }
        return HiddenSizes(sizes)
    }

    var description: String { sizes.map(String.init).joined(separator: ",") }
}

extension Vocabulary.UnknownCharacter {
    /// The engine's description, with the character shown as itself when
    /// printable and always by its code point.
    var readable: String {
        let hex = String(character.value, radix: 16, uppercase: true)
        let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        let shown = character.properties.isWhitespace || character.properties.generalCategory == .control
            || character.properties.generalCategory == .format ? "" : "'\(character)' "
        return "character \(shown)(\(code)) at position \(offset) is not in the model's vocabulary"
    }
}

/// Checks shared by the commands' `validate()`; each throws a one-line
/// `ValidationError` naming the option.
enum Check {
    static func positive<T: BinaryFloatingPoint>(_ value: T?, _ option: String) throws {
        guard let value else { return }
        guard value.isFinite, value > 0 else {
            throw ValidationError("\(option) must be a positive number (got \(value))")
        }
    }

    static func nonNegative<T: BinaryFloatingPoint>(_ value: T?, _ option: String) throws {
        guard let value else { return }
        guard value.isFinite, value >= 0 else {
            throw ValidationError("\(option) must be a number >= 0 (got \(value))")
        }
    }

    static func atLeast(_ minimum: Int, _ value: Int?, _ option: String) throws {
        guard let value else { return }
        guard value >= minimum else {
            throw ValidationError("\(option) must be an integer >= \(minimum) (got \(value))")
        }
    }
}
