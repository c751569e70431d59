import Foundation
import Logging
import PostgresNIO
import RecurrentStore

/// Job leases (the river and pg-boss way): workers claim the oldest waiting
/// job with `FOR UPDATE SKIP LOCKED`, so claims running at once never wait
/// for each other nor take the same job; every claim bumps the model's
/// `lease_generation`, and each write of the holder names it. Lease times
/// are the database server's (`now()`), so the nodes' clocks do not matter.
extension PostgresModelStore: JobLeaseStore {
    public func claimJob(owner: String, leaseSeconds: Double) async throws -> JobLease? {
        let logger = self.logger
        return try await transaction { connection in
            var claimed: (id: ModelID, generation: Int64, previous: String)?
            // Expired jobs (their worker presumed dead) go before the queue:
            // they were started first.
            let rows = try await connection.query("""
                WITH next AS (
                    SELECT id, status FROM models
                    WHERE status = 'queued'
                        OR (status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at < now()))
                    ORDER BY status = 'running' DESC, queued_at NULLS FIRST, id
                    LIMIT 1 FOR UPDATE SKIP LOCKED
                )
                UPDATE models SET status = 'running', lease_owner = \(owner), lease_claimed_at = now(),
                    lease_expires_at = now() + make_interval(secs => \(leaseSeconds)),
                    lease_generation = models.lease_generation + 1, error = NULL,
                    updated_at = \(StoreClock.now)
                FROM next WHERE models.id = next.id
                RETURNING models.id, models.lease_generation, next.status
                """, logger: logger)
            for try await row in rows.decode((Int64, Int64, String).self) { claimed = (row.0, row.1, row.2) }
            guard let claimed else { return nil }
            // A job taken over continues from its checkpoint: what its last
            // holder recorded after it is dropped, as after a crash. A pause
            // or cancel asked of the dead holder stays for the new one.
            if claimed.previous == ModelStatus.running.rawValue {
                try await Self.rewind(connection, id: claimed.id, logger: logger)
            }
            return JobLease(modelID: claimed.id, owner: owner, generation: claimed.generation)
        }
    }

    public func renew(_ lease: JobLease, leaseSeconds: Double) async throws -> JobOrders? {
        try await ordersQuery(lease, readOnly: false, """
            UPDATE models SET lease_expires_at = now() + make_interval(secs => \(leaseSeconds))
            WHERE id = \(lease.modelID) AND lease_generation = \(lease.generation)
            RETURNING requested, learning_rate, sample_temperature, max_ticks
            """)
    }

    public func orders(_ lease: JobLease) async throws -> JobOrders? {
        try await ordersQuery(lease, readOnly: true, """
            SELECT requested, learning_rate, sample_temperature, max_ticks FROM models
            WHERE id = \(lease.modelID) AND lease_generation = \(lease.generation) AND lease_owner IS NOT NULL
            """)
    }

    private func ordersQuery(_ lease: JobLease, readOnly: Bool, _ query: PostgresQuery) async throws -> JobOrders? {
        let logger = self.logger
        return try await withConnection(readOnly: readOnly) { connection in
            var orders: JobOrders?
            for try await (requested, rate, temperature, maxTicks) in try await connection.query(query, logger: logger)
                .decode((String?, Double, Double, Int?).self) {
                orders = JobOrders(request: requested.flatMap(JobRequest.init(rawValue:)),
                                   settings: MutableSettings(learningRate: rate, sampleTemperature: temperature,
                                                             maxTicks: maxTicks))
            }
            return orders
        }
    }

    public func flush(_ lease: JobLease, figures: ProgressFigures, metrics: [MetricPoint], samples: [SampleEntry],
                      checkpoint: Checkpoint?) async throws {
        let logger = self.logger
        let written = try await transaction { connection in
            try await Self.writeFlush(connection, id: lease.modelID, generation: lease.generation, figures: figures,
                                      metrics: metrics, samples: samples, checkpoint: checkpoint, logger: logger)
        }
        if !written { throw StoreError.leaseLost(lease.modelID, generation: lease.generation) }
    }

    public func saveBest(_ lease: JobLease, _ best: BestWeights) async throws {
        let logger = self.logger
        let written = try await transaction { connection in
            var written = false
            for try await _ in try await connection.query("""
                INSERT INTO best_weights (model_id, weights, step, validation_loss)
                SELECT id, \(best.weights), \(best.step), \(best.validationLoss) FROM models
                WHERE id = \(lease.modelID) AND lease_generation = \(lease.generation)
                ON CONFLICT (model_id) DO UPDATE SET weights = EXCLUDED.weights, step = EXCLUDED.step,
                    validation_loss = EXCLUDED.validation_loss
                RETURNING model_id
                """, logger: logger) {
                written = true
            }
            return written
        }
        if !written { throw StoreError.leaseLost(lease.modelID, generation: lease.generation) }
    }

    public func release(_ lease: JobLease, status: ModelStatus?, error: String?) async throws {
        let logger = self.logger
        let statusText = status?.rawValue
        let released = try await transaction { connection in
            var released = false
            for try await _ in try await connection.query("""
                UPDATE models SET status = COALESCE(\(statusText), status),
                    error = CASE WHEN \(statusText)::TEXT IS NULL THEN error ELSE \(error) END,
                    lease_owner = NULL, lease_claimed_at = NULL, lease_expires_at = NULL, requested = NULL,
                    updated_at = \(StoreClock.now)
                WHERE id = \(lease.modelID) AND lease_generation = \(lease.generation)
                RETURNING id
                """, logger: logger) {
                released = true
            }
            return released
        }
        if !released { throw StoreError.leaseLost(lease.modelID, generation: lease.generation) }
    }

    public func request(_ id: ModelID, _ request: JobRequest) async throws -> Bool {
        let logger = self.logger
        return try await transaction { connection in
            var found = false
            for try await _ in try await connection.query("""
                UPDATE models SET requested = \(request.rawValue) WHERE id = \(id) AND status = 'running' RETURNING id
                """, logger: logger) {
                found = true
            }
            return found
        }
    }

    public func transition(_ id: ModelID, from: Set<ModelStatus>, to status: ModelStatus) async throws -> Bool {
        let logger = self.logger
        let sources = from.map(\.rawValue).sorted()
        let now = StoreClock.now
        let queuedAt: Double? = status == .queued ? now : nil
        return try await transaction { connection in
            var changed = false
            for try await _ in try await connection.query("""
                UPDATE models SET status = \(status.rawValue), error = NULL, updated_at = \(now),
                    queued_at = COALESCE(\(queuedAt), queued_at)
                WHERE id = \(id) AND status = ANY(\(sources))
                RETURNING id
                """, logger: logger) {
                changed = true
            }
            return changed
        }
    }
}
