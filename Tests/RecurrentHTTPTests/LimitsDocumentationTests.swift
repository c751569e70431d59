import Foundation
import Testing
@testable import RecurrentHTTP

/// The limits are declared once (`ServiceLimits`); the OpenAPI document and
/// the README's limits table state the same values.
@Suite struct LimitsDocumentationTests {
    static let limits = ServiceLimits()

    /// A schema property of the OpenAPI document's components.
    static func property(_ schema: String, _ path: String...) throws -> [String: Any] {
        let document = try OpenAPITests.document()
        var node: Any? = (document["components"] as? [String: Any])?["schemas"]
        node = (node as? [String: Any])?[schema]
        for key in path { node = ((node as? [String: Any])?["properties"] as? [String: Any])?[key] ?? (node as? [String: Any])?[key] }
        return try #require(node as? [String: Any], "no \(schema).\(path.joined(separator: "."))")
    }

    /// The schema of query parameter `name` of `GET path`.
    static func parameter(_ path: String, _ name: String) throws -> [String: Any] {
        let document = try OpenAPITests.document()
        let operation = ((document["paths"] as? [String: Any])?[path] as? [String: Any])?["get"] as? [String: Any]
        let parameters = operation?["parameters"] as? [[String: Any]] ?? []
        let parameter = parameters.first { $0["name"] as? String == name }
        return try #require(parameter?["schema"] as? [String: Any], "no parameter \(name) of GET \(path)")
    }

    static func expectRange(_ schema: [String: Any], _ minimum: Double?, _ maximum: Double, _ what: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        if let minimum {
            #expect((schema["minimum"] as? NSNumber)?.doubleValue == minimum, "\(what) minimum", sourceLocation: sourceLocation)
        }
        #expect((schema["maximum"] as? NSNumber)?.doubleValue == maximum, "\(what) maximum", sourceLocation: sourceLocation)
    }

    @Test func openAPIBoundsAreTheLimits() throws {
        let limits = Self.limits
        let positive = ServiceLimits.positiveRange
        let exact = Double(ServiceLimits.maxExactInteger)

        let layers = try Self.property("CreateModel", "hidden_sizes")
        #expect(layers["minItems"] as? Int == 1)
        #expect(layers["maxItems"] as? Int == limits.maxLayers)
        Self.expectRange(try #require(layers["items"] as? [String: Any]), Double(limits.hiddenSizes.lowerBound),
                         Double(limits.hiddenSizes.upperBound), "hidden_sizes items")
        Self.expectRange(try Self.property("CreateModel", "letter_size"), Double(limits.letterSizes.lowerBound),
                         Double(limits.letterSizes.upperBound), "letter_size")

        for schema in ["CreateModel", "PatchModel"] {
            #expect(try Self.property(schema, "name")["maxLength"] as? Int == ServiceLimits.maxNameLength, "\(schema).name")
            for field in ["learning_rate", "sample_temperature"] {
                Self.expectRange(try Self.property(schema, field), positive.lowerBound, positive.upperBound, "\(schema).\(field)")
            }
            Self.expectRange(try Self.property(schema, "max_ticks"), 1, exact, "\(schema).max_ticks")
        }
        for (schema, prefix) in [("CreateModel", [String]()), ("ModelFile", ["training"])] {
            let at = { (field: String) throws -> [String: Any] in
                prefix.isEmpty ? try Self.property(schema, field) : try Self.property(schema, prefix[0], field)
            }
            for field in ["learning_rate", "sample_temperature", "clipval"] {
                Self.expectRange(try at(field), positive.lowerBound, positive.upperBound, "\(schema).\(field)")
            }
            Self.expectRange(try at("regc"), 0, positive.upperBound, "\(schema).regc")
            Self.expectRange(try at("max_ticks"), 1, exact, "\(schema).max_ticks")
            Self.expectRange(try at("seed"), 0, exact, "\(schema).seed")
        }
        Self.expectRange(try Self.property("ModelFile", "training", "ticks"), 0, exact, "training.ticks")

        for schema in ["CreateModel", "ModelConfig"] {
            Self.expectRange(try Self.property(schema, "batch_size"), 1, Double(limits.maxBatchSize), "\(schema).batch_size")
            Self.expectRange(try Self.property(schema, "seq_length"), 1, Double(limits.maxSequenceLength), "\(schema).seq_length")
            Self.expectRange(try Self.property(schema, "val_interval"), Double(ServiceLimits.validationIntervals.lowerBound),
                             Double(ServiceLimits.validationIntervals.upperBound), "\(schema).val_interval")
            Self.expectRange(try Self.property(schema, "warmup_ticks"), Double(ServiceLimits.warmupTicks.lowerBound),
                             Double(ServiceLimits.warmupTicks.upperBound), "\(schema).warmup_ticks")
            Self.expectRange(try Self.property(schema, "early_stop"), Double(ServiceLimits.earlyStopValidations.lowerBound),
                             Double(ServiceLimits.earlyStopValidations.upperBound), "\(schema).early_stop")
            for field in ["val_fraction", "dropout"] {
                Self.expectRange(try Self.property(schema, field), 0, ServiceLimits.maxFraction, "\(schema).\(field)")
            }
            Self.expectRange(try Self.property(schema, "lr_decay"), nil, 1, "\(schema).lr_decay")
            #expect((try Self.property(schema, "lr_decay")["exclusiveMinimum"] as? NSNumber)?.doubleValue == 0)
        }

        Self.expectRange(try Self.property("GenerateRequest", "count"), 1, Double(limits.maxGenerateCount), "count")
        Self.expectRange(try Self.property("GenerateRequest", "max_length"), 1, Double(limits.maxGenerateLength), "max_length")
        Self.expectRange(try Self.property("GenerateRequest", "temperature"), positive.lowerBound, positive.upperBound, "temperature")
        Self.expectRange(try Self.property("GenerateRequest", "seed"), 0, exact, "generate seed")
        #expect(try Self.property("PredictRequest", "context")["maxLength"] as? Int == limits.maxGenerateLength)
        Self.expectRange(try Self.property("PredictRequest", "top_k"), 1, Double(limits.maxTopK), "top_k")

        for path in ["/api/models", "/api/models/{id}/metrics", "/api/models/{id}/samples"] {
            Self.expectRange(try Self.parameter(path, "limit"), Double(limits.pageSizes.lowerBound),
                             Double(limits.pageSizes.upperBound), "\(path) limit")
        }
    }

