import Foundation
import Testing
@testable import Recurrent

/// Files shipped beside the tests.
enum Fixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: folder.appendingPathComponent(name))
        return try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}

/// Asserts that two float sequences agree within a relative tolerance (with an
/// absolute floor for values near zero).
func expectClose(_ actual: [Float], _ expected: [Double], relative: Double, absolute: Double,
                 _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "\(label): count", sourceLocation: sourceLocation)
    var worst = 0.0, worstIndex = -1
    for (index, (a, e)) in zip(actual, expected).enumerated() {
        let error = abs(Double(a) - e) / max(abs(e), absolute / relative)
        if error > worst { worst = error; worstIndex = index }
    }
    #expect(worst <= relative, "\(label): worst relative error \(worst) at \(worstIndex)", sourceLocation: sourceLocation)
}

func expectClose(_ actual: Double, _ expected: Double, relative: Double,
                 _ label: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    let error = abs(actual - expected) / max(abs(expected), 1e-12)
    #expect(error <= relative, "\(label): \(actual) vs \(expected) (relative error \(error))", sourceLocation: sourceLocation)
}
