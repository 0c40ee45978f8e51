import { createHash, randomBytes } from 'node:crypto';
import { isUuid } from '../common/uuid';

/**
 * A refresh token is `<session id>.<43 base64url characters of 32 random bytes>`. The session id
 * lets the server find the session by primary key; only SHA-256 of the random part is stored, so a
 * database leak does not hand out working tokens.
 */
const SECRET_BYTES = 32;
const SECRET = /^[A-Za-z0-9_-]{43}$/;

export interface IssuedRefreshToken {
  token: string;
  hash: Buffer;
}

export interface ParsedRefreshToken {
  sessionId: string;
  hash: Buffer;
}

function hashRefreshSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

export function issueRefreshToken(sessionId: string): IssuedRefreshToken {
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { token: `${sessionId}.${secret}`, hash: hashRefreshSecret(secret) };
}

/** Undefined for anything that is not shaped like a token we issue. */
export function parseRefreshToken(token: string): ParsedRefreshToken | undefined {
  const dot = token.indexOf('.');
  // Stryker disable next-line ConditionalExpression,EqualityOperator: with no dot, the "secret" would be the whole token and its first 42 characters the "session id": never a UUID
  if (dot < 0) return undefined;
  const sessionId = token.slice(0, dot).toLowerCase();
  const secret = token.slice(dot + 1);
  if (!isUuid(sessionId) || !SECRET.test(secret)) return undefined;
  return { sessionId, hash: hashRefreshSecret(secret) };
}

/** What PostgreSQL says about a session whose conditional rotation matched no row. */
export interface FailedRotationFacts {
  exists: boolean;
  revoked: boolean;
  /** The presented token is the session's current one. */
  current: boolean;
  /** The presented token was one of the session's, already spent (SPENT_SECRETS_KEPT newest). */
  spent: boolean;
  expired: boolean;
}

export type RotationFailure = 'unknown-session' | 'session-ended' | 'token-reused' | 'session-expired' | 'wrong-secret';

/** How many spent secrets a session remembers; an older one is refused as merely wrong. */
export const SPENT_SECRETS_KEPT = 64;

/**
 * Why a refresh was refused. Only a secret that was once valid for this live session proves a
 * copy of its tokens is out there (or a lost race between two refreshes of one client): the
 * family is revoked. Any other secret is a guess by someone who merely knows the session id,
 * which every access token shows: refused, and the session left alone.
 */
export function classifyFailedRotation(facts: FailedRotationFacts): RotationFailure {
  if (!facts.exists) return 'unknown-session';
  if (facts.revoked) return 'session-ended';
  if (facts.expired) return 'session-expired';
  if (facts.spent) return 'token-reused';
  // The current secret of a live session whose rotation matched no row: it was rotated (or the
  // account disabled) between our update and this read.
  if (facts.current) return 'session-ended';
  return 'wrong-secret';
}
