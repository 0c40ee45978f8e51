import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { v7 as uuidv7 } from 'uuid';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { retryDelayMs } from './backoff';
import { type ClaimedEvent, OutboxRepository } from './outbox.repository';
import { OutboxService } from './outbox.service';

/** Rows leased per poll: small, so a slow consumer does not sit on rows another instance could take. */
const BATCH_SIZE = 10;
/** Settled rows are kept this long (an operator's view of what was sent), then purged. */
const SETTLED_RETENTION_DAYS = 7;
const PURGE_INTERVAL_MS = 3_600_000;
/** Tries to record a delivered event before giving up (the lease then lets another worker redo it). */
const SETTLE_TRIES = 5;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

class DeadlineExceeded extends Error {}

/** Rejects once `ms` have passed: no consumer may hold the worker longer than its lease allows. */
function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Delivers the outbox: polls for due events of the topics that have a consumer, leases a batch
 * (FOR UPDATE SKIP LOCKED, see OutboxRepository.claim), hands each to its consumer, and settles
 * it: done, due again after an exponential back-off with jitter, or failed (at once when the
 * consumer says it can never work, after OUTBOX_MAX_ATTEMPTS refusals; never for a destination that
 * is merely unreachable). Runs in every instance; a restarted instance picks up whatever is pending,
 * and a row leased by an instance that died becomes due again when its lease ends.
 */
@Injectable()
export class OutboxWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxWorker.name);
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private lastPurge = 0;
  /** Consecutive unanswered attempts per event on this instance, for their back-off (bounded: entries go on success or when many). */
  private readonly unanswered = new Map<string, number>();

  constructor(
    private readonly outbox: OutboxService,
    private readonly events: OutboxRepository,
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {}

  /** The consumer's deadline: an SMTP exchange is three timed steps (connect, greeting, each reply), plus slack. */
  get handlerDeadlineMs(): number {
    return this.config.smtpTimeoutMs * 3 + 1000;
  }

  /** Twice the deadline, so a live worker always settles a row before anyone else may take it. */
  get leaseMs(): number {
    return this.handlerDeadlineMs * 2;
  }

  onApplicationBootstrap(): void {
    if (this.outbox.topics.length === 0) return;
    this.outbox.onWake(() => {
      this.woken = true;
      this.wakeUp?.();
    });
    this.running = this.loop();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.abort.abort();
    this.wakeUp?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.abort.signal.aborted) {
      let handled = 0;
      try {
        handled = await this.pollOnce();
        await this.refreshStats();
      } catch (error) {
        // The database may be down: the events wait in it, and the next poll tries again.
        this.logger.warn({ error: message(error) }, 'outbox poll failed');
      }
      // A full batch suggests more are due: go again at once.
      if (handled < BATCH_SIZE) await this.idle();
    }
  }

  private async idle(): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      this.wakeUp = resolve;
      sleep(this.config.outboxPollIntervalMs, undefined, { signal: this.abort.signal }).then(resolve, resolve);
    });
    this.wakeUp = undefined;
    this.woken = false;
  }

  /** One batch; returns how many events it leased. */
  async pollOnce(): Promise<number> {
    const leaseId = uuidv7();
    const claimed = await this.events.claim(this.outbox.topics, BATCH_SIZE, leaseId, this.leaseMs);
    for (const event of claimed) await this.handle(event, leaseId);
    return claimed.length;
  }

  private async handle(event: ClaimedEvent, leaseId: string): Promise<void> {
    const consumer = this.outbox.consumerOf(event.topic);
    if (consumer === undefined) return;
    let settledPayload: Record<string, unknown>;
    try {
      ({ settledPayload } = await withDeadline(consumer.handle(event), this.handlerDeadlineMs));
    } catch (error) {
      const reason = message(error);
      const failure = error instanceof DeadlineExceeded ? 'unreachable' : consumer.classify(error);
      if (failure === 'permanent' || (failure === 'refused' && event.attempts >= this.config.outboxMaxAttempts)) {
        await this.events.fail(event.id, leaseId, reason, consumer.failedPayload(event.payload));
        this.metrics.outboxEvent(event.topic, 'failed');
        this.logger.error({ eventId: event.id, topic: event.topic, attempts: event.attempts, failure, error: reason }, 'outbox event failed for good');
      } else {
        const counted = failure === 'refused';
        // Uncounted attempts still back off: the unanswered attempts so far are not known, so use the time waited.
        const delayMs = retryDelayMs(counted ? event.attempts : this.unansweredStreak(event.id), this.config.outboxRetryBaseMs, this.config.outboxRetryMaxMs);
        await this.events.retryLater(event.id, leaseId, delayMs, reason, counted);
        this.metrics.outboxEvent(event.topic, 'retried');
        this.logger.warn(
          { eventId: event.id, topic: event.topic, attempts: event.attempts, failure, retryInMs: delayMs, error: reason },
          'outbox event will be retried',
        );
      }
      return;
    }
    this.unanswered.delete(event.id);
    this.metrics.outboxEvent(event.topic, 'sent');
    await this.settle(event, leaseId, settledPayload);
  }

  /**
   * Records a delivered event. Retried while the lease lasts: if it cannot be recorded (the
   * database went away right after the hand-off), the event becomes due again when the lease ends
   * and is delivered a second time, the one case of a duplicate.
   */
  private async settle(event: ClaimedEvent, leaseId: string, payload: Record<string, unknown>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (!(await this.events.complete(event.id, leaseId, payload))) {
          this.logger.error({ eventId: event.id, topic: event.topic }, 'outbox lease lost before the event was recorded as done');
        }
        return;
      } catch (error) {
        if (attempt >= SETTLE_TRIES) {
          this.logger.error({ eventId: event.id, topic: event.topic, error: message(error) }, 'could not record a delivered outbox event');
          return;
        }
        await sleep(Math.min(this.leaseMs / (2 * SETTLE_TRIES), 2000 * attempt));
      }
    }
  }

  private unansweredStreak(eventId: string): number {
    const streak = (this.unanswered.get(eventId) ?? 0) + 1;
    if (this.unanswered.size > 10_000) this.unanswered.clear();
    this.unanswered.set(eventId, streak);
    return streak;
  }

  private async refreshStats(): Promise<void> {
    const stats = await this.events.pendingStats();
    this.metrics.outboxPending(stats.pending, stats.oldestAgeSeconds);
    if (Date.now() - this.lastPurge > PURGE_INTERVAL_MS) {
      this.lastPurge = Date.now();
      await this.events.purgeSettled(SETTLED_RETENTION_DAYS);
    }
  }
}
