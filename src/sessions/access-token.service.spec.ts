import { JwtService } from '@nestjs/jwt';
import type { AuthUser } from '../common/auth/auth-user';
import { loadConfig } from '../config/app-config';
import {
  ACCESS_TOKEN_ALGORITHMS,
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  accessTokenKey,
  AccessTokenService,
  toAccessTokenClaims,
} from './access-token.service';

const SECRET = 'access-secret-access-secret-access-32';
const USER: AuthUser = { id: '0193a1ef-0000-7000-8000-000000000001', role: 'admin', sessionId: '0193a1f0-7b8c-7def-8123-456789abcdef' };

function decodePart(token: string, index: number): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** What JwtStrategy checks of a bearer token, with the same pinned options, then our claims. */
function verify(token: string): ReturnType<typeof toAccessTokenClaims> {
  try {
    const strategy = new JwtService({
      secret: accessTokenKey(SECRET),
      verifyOptions: { algorithms: ACCESS_TOKEN_ALGORITHMS, issuer: ACCESS_TOKEN_ISSUER, audience: ACCESS_TOKEN_AUDIENCE },
    });
    const payload: unknown = strategy.verify(token);
    return toAccessTokenClaims(payload);
  } catch {
    return undefined;
  }
}

describe('AccessTokenService', () => {
  const service = new AccessTokenService(loadConfig({ NODE_ENV: 'test', JWT_SECRET: SECRET, JWT_ACCESS_TTL_SECONDS: '600' }));
  /** Signs what an attacker or a misconfigured issuer might, with our secret unless told otherwise. */
  const forge = (options: Record<string, unknown>) =>
    new JwtService().sign(
      { role: USER.role, sid: USER.sessionId },
      { secret: SECRET, algorithm: 'HS256', issuer: 'taskwright', audience: 'taskwright-api', expiresIn: 600, subject: USER.id, ...options },
    );

  it('signs HS256 tokens for the user, its role and session, from taskwright to taskwright-api, for the configured lifetime', () => {
    const token = service.sign(USER);
    expect(decodePart(token, 0)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const payload = decodePart(token, 1);
    expect(payload).toEqual({
      sub: USER.id,
      role: 'admin',
      sid: USER.sessionId,
      iss: 'taskwright',
      aud: 'taskwright-api',
      iat: expect.any(Number) as number,
      exp: expect.any(Number) as number,
    });
    expect(Number(payload.exp) - Number(payload.iat)).toBe(600);
    expect(service.expiresInSeconds).toBe(600);
    expect(verify(token)).toEqual({ sub: USER.id, role: 'admin', sid: USER.sessionId });
  });

  it('signs with the bytes of JWT_SECRET, so any HS256 implementation given the secret verifies the token', () => {
    const token = service.sign(USER);
    expect(() => new JwtService().verify(token, { secret: SECRET, algorithms: ['HS256'] })).not.toThrow();
    expect(() => new JwtService().verify(token, { secret: `${SECRET}x`, algorithms: ['HS256'] })).toThrow();
  });

  it.each([
    ['another secret', () => forge({ secret: 'another-secret-another-secret-another' })],
    ['HS384', () => forge({ algorithm: 'HS384' })],
    ['HS512', () => forge({ algorithm: 'HS512' })],
    ['another issuer', () => forge({ issuer: 'someone-else' })],
    ['another audience', () => forge({ audience: 'another-api' })],
    ['alg none', () => `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${service.sign(USER).split('.')[1]}.`],
  ])('makes the token strategy refuse a token with %s', (_what, token) => {
    expect(verify(forge({}))).toEqual({ sub: USER.id, role: 'admin', sid: USER.sessionId });
    expect(verify(token())).toBeUndefined();
  });
});

describe('toAccessTokenClaims', () => {
  const valid = { sub: USER.id, role: 'user', sid: USER.sessionId, exp: 1_900_000_000 };

  it('keeps exactly our three claims of a well-formed payload', () => {
    expect(toAccessTokenClaims({ ...valid, iat: 1, extra: 'x' })).toEqual({ sub: USER.id, role: 'user', sid: USER.sessionId });
    expect(toAccessTokenClaims({ ...valid, role: 'admin' })).toEqual({ sub: USER.id, role: 'admin', sid: USER.sessionId });
    expect(toAccessTokenClaims({ ...valid, sub: USER.id.toUpperCase() })).toEqual({ sub: USER.id.toUpperCase(), role: 'user', sid: USER.sessionId });
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'payload'],
    ['a number', 1_900_000_000],
    ['no exp', { ...valid, exp: undefined }],
    ['a string exp', { ...valid, exp: '1900000000' }],
    ['an infinite exp', { ...valid, exp: Infinity }],
    ['a NaN exp', { ...valid, exp: NaN }],
    ['a sub that is no UUID', { ...valid, sub: 'admin' }],
    ['no sub', { ...valid, sub: undefined }],
    ['a sub with a prefix', { ...valid, sub: `0${USER.id}` }],
    ['a sub with a suffix', { ...valid, sub: `${USER.id}0` }],
    ['a sub that is a list', { ...valid, sub: [USER.id] }],
    ['a sid that is no UUID', { ...valid, sid: 'session' }],
    ['no sid', { ...valid, sid: undefined }],
    ['a sid with a prefix', { ...valid, sid: `0${USER.sessionId}` }],
    ['a sid with a suffix', { ...valid, sid: `${USER.sessionId}0` }],
    ['a sid that is a list', { ...valid, sid: [USER.sessionId] }],
    ['an unknown role', { ...valid, role: 'root' }],
    ['no role', { ...valid, role: undefined }],
    ['a role that is a list', { ...valid, role: ['user'] }],
  ])('refuses %s', (_what, payload) => {
    expect(toAccessTokenClaims(payload)).toBeUndefined();
  });
});
