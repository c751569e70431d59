import Recurrent

/// `recurrent sample --json`'s lines, written by hand to keep the keys in
/// the documented order (`JSONEncoder` sorts or shuffles them).
enum SampleJSON {
    /// `{"text","logprob","finish_reason"[,"tokens"]}` on one line.
    static func line(_ sample: GeneratedSample) -> String {
        var line = "{\"text\":\(ModelFile.jsonString(sample.text)),\"logprob\":\(number(sample.logprob))"
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
        "\"char\":\(entry.character.map { ModelFile.jsonString(String($0)) } ?? "null"),\"logprob\":\(number(entry.logprob))"
    }

    /// JSON has no infinity: a character the model gives no chance has null.
    private static func number(_ value: Double) -> String {
        value.isFinite ? value.description : "null"
    }
}
