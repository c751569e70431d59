import Testing
import Foundation
@testable import RecurrentTraining

/// How the cores a process may use are read.
struct AvailableCoresTests {
    @Test func theAffinityMaskIsCounted() {
        #expect(AvailableCores.affinityCount(status: "Name:\ttest\nCpus_allowed:\tff\nCpus_allowed_list:\t0-7\n") == 8)
        #expect(AvailableCores.affinityCount(status: "Cpus_allowed:\t00000000,00000005\n") == 2)
        #expect(AvailableCores.affinityCount(status: "Name:\ttest\n") == nil)
        #expect(AvailableCores.affinityCount(status: "Cpus_allowed:\tzz\n") == nil)
    }

    @Test func cgroupQuotasAreCores() {
        #expect(AvailableCores.quota(cpuMax: "max 100000\n") == nil)
        #expect(AvailableCores.quota(cpuMax: "150000 100000\n") == 1.5)
        #expect(AvailableCores.quota(cpuMax: "garbage") == nil)
        #expect(AvailableCores.quota(quotaMicroseconds: "-1\n", periodMicroseconds: "100000\n") == nil)
        #expect(AvailableCores.quota(quotaMicroseconds: "200000\n", periodMicroseconds: "100000\n") == 2)
    }

    /// This process's own count: at least one, at most the machine's processors.
    @Test func thisProcessHasAtLeastOneCore() {
        let count = AvailableCores.count()
        #expect(count >= 1 && count <= ProcessInfo.processInfo.activeProcessorCount)
        #expect(AvailableCores.affinityCount() != nil, "Linux exposes the mask in /proc/self/status")
    }
}