    /// The README's limits table, as `first cell: second cell`.
    static func readmeTable() throws -> [String: String] {
        let url = URL(fileURLWithPath: TestServer.publicDirectory).deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: url, encoding: .utf8)
        let start = try #require(text.range(of: "| limit | value |"), "the README has no limits table")
        var rows: [String: String] = [:]
        for line in text[start.upperBound...].split(separator: "\n").dropFirst(2) {
            guard line.hasPrefix("|") else { break }
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2 else { continue }
            rows[cells[0]] = cells[1]
        }
        return rows
    }

    @Test func readmeTableStatesTheLimits() throws {
        let limits = Self.limits
        func range(_ range: ClosedRange<Int>) -> String { "\(range.lowerBound)...\(range.upperBound)" }
        let expected: [String: String] = [
            "`hidden_sizes` entries": range(limits.hiddenSizes),
            "`hidden_sizes` layers": "1...\(limits.maxLayers)",
            "`letter_size`": range(limits.letterSizes),
            "`batch_size`": "1...\(limits.maxBatchSize)",
            "`seq_length` (window)": "1...\(limits.maxSequenceLength)",
            "`val_interval`": range(ServiceLimits.validationIntervals),
            "`warmup_ticks`": range(ServiceLimits.warmupTicks),
            "`early_stop`": range(ServiceLimits.earlyStopValidations),
            "`learning_rate`, `sample_temperature`, `temperature`, `clipval`": "1e-30...1e+30",
            "`regc`": "0...1e+30",
            "`val_fraction`, `dropout`": "0...\(ServiceLimits.maxFraction)",
            "`lr_decay`": "(0, 1]",
            "`name`": "at most \(ServiceLimits.maxNameLength) characters",
            "`max_ticks`, `seed`": "at most \(ServiceLimits.maxExactInteger)",
            "`generate` `count`": "1...\(limits.maxGenerateCount)",
            "`generate` `max_length`, `predict` `context`": "at most \(limits.maxGenerateLength) characters",
            "`predict` `top_k`": "1...\(limits.maxTopK)",
            "list `limit`": range(limits.pageSizes),
            "memory per model while training": "\(limits.memoryBudgetBytes) bytes",
            "JSON objects and arrays per body": "\(ServiceLimits.maxJSONContainers)",
            "request body (`--max-body-bytes`)": "\(limits.maxBodyBytes) bytes",
            "corpus (`--max-corpus-bytes`)": "\(limits.maxCorpusBytes) bytes",
            "uploaded corpus (`--max-upload-bytes`)": "\(limits.maxUploadBytes) bytes",
            "bodies parsed off the request threads": "from \(ServiceLimits.inlineParseBytes) bytes",
        ]
        #expect(ServiceLimits.positiveRange == 1e-30...1e30)
        #expect(try Self.readmeTable() == expected)
    }
}
