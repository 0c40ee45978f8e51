import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { selectList } from '../../database/select-list';
import { IdempotencyKeyEntity } from './idempotency-key.entity';

/** Which key: one user's key for one operation. */
type IdempotencyKeyId = Pick<IdempotencyKeyEntity, 'userId' | 'scope' | 'key'>;

/** What a replay needs of a stored key. */
type StoredIdempotencyKey = Pick<IdempotencyKeyEntity, 'requestHash' | 'resourceId' | 'response'>;

const STORED_COLUMNS = selectList(IdempotencyKeyEntity, ['requestHash', 'resourceId', 'response']);

/**
 * The statements, parameters in the order given (the benchmark's baseline runs the same ones).
 * claim: ($1 user, $2 scope, $3 key, $4 request hash, $5 TTL in seconds), one row when claimed;
 * find: ($1 user, $2 scope, $3 key); storeResponse: ($1 user, $2 scope, $3 key, $4 resource id, $5 JSON).
 */
export const IDEMPOTENCY_SQL = {
  claim: `INSERT INTO idempotency_keys (user_id, scope, key, request_hash)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id, scope, key) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, resource_id = NULL, response = NULL, created_at = now()
         WHERE idempotency_keys.created_at < now() - make_interval(secs => $5)
       RETURNING 1`,
  find: `SELECT ${STORED_COLUMNS} FROM idempotency_keys WHERE user_id = $1 AND scope = $2 AND key = $3`,
  storeResponse: `UPDATE idempotency_keys SET resource_id = $4, response = $5::json WHERE user_id = $1 AND scope = $2 AND key = $3`,
} as const;

/**
 * The idempotency_keys table. Hand-written SQL because the claim is one INSERT ... ON CONFLICT
 * whose outcome (inserted, taken over, or refused) is what makes concurrent duplicates safe.
 */
@Injectable()
export class IdempotencyKeysRepository {
  constructor(@InjectRepository(IdempotencyKeyEntity) private readonly keys: Repository<IdempotencyKeyEntity>) {}

  /**
   * Inserts the key, or takes over a row older than `ttlSeconds`; false when a live row exists.
   * The primary key makes a concurrent duplicate wait here until the first transaction ends.
   */
  async claim(manager: EntityManager, id: IdempotencyKeyId, requestHash: string, ttlSeconds: number): Promise<boolean> {
    const claimed: unknown[] = await manager.query(IDEMPOTENCY_SQL.claim, [id.userId, id.scope, id.key, requestHash, ttlSeconds]);
    return claimed.length > 0;
  }

  async find(manager: EntityManager, id: IdempotencyKeyId): Promise<StoredIdempotencyKey | undefined> {
    const rows: StoredIdempotencyKey[] = await manager.query(IDEMPOTENCY_SQL.find, [id.userId, id.scope, id.key]);
    return rows[0];
  }

  async storeResponse(manager: EntityManager, id: IdempotencyKeyId, resourceId: string, response: unknown): Promise<void> {
    await manager.query(IDEMPOTENCY_SQL.storeResponse, [id.userId, id.scope, id.key, resourceId, JSON.stringify(response)]);
  }

  /** Deletes up to `batch` keys older than `ttlSeconds`. */
  async purgeExpired(ttlSeconds: number, batch: number): Promise<void> {
    await this.keys.manager.query(
      `DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
         SELECT ctid FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1) LIMIT $2))`,
      [ttlSeconds, batch],
    );
  }
}
