import Recurrent

/// `recurrent sample --json`'s lines, written by hand to keep the keys in
/// the documented order (`JSONEncoder` sorts or shuffles them).
enum SampleJSON {
    /// `{"text","logprob","finish_reason"[,"tokens"]}` on one line.
    static func line(_ sample: GeneratedSample) -> String {
        var line = "{\"text\":\(string(sample.text)),\"logprob\":\(number(sample.logprob))"
            + ",\"finish_reason\":\"\(sample.finishReason.rawValue)\""
        if let tokens = sample.tokens {
            line += ",\"tokens\":[" + tokens.map(token).joined(separator: ",") + "]"
        }
        return line + "}"
    }

    private static func token(_ token: GeneratedToken) -> String {
        "{" + entry(token.chosen) + ",\"top\":[" + token.top.map { "{" + entry($0) + "}" }.joined(separator: ",") + "]}"
    }

    /// `"char":…,"logprob":…`; END's character is null.
    private static func entry(_ entry: CharacterLogprob) -> String {
        "\"char\":\(entry.character.map { string(String($0)) } ?? "null"),\"logprob\":\(number(entry.logprob))"
    }

    /// JSON has no infinity: a character the model gives no chance has null.
    private static func number(_ value: Double) -> String {
        value.isFinite ? value.description : "null"
    }

    /// A JSON string literal.
    static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || (0xD800...0xDFFF).contains(scalar.value):
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
