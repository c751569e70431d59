import Foundation

/// The cores this process may run on: the CPUs of its affinity mask, capped
/// by a cgroup CPU quota (a container's `--cpus`), at least 1. Training
/// defaults to this many threads.
public enum AvailableCores {
    /// The cores available now (read on every call: affinity can change).
    public static func count() -> Int {
        var cores = affinityCount() ?? ProcessInfo.processInfo.activeProcessorCount
        if let quota = cgroupQuota() { cores = min(cores, Int(quota.rounded(.up))) }
        return max(1, cores)
    }

    /// CPUs in the affinity mask (`taskset`, `docker --cpuset-cpus`), from
    /// `/proc/self/status` (glibc's `sched_getaffinity` is not visible to
    /// Swift); nil where unknown.
    static func affinityCount() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        return affinityCount(status: status)
    }

    /// CPUs in the `Cpus_allowed:` mask of a `/proc/PID/status` text
    /// (hexadecimal words separated by commas).
    static func affinityCount(status: String) -> Int? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") }) else { return nil }
        var count = 0
        for character in line.dropFirst("Cpus_allowed:".count) where character != "," && !character.isWhitespace {
            guard let digit = character.hexDigitValue else { return nil }
            count += digit.nonzeroBitCount
        }
        return count > 0 ? count : nil
    }

    /// Cores' worth of CPU time the cgroup allows (cgroup v2's `cpu.max`, else
    /// v1's CFS quota); nil when unlimited or not in a cgroup.
    static func cgroupQuota(root: String = "/sys/fs/cgroup") -> Double? {
        if let text = try? String(contentsOfFile: root + "/cpu.max", encoding: .utf8) {
            return quota(cpuMax: text)
        }
        if let quota = try? String(contentsOfFile: root + "/cpu/cpu.cfs_quota_us", encoding: .utf8),
           let period = try? String(contentsOfFile: root + "/cpu/cpu.cfs_period_us", encoding: .utf8) {
            return self.quota(quotaMicroseconds: quota, periodMicroseconds: period)
        }
        return nil
    }

    /// Cores from cgroup v2's `cpu.max` ("max 100000" or "150000 100000").
    static func quota(cpuMax: String) -> Double? {
        let fields = cpuMax.split(whereSeparator: \.isWhitespace)
        guard fields.count == 2, let quota = Double(fields[0]), let period = Double(fields[1]),
              quota > 0, period > 0 else { return nil }
        return quota / period
    }

    /// Cores from cgroup v1's quota and period (a quota of -1 is unlimited).
    static func quota(quotaMicroseconds: String, periodMicroseconds: String) -> Double? {
        guard let quota = Double(quotaMicroseconds.trimmingCharacters(in: .whitespacesAndNewlines)),
              let period = Double(periodMicroseconds.trimmingCharacters(in: .whitespacesAndNewlines)),
              quota > 0, period > 0 else { return nil }
        return quota / period
    }
}
