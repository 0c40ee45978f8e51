import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ProblemException } from '../problem/problem.exception';
import { IdempotencyKeysRepository } from './idempotency.repository';
import { hashRequest } from './canonical-json';

/** How long a key is remembered: a retry within this window replays the first response. */
const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
/** At most one purge of expired keys per process per interval, bounded in rows. */
const PURGE_INTERVAL_MS = 60_000;
const PURGE_BATCH = 1000;

export interface IdempotentRequest {
  userId: string;
  /** The operation the key belongs to, e.g. `tasks.create`: keys never cross operations. */
  scope: string;
  key: string;
  /** The normalised request (see hashRequest): the same key with another request is a conflict. */
  request: unknown;
}

export type IdempotencyClaim<T> = { kind: 'claimed'; requestHash: string } | { kind: 'replay'; resourceId: string; response: T };

/**
 * Idempotency-Key handling for creating requests, inside the caller's transaction:
 *
 * 1. `claim` inserts the key row first. The primary key (user, scope, key) makes a concurrent
 *    duplicate's INSERT wait until the first transaction ends; if that one commits, the duplicate
 *    sees the conflict and reads the stored response; if it rolls back, the duplicate proceeds
 *    as the first. So exactly one resource is created, whatever the timing.
 * 2. The caller creates its resource in the same transaction and calls `complete` with the
 *    response, which commits atomically with the resource: a stored key always has a response.
 *
 * An expired row (older than 24 h, not yet purged) is taken over by the same INSERT.
 */
@Injectable()
export class IdempotencyService {
  private readonly logger = new Logger(IdempotencyService.name);
  private lastPurgeAt = 0;

  constructor(private readonly keys: IdempotencyKeysRepository) {}

  async claim<T>(manager: EntityManager, request: IdempotentRequest): Promise<IdempotencyClaim<T>> {
    const requestHash = hashRequest(request.request);
    if (await this.keys.claim(manager, request, requestHash, IDEMPOTENCY_TTL_SECONDS)) return { kind: 'claimed', requestHash };

    const existing = await this.keys.find(manager, request);
    if (existing === undefined || existing.requestHash !== requestHash) {
      throw new ProblemException(
        409,
        'idempotency-key-reused',
        'This Idempotency-Key was already used with a different request; use a new key for a new request',
      );
    }
    if (existing.resourceId === null || existing.response === null) {
      // Unreachable while claim and complete share a transaction; kept so a future caller that
      // splits them gets a clear answer instead of a half-stored replay.
      throw new ProblemException(409, 'idempotency-key-in-progress', 'A request with this Idempotency-Key is still in progress; retry shortly');
    }
    // The stored response is the one `complete` was given for this scope, so it is a T.
    return { kind: 'replay', resourceId: existing.resourceId, response: existing.response as T };
  }

  async complete(manager: EntityManager, request: IdempotentRequest, resourceId: string, response: unknown): Promise<void> {
    await this.keys.storeResponse(manager, request, resourceId, response);
  }

  /**
   * Deletes a batch of expired keys, at most once a minute per process, off the request path.
   * Expired rows are harmless meanwhile (claim takes them over), so a failure is only logged.
   */
  purgeExpiredSoon(): void {
    const now = Date.now();
    if (now - this.lastPurgeAt < PURGE_INTERVAL_MS) return;
    this.lastPurgeAt = now;
    this.keys
      .purgeExpired(IDEMPOTENCY_TTL_SECONDS, PURGE_BATCH)
      .catch((error: unknown) => this.logger.warn(`purging expired idempotency keys failed: ${error instanceof Error ? error.message : String(error)}`));
  }
}
