import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { queryRows } from '../database/query-rows';
import { OutboxEvent } from './outbox-event.entity';

/** A row a worker holds under its lease. */
export interface ClaimedEvent {
  id: string;
  topic: string;
  payload: Record<string, unknown>;
  /** Including this one. */
  attempts: number;
}

export interface PendingStats {
  pending: number;
  /** Age of the oldest pending row, 0 when there is none. */
  oldestAgeSeconds: number;
}

/** The outbox_events table. Every statement runs under the pool's query deadline. */
@Injectable()
export class OutboxRepository {
  constructor(@InjectRepository(OutboxEvent) private readonly events: Repository<OutboxEvent>) {}

  /** Inserts in the caller's transaction: the row exists if and only if that transaction commits. */
  async insert(manager: EntityManager, event: Pick<OutboxEvent, 'id' | 'topic' | 'payload'>): Promise<void> {
    await queryRows(manager, `INSERT INTO outbox_events (id, topic, payload) VALUES ($1, $2, $3)`, [event.id, event.topic, event.payload]);
  }

  /**
   * Leases up to `limit` due rows of these topics to `leaseId` until `leaseMs` from now, counting
   * the attempt. SKIP LOCKED lets concurrent workers take disjoint rows without waiting; the
   * lease keeps them off a row after this short transaction ends, until the worker settles it or
   * the lease runs out (a worker that died).
   */
  async claim(topics: readonly string[], limit: number, leaseId: string, leaseMs: number): Promise<ClaimedEvent[]> {
    return queryRows<ClaimedEvent>(
      this.events.manager,
      `UPDATE outbox_events e
       SET lease_id = $1, leased_until = now() + $2 * interval '1 millisecond', attempts = e.attempts + 1
       WHERE e.id IN (
         SELECT id FROM outbox_events
         WHERE status = 'pending' AND topic = ANY($3) AND available_at <= now() AND (leased_until IS NULL OR leased_until < now())
         ORDER BY available_at
         LIMIT $4
         FOR UPDATE SKIP LOCKED)
       RETURNING e.id, e.topic, e.payload, e.attempts`,
      [leaseId, leaseMs, topics, limit],
    );
  }

  /** Done; `payload` replaces the stored one (a consumer scrubs what must not outlive delivery). False when the lease was lost. */
  async complete(id: string, leaseId: string, payload: Record<string, unknown>): Promise<boolean> {
    const rows = await queryRows<{ id: string }>(
      this.events.manager,
      `UPDATE outbox_events SET status = 'done', processed_at = now(), payload = $3, lease_id = NULL, leased_until = NULL, last_error = NULL
       WHERE id = $1 AND lease_id = $2 RETURNING id`,
      [id, leaseId, payload],
    );
    return rows.length > 0;
  }

  /**
   * Back to pending, due again in `delayMs`. `counted: false` takes back the attempt claim() counted
   * (the destination never answered), so an outage, however long, never exhausts the attempts.
   */
  async retryLater(id: string, leaseId: string, delayMs: number, error: string, counted: boolean): Promise<void> {
    await this.events.query(
      `UPDATE outbox_events
       SET available_at = now() + $3 * interval '1 millisecond', lease_id = NULL, leased_until = NULL, last_error = $4,
           attempts = CASE WHEN $5 THEN attempts ELSE attempts - 1 END
       WHERE id = $1 AND lease_id = $2`,
      [id, leaseId, delayMs, error.slice(0, 500), counted],
    );
  }

  /** Given up on: kept with its last error for an operator; `payload` as in complete(). */
  async fail(id: string, leaseId: string, error: string, payload: Record<string, unknown>): Promise<void> {
    await this.events.query(
      `UPDATE outbox_events SET status = 'failed', processed_at = now(), payload = $4, lease_id = NULL, leased_until = NULL, last_error = $3
       WHERE id = $1 AND lease_id = $2`,
      [id, leaseId, error.slice(0, 500), payload],
    );
  }

  async pendingStats(): Promise<PendingStats> {
    const [row]: Array<{ pending: number; oldest: number | null }> = await this.events.query(
      `SELECT count(*)::int AS pending, extract(epoch FROM now() - min(created_at))::float8 AS oldest FROM outbox_events WHERE status = 'pending'`,
    );
    return { pending: row?.pending ?? 0, oldestAgeSeconds: Math.max(0, row?.oldest ?? 0) };
  }

  /** Settled rows older than this many days go (the pending ones never). */
  async purgeSettled(olderThanDays: number): Promise<void> {
    await this.events.query(`DELETE FROM outbox_events WHERE status <> 'pending' AND processed_at < now() - $1 * interval '1 day'`, [olderThanDays]);
  }
}
