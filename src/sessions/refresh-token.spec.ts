import { createHash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { classifyFailedRotation, issueRefreshToken, parseRefreshToken } from './refresh-token';

describe('refresh tokens', () => {
  it('carry the session id and 256 random bits, and are stored only as the SHA-256 of the secret', () => {
    const sessionId = uuidv7();
    const issued = issueRefreshToken(sessionId);
    const [prefix, secret] = issued.token.split('.');
    expect(prefix).toBe(sessionId);
    expect(Buffer.from(secret ?? '', 'base64url')).toHaveLength(32);
    // The session id (a UUID), a dot, 32 random bytes in base64url.
    expect(issued.token).toHaveLength(36 + 1 + 43);
    expect(
      issued.hash.equals(
        createHash('sha256')
          .update(secret ?? '')
          .digest(),
      ),
    ).toBe(true);
    expect(issued.hash.toString('utf8')).not.toContain(secret);
  });

  it('are never issued twice for the same session', () => {
    const sessionId = uuidv7();
    expect(issueRefreshToken(sessionId).token).not.toBe(issueRefreshToken(sessionId).token);
  });

  it('parse back to the session id and the stored hash', () => {
    const sessionId = uuidv7();
    const issued = issueRefreshToken(sessionId);
    const parsed = parseRefreshToken(issued.token);
    expect(parsed?.sessionId).toBe(sessionId);
    expect(parsed?.hash.equals(issued.hash)).toBe(true);
  });

  it('accept an upper-case session id and read it in lower case, as sessions are stored', () => {
    const sessionId = uuidv7();
    const issued = issueRefreshToken(sessionId);
    expect(parseRefreshToken(issued.token.replace(sessionId, sessionId.toUpperCase()))?.sessionId).toBe(sessionId);
  });

  it.each([
    ['no separator', 'abc'],
    ['a session id with a prefix', `0${uuidv7()}.${'a'.repeat(43)}`],
    ['a session id with a suffix', `${uuidv7()}0.${'a'.repeat(43)}`],
    ['a secret with a character before it', `${uuidv7()}.!${'a'.repeat(43)}`],
    ['a secret with a character after it', `${uuidv7()}.${'a'.repeat(43)}!`],
    ['a second separator', `${uuidv7()}.${'a'.repeat(21)}.${'a'.repeat(21)}`],
    ['a non-uuid session id', `not-a-uuid.${'a'.repeat(43)}`],
    ['a short secret', `${uuidv7()}.${'a'.repeat(42)}`],
    ['a long secret', `${uuidv7()}.${'a'.repeat(44)}`],
    ['characters outside base64url', `${uuidv7()}.${'+'.repeat(43)}`],
    ['an empty string', ''],
  ])('refuse %s', (_what, token) => {
    expect(parseRefreshToken(token)).toBeUndefined();
  });
});

describe('classifyFailedRotation', () => {
  const live = { exists: true, revoked: false, current: false, spent: false, expired: false };

  it('calls a spent secret of a live session a reuse (the family gets revoked)', () => {
    expect(classifyFailedRotation({ ...live, spent: true })).toBe('token-reused');
  });

  it('calls any other secret merely wrong: knowing the session id is not enough to end a session', () => {
    expect(classifyFailedRotation(live)).toBe('wrong-secret');
  });

  it('never calls anything a reuse once the session has ended or expired', () => {
    expect(classifyFailedRotation({ ...live, revoked: true })).toBe('session-ended');
    expect(classifyFailedRotation({ ...live, revoked: true, spent: true })).toBe('session-ended');
    expect(classifyFailedRotation({ ...live, expired: true, spent: true })).toBe('session-expired');
    expect(classifyFailedRotation({ ...live, current: true })).toBe('session-ended');
  });

  it('tells an expired session and an unknown one apart from theft', () => {
    expect(classifyFailedRotation({ ...live, current: true, expired: true })).toBe('session-expired');
    expect(classifyFailedRotation({ ...live, exists: false })).toBe('unknown-session');
  });
});
