import ArgumentParser
import Foundation
import Recurrent

/// `recurrent evaluate`: the loss of a model on a text, as one JSON line.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Print a model's loss on a text as one JSON line.",
        discussion: """
            Prints {"sentences","skipped","predictions","total_cost","mean_loss","perplexity"}: \
            sentences with characters outside the model's vocabulary are skipped; a sentence of \
            n characters makes n + 1 predictions; mean_loss = total_cost / predictions in nats \
            and perplexity = exp(mean_loss).
            """
    )

    @Option(help: ArgumentHelp("Model file to evaluate.", valueName: "file"))
    var model: String

    @Option(help: ArgumentHelp("Text to evaluate, one sentence per line.", valueName: "file"))
    var data: String

    func run() throws {
        let model = try InputFiles.model(self.model).loaded.model
        let sentences = try InputFiles.sentences(data)
        print(Self.jsonLine(model.evaluate(sentences: sentences)))
    }

    /// The evaluation on one line, keys in `Evaluation`'s order. Written by
    /// hand because `JSONEncoder` does not keep key order without sorting.
    static func jsonLine(_ evaluation: Evaluation) -> String {
        "{\"sentences\":\(evaluation.sentences),\"skipped\":\(evaluation.skipped)"
            + ",\"predictions\":\(evaluation.predictions),\"total_cost\":\(number(evaluation.totalCost))"
            + ",\"mean_loss\":\(number(evaluation.meanLoss)),\"perplexity\":\(number(evaluation.perplexity))}"
    }

    /// A JSON number; JSON has no infinity (a model that gives a target zero
    /// probability has infinite cost), so non-finite values become null.
    private static func number(_ value: Double) -> String {
        value.isFinite ? value.description : "null"
    }
}
