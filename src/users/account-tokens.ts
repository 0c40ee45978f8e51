import { createHash, randomBytes } from 'node:crypto';

/** 256 random bits, URL-safe: a token a link can carry and nobody can guess. */
export function newAccountToken(): { token: string; hash: Buffer } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashAccountToken(token) };
}

/**
 * What the database keeps and looks up. SHA-256 without a salt is enough for 256 random bits
 * (nothing to brute-force), and keeps the lookup an index probe.
 */
export function hashAccountToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
