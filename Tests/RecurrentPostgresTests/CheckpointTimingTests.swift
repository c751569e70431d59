import Foundation
import RecurrentPostgres
import RecurrentStore
import Testing

extension PostgresStoreTests {
    @Suite struct CheckpointTiming {
        /// An LSTM of two 512-unit layers with its solver state is about 38 MB
        /// of checkpoint: the times are printed, not checked (the machine is shared).
        @Test func writesAndReadsA38MegabyteCheckpoint() async throws {
            try await StoreFixtures.withStore { store in
                let id = try await store.insert(StoreFixtures.newModel(), status: .running,
                                                checkpoint: StoreFixtures.checkpoint()).id
                let checkpoint = Checkpoint(weights: StoreFixtures.data(38 << 20, seed: 9), randomState: [1, 2, 3, 4],
                                            ticks: 1000, epoch: 1, firstLoss: 4, time: 1_700_000_000)
                let clock = ContinuousClock()
                var writes: [Duration] = [], reads: [Duration] = []
                for _ in 0..<3 {
                    var start = clock.now
                    try await store.flush(id, figures: ProgressFigures(ticks: 1000), metrics: [], samples: [],
                                          checkpoint: checkpoint)
                    writes.append(clock.now - start)
                    start = clock.now
                    let read = try await store.checkpoint(id)
                    reads.append(clock.now - start)
                    #expect(read == checkpoint)
                }
                func format(_ times: [Duration]) -> String {
                    times.map { String(format: "%.0f ms", Double($0.components.seconds) * 1000
                                       + Double($0.components.attoseconds) / 1e15) }.joined(separator: ", ")
                }
                print("PostgresModelStore 38 MB checkpoint: write \(format(writes)); read \(format(reads))")
            }
        }
    }
}
