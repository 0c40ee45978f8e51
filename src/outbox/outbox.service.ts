import { Injectable, Optional } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { MetricsService } from '../metrics/metrics.service';
import { OutboxRepository } from './outbox.repository';

/** What a consumer did with one event. */
export interface ConsumedEvent {
  /** Stored in place of the payload once the event is settled (drop what must not outlive delivery). */
  settledPayload: Record<string, unknown>;
}

/**
 * Why a consumer's attempt failed, which decides what the worker does next:
 * - `unreachable`: the destination did not answer (down, refused the connection, timed out). Retried
 *   with back-off for as long as it takes, never counted: an outage delays events, it loses none.
 * - `refused`: the destination answered "not now" (SMTP 4xx). Retried, counted: failed after
 *   OUTBOX_MAX_ATTEMPTS.
 * - `permanent`: it will never work (SMTP 5xx, an unreadable payload): failed at once.
 */
export type OutboxFailure = 'unreachable' | 'refused' | 'permanent';

/**
 * Handles one event of its topic. Resolving means done; throwing means the attempt failed
 * (`classify` says how). The worker stops waiting after its deadline (as `unreachable`).
 */
export interface OutboxConsumer {
  topic: string;
  handle(event: { id: string; payload: Record<string, unknown>; attempts: number }): Promise<ConsumedEvent>;
  classify(error: unknown): OutboxFailure;
  /** What to store when the event fails for good. */
  failedPayload(payload: Record<string, unknown>): Record<string, unknown>;
}

/**
 * The transactional outbox: a feature writes an event in the transaction of the change that
 * causes it (`enqueue`), and the consumer registered for its topic handles it after the commit
 * (OutboxWorker), with retries. The table is generic (topic + JSON payload): a webhook or
 * message-broker relay is another consumer with a topic of its own.
 */
@Injectable()
export class OutboxService {
  private readonly consumers = new Map<string, OutboxConsumer>();
  private readonly wakeListeners: Array<() => void> = [];

  constructor(
    private readonly events: OutboxRepository,
    // Absent in the commands (create-admin), which run no metrics.
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /** Writes the event in `manager`'s transaction; call `committed(topic)` once that transaction has committed. */
  async enqueue(manager: EntityManager, topic: string, payload: Record<string, unknown>): Promise<string> {
    const id = uuidv7();
    await this.events.insert(manager, { id, topic, payload });
    return id;
  }

  /** Counts the committed events and wakes this instance's worker rather than waiting for its next poll. */
  committed(topic: string, count = 1): void {
    if (count === 0) return;
    this.metrics?.outboxEvent(topic, 'queued', count);
    for (const wake of this.wakeListeners) wake();
  }

  consume(consumer: OutboxConsumer): void {
    this.consumers.set(consumer.topic, consumer);
  }

  consumerOf(topic: string): OutboxConsumer | undefined {
    return this.consumers.get(topic);
  }

  get topics(): string[] {
    return [...this.consumers.keys()];
  }

  onWake(listener: () => void): void {
    this.wakeListeners.push(listener);
  }
}
