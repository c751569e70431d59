import Foundation
import Testing

@Suite("recurrent gradcheck")
struct GradientCheckCommandTests {
    @Test("passes for lstm, rnn and gru, one line per parameter")
    func passes() throws {
        let workspace = try Workspace()
        let output = try workspace.run("gradcheck")
        #expect(output.status == 0, "\(output.stdout)\(output.stderr)")
        let lines = output.stdoutLines.map { $0.split(separator: " ") }
        #expect(lines.allSatisfy { $0.count == 3 && Double($0[2]) != nil }, "\(output.stdout)")
        #expect(Set(lines.map { String($0[0]) }) == ["lstm", "rnn", "gru"])
        #expect(lines.contains { $0[0] == "lstm" && $0[1] == "Wil" })
    }

    @Test("fails with status 1 when the bound is impossibly tight")
    func failsAboveBound() throws {
        let workspace = try Workspace()
        let output = try workspace.run("gradcheck", "--generator", "rnn", "--bound", "1e-300")
        #expect(output.status == 1)
        #expect(output.stderrLines.count == 1 && output.stderr.hasPrefix("error: "), "\(output.stderr)")
        #expect(output.stdoutLines.allSatisfy { $0.hasPrefix("rnn ") })
    }
}
