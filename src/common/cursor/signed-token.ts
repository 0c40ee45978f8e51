import { createHmac, timingSafeEqual } from 'node:crypto';

/** Bytes of HMAC-SHA256 kept in a token: 128 bits is far beyond guessing, and keeps URLs short. */
const MAC_BYTES = 16;

/**
 * Opaque, tamper-evident tokens (`<base64url JSON>.<base64url MAC>`) for pagination cursors and
 * change-feed positions. Each purpose gets its own key derived from the JWT secret, so a cursor can
 * never be replayed as a change token (or as anything else signed with that secret).
 */
export class SignedTokenCodec {
  private readonly key: Buffer;

  constructor(secret: string, purpose: string) {
    this.key = createHmac('sha256', secret).update(`taskwright:${purpose}:v1`).digest();
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.key).update(payload).digest().subarray(0, MAC_BYTES);
  }

  encode(value: unknown): string {
    const payload = Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
    return `${payload}.${this.mac(payload).toString('base64url')}`;
  }

  /** The decoded JSON value, or undefined when the token is malformed or its MAC does not match. */
  decode(token: string): unknown {
    const parts = token.split('.');
    if (parts.length !== 2) return undefined;
    const [payload, signature] = parts as [string, string];
    if (!/^[A-Za-z0-9_-]+$/.test(payload) || !/^[A-Za-z0-9_-]+$/.test(signature)) return undefined;
    const given = Buffer.from(signature, 'base64url');
    const expected = this.mac(payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    // Only a holder of the key gets past the MAC with something that is not JSON: a 400, not a 500.
    // Stryker disable BlockStatement: an emptied catch ends decode() with undefined all the same (the try's own block is killed by the round-trip spec)
    try {
      return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    } catch {
      return undefined;
    }
    // Stryker restore BlockStatement
  }
}
