import Foundation
@testable import RecurrentPostgres
import RecurrentStore
import Testing

extension PostgresStoreTests {
    /// Job leases: the claims, renewals, fenced writes and requests a cluster's
    /// nodes coordinate with.
    @Suite struct Leases {
        private func queued(_ store: PostgresModelStore, count: Int) async throws -> [ModelID] {
            var ids: [ModelID] = []
            for _ in 0..<count {
                let id = try await store.insert(StoreFixtures.newModel(), status: .idle, checkpoint: StoreFixtures.checkpoint()).id
                try await store.setStatus(id, .queued)
                try await Task.sleep(for: .milliseconds(2))
                ids.append(id)
            }
            return ids
        }

        @Test func claimsAreFirstInFirstOutAndEachJobGoesToOneWorker() async throws {
            try await StoreFixtures.withStore { store in
                let ids = try await queued(store, count: 6)
                // Eight claims at once for six jobs: six distinct jobs, two nils.
                let claims = try await withThrowingTaskGroup(of: JobLease?.self) { group in
                    for worker in 0..<8 {
                        group.addTask { try await store.claimJob(owner: "w\(worker)", leaseSeconds: 30) }
                    }
                    var claims: [JobLease?] = []
                    for try await claim in group { claims.append(claim) }
                    return claims
                }
                let leases = claims.compactMap { $0 }
                #expect(leases.count == 6 && Set(leases.map(\.modelID)) == Set(ids))
                for lease in leases {
                    let record = try #require(try await store.model(lease.modelID))
                    #expect(record.status == .running && record.lease?.owner == lease.owner && lease.generation == 1)
                    #expect(record.lease.map { $0.expiresAt > $0.since + 25 } == true)
                }
                // In order, one at a time.
                let more = try await queued(store, count: 3)
                var order: [ModelID] = []
                while let lease = try await store.claimJob(owner: "w", leaseSeconds: 30) { order.append(lease.modelID) }
                #expect(order == more)
            }
        }

        @Test func anExpiredJobIsTakenOverFromItsCheckpointAndTheOldHolderIsFencedOut() async throws {
            try await StoreFixtures.withStore { store in
                let id = try await queued(store, count: 1)[0]
                let first = try #require(try await store.claimJob(owner: "a", leaseSeconds: 1))
                try await store.flush(first, figures: ProgressFigures(ticks: 200, epoch: 2),
                                      metrics: [HistoryFixtures.point(100), HistoryFixtures.point(200)], samples: [],
                                      checkpoint: StoreFixtures.checkpoint(ticks: 200))
                try await store.flush(first, figures: ProgressFigures(ticks: 300, epoch: 3),
                                      metrics: [HistoryFixtures.point(300)], samples: [HistoryFixtures.sample(300)],
                                      checkpoint: nil)
                // Not yet expired: nobody else gets it.
                #expect(try await store.claimJob(owner: "b", leaseSeconds: 30) == nil)
                try await Task.sleep(for: .milliseconds(1200))
                let second = try #require(try await store.claimJob(owner: "b", leaseSeconds: 30))
                #expect(second.modelID == id && second.generation == first.generation + 1)
                // Rewound to the checkpoint: the history after it is gone, as after a crash.
                let record = try #require(try await store.model(id))
                #expect(record.ticks == 200 && record.lease?.owner == "b")
                #expect(try await store.metrics(id, afterStep: 0, limit: 10).map(\.step) == [100, 200])
                #expect(try await store.samples(id, after: 0, limit: 10).isEmpty)
                // Every write of the stale holder is refused and changes nothing.
                await #expect(throws: StoreError.leaseLost(id, generation: first.generation)) {
                    try await store.flush(first, figures: ProgressFigures(ticks: 999, epoch: 9),
                                          metrics: [HistoryFixtures.point(999)], samples: [],
                                          checkpoint: StoreFixtures.checkpoint(ticks: 999))
                }
                await #expect(throws: StoreError.self) {
                    try await store.saveBest(first, BestWeights(weights: Data([1]), step: 999, validationLoss: 1))
                }
                await #expect(throws: StoreError.self) { try await store.release(first, status: .paused, error: nil) }
                #expect(try await store.renew(first, leaseSeconds: 30) == nil)
                #expect(try await store.orders(first) == nil)
                #expect(try await store.checkpoint(id)?.ticks == 200)
                #expect(try await store.bestWeights(id) == nil)
                let after = try #require(try await store.model(id))
                #expect(after.ticks == 200 && after.status == .running && after.lease?.owner == "b")
                // The new holder writes.
                try await store.flush(second, figures: ProgressFigures(ticks: 250, epoch: 2.5), metrics: [], samples: [],
                                      checkpoint: StoreFixtures.checkpoint(ticks: 250))
                #expect(try await store.checkpoint(id)?.ticks == 250)
            }
        }

        @Test func renewalsKeepTheJobAndCarryRequestsAndSettings() async throws {
            try await StoreFixtures.withStore { store in
                let id = try await queued(store, count: 1)[0]
                let lease = try #require(try await store.claimJob(owner: "a", leaseSeconds: 1))
                for _ in 0..<3 {
                    try await Task.sleep(for: .milliseconds(500))
                    #expect(try await store.renew(lease, leaseSeconds: 1)?.request == nil)
                }
                // Renewed past its first expiry: still nobody else's.
                #expect(try await store.claimJob(owner: "b", leaseSeconds: 30) == nil)
                var settings = try #require(try await store.model(id)).settings
                settings.learningRate = 0.5
                try await store.update(id, name: nil, settings: settings)
                #expect(try await store.request(id, .pause))
                let orders = try #require(try await store.orders(lease))
                #expect(orders.request == .pause && orders.settings.learningRate == 0.5)
                try await store.release(lease, status: .paused, error: nil)
                let record = try #require(try await store.model(id))
                #expect(record.status == .paused && record.lease == nil)
                // A request for a model that is not running finds nothing.
                #expect(try await store.request(id, .cancel) == false)
            }
        }

        @Test func aReleaseWithoutStatusHandsTheJobToTheNextWorkerAtOnce() async throws {
            try await StoreFixtures.withStore { store in
                let id = try await queued(store, count: 1)[0]
                let lease = try #require(try await store.claimJob(owner: "a", leaseSeconds: 60))
                try await store.release(lease, status: nil, error: nil)
                #expect(try await store.model(id)?.status == .running)
                let next = try #require(try await store.claimJob(owner: "b", leaseSeconds: 60))
                #expect(next.modelID == id && next.generation == lease.generation + 1)
            }
        }

        @Test func transitionsHappenOnlyFromTheStatusesNamed() async throws {
            try await StoreFixtures.withStore { store in
                let id = try await queued(store, count: 1)[0]
                _ = try #require(try await store.claimJob(owner: "a", leaseSeconds: 60))
                // Claimed meanwhile: pausing "the queued job" does nothing.
                #expect(try await store.transition(id, from: [.queued], to: .paused) == false)
                #expect(try await store.model(id)?.status == .running)
                #expect(try await store.transition(id, from: [.running], to: .cancelled))
                #expect(try await store.model(id)?.status == .cancelled)
            }
        }

        @Test func signalsReachListeners() async throws {
            try await StoreFixtures.withStore { store in
                var signals = store.signals().makeAsyncIterator()
                // The listener reports the queue once it is connected.
                #expect(await signals.next() == .queue)
                await store.signal(.control(42))
                await store.signal(.queue)
                #expect(await signals.next() == .control(42))
                #expect(await signals.next() == .queue)
            }
        }
    }
}
