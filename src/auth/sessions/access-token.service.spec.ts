import { JwtService } from '@nestjs/jwt';
import { loadConfig } from '../../config/app-config';
import type { AuthUser } from '../auth-user';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER, AccessTokenService, toAccessTokenClaims } from './access-token.service';
import { recallVerifiedToken, rememberVerifiedToken } from './verified-tokens';

const SECRET = 'access-secret-access-secret-access-32';
const USER: AuthUser = { id: '0193a1ef-0000-7000-8000-000000000001', role: 'admin', sessionId: '0193a1f0-7b8c-7def-8123-456789abcdef' } as AuthUser;

function decodePart(token: string, index: number): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('AccessTokenService', () => {
  const service = new AccessTokenService(loadConfig({ NODE_ENV: 'test', JWT_SECRET: SECRET, JWT_ACCESS_TTL_SECONDS: '600' }));
  /** Signs what an attacker or a misconfigured issuer might, with our secret unless told otherwise. */
  const forge = (payload: Record<string, unknown>, options: Record<string, unknown> = {}, expiresIn: number | null = 600) =>
    new JwtService({}).sign(payload, {
      secret: SECRET,
      algorithm: 'HS256',
      issuer: ACCESS_TOKEN_ISSUER,
      audience: ACCESS_TOKEN_AUDIENCE,
      ...(expiresIn === null ? {} : { expiresIn }),
      ...options,
    });
  const claims = { role: USER.role, sid: USER.sessionId };

  it('signs HS256 tokens for the user, its role and session, from taskwright to taskwright-api, for the configured lifetime', () => {
    const token = service.sign(USER);
    expect(decodePart(token, 0)).toMatchObject({ alg: 'HS256', typ: 'JWT' });
    const payload = decodePart(token, 1);
    expect(payload).toMatchObject({ sub: USER.id, role: 'admin', sid: USER.sessionId, iss: 'taskwright', aud: 'taskwright-api' });
    expect(Number(payload.exp) - Number(payload.iat)).toBe(600);
    expect(service.expiresInSeconds).toBe(600);
    expect(service.verify(token)).toEqual({ sub: USER.id, role: 'admin', sid: USER.sessionId });
  });

  it.each([
    ['another secret', () => forge({ ...claims, sub: USER.id }, { secret: 'another-secret-another-secret-another' })],
    ['HS384', () => forge({ ...claims, sub: USER.id }, { algorithm: 'HS384' })],
    ['HS512', () => forge({ ...claims, sub: USER.id }, { algorithm: 'HS512' })],
    ['another issuer', () => forge({ ...claims, sub: USER.id }, { issuer: 'someone-else' })],
    ['another audience', () => forge({ ...claims, sub: USER.id }, { audience: 'another-api' })],
    ['an expired token', () => forge({ ...claims, sub: USER.id, exp: Math.floor(Date.now() / 1000) - 5 }, {}, null)],
    ['no expiry at all', () => forge({ ...claims, sub: USER.id }, {}, null)],
    ['alg none', () => `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${service.sign(USER).split('.')[1]}.`],
    ['garbage', () => 'not.a.token'],
  ])('refuses a token with %s', (_what, token) => {
    expect(service.verify(token())).toBeUndefined();
  });

  it('remembers a success for the request that asked, and only then', () => {
    const token = service.sign(USER);
    const request = {};
    expect(service.verify(token, request)).toEqual({ sub: USER.id, role: 'admin', sid: USER.sessionId });
    expect(recallVerifiedToken(request, token)).toMatchObject({ sub: USER.id });

    const failed = {};
    expect(service.verify(`${token}x`, failed)).toBeUndefined();
    expect(recallVerifiedToken(failed, `${token}x`)).toBeUndefined();

    const misshapen = {};
    const oddToken = forge({ role: 'root', sid: USER.sessionId, sub: USER.id });
    expect(service.verify(oddToken, misshapen)).toBeUndefined();
    expect(recallVerifiedToken(misshapen, oddToken)).toBeUndefined();
  });

  it('answers from what this request already verified, without verifying again', () => {
    const request = {};
    rememberVerifiedToken(request, 'already-verified', { sub: USER.id, role: 'user', sid: USER.sessionId, exp: 1 });
    expect(service.verify('already-verified', request)).toEqual({ sub: USER.id, role: 'user', sid: USER.sessionId });
    expect(service.verify('already-verified', {})).toBeUndefined();
    expect(service.verify('already-verified')).toBeUndefined();
  });
});

describe('toAccessTokenClaims', () => {
  const valid = { sub: USER.id, role: 'user', sid: USER.sessionId, exp: 1_900_000_000 };

  it('keeps exactly our three claims of a well-formed payload', () => {
    expect(toAccessTokenClaims({ ...valid, iat: 1, extra: 'x' })).toEqual({ sub: USER.id, role: 'user', sid: USER.sessionId });
    expect(toAccessTokenClaims({ ...valid, sub: USER.id.toUpperCase() })).toEqual({ sub: USER.id.toUpperCase(), role: 'user', sid: USER.sessionId });
  });

  it.each([
    ['null', null],
    ['a string', 'payload'],
    ['no exp', { ...valid, exp: undefined }],
    ['a string exp', { ...valid, exp: '1900000000' }],
    ['an infinite exp', { ...valid, exp: Infinity }],
    ['a NaN exp', { ...valid, exp: NaN }],
    ['a sub that is no UUID', { ...valid, sub: 'admin' }],
    ['a sub with a prefix', { ...valid, sub: `0${USER.id}` }],
    ['a sub with a suffix', { ...valid, sub: `${USER.id}0` }],
    ['a sub that is a list', { ...valid, sub: [USER.id] }],
    ['a sid that is no UUID', { ...valid, sid: 'session' }],
    ['a sid with a prefix', { ...valid, sid: `0${USER.sessionId}` }],
    ['a sid with a suffix', { ...valid, sid: `${USER.sessionId}0` }],
    ['a sid that is a list', { ...valid, sid: [USER.sessionId] }],
    ['an unknown role', { ...valid, role: 'root' }],
    ['a role that is a list', { ...valid, role: ['user'] }],
  ])('refuses %s', (_what, payload) => {
    expect(toAccessTokenClaims(payload)).toBeUndefined();
  });
});
