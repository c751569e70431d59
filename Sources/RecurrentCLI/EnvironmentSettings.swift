import ArgumentParser
import Foundation

/// Environment variables that stand in for options a flag did not give
/// (a flag always wins), so a container can be configured without a command
/// line.
struct EnvironmentSettings {
    let variables: [String: String]

    init(_ variables: [String: String] = ProcessInfo.processInfo.environment) {
        self.variables = variables
    }

    /// The variable's value parsed like the option's; nil when unset or
    /// empty. A value that does not parse is a usage error naming the variable.
    func value<Value: ExpressibleByArgument>(_ name: String, as type: Value.Type = Value.self) throws -> Value? {
        guard let raw = variables[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
        guard let value = Value(argument: raw) else {
            let choices = Value.allValueStrings
            throw ValidationError("\(name)=\(raw) is not valid" + (choices.isEmpty ? "" : " (one of \(choices.joined(separator: ", ")))"))
        }
        return value
    }

    /// A yes/no variable: 1, true, yes or on; 0, false, no or off.
    func flag(_ name: String) throws -> Bool? {
        guard let raw = variables[name]?.trimmingCharacters(in: .whitespaces).lowercased(), !raw.isEmpty else { return nil }
        switch raw {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ValidationError("\(name)=\(raw) is not valid (use true or false)")
        }
    }

    /// A comma-separated list.
    func list(_ name: String) -> [String]? {
        guard let raw = variables[name], !raw.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        return raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
