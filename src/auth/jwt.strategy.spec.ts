import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Strategy } from 'passport-jwt';
import { loadConfig } from '../config/app-config';
import { mapError } from '../common/problem/problem-details.filter';
import { JwtAuthGuard } from './guards/jwt-auth.guard';
import { JwtStrategy } from './jwt.strategy';
import { AccessTokenService } from '../sessions/access-token.service';
import type { SessionsService } from '../sessions/sessions.service';
import { recallVerifiedToken } from '../sessions/verified-tokens';

const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'a-test-secret-that-is-long-enough-for-hs256-000' });
const user = { id: '0190a0b0-0000-7000-8000-000000000001', role: 'user' as const, sessionId: '0190a0b0-0000-7000-8000-000000000002' };

function setUp(active = true) {
  const sessions = { isActive: jest.fn(() => Promise.resolve(active)) };
  const strategy = new JwtStrategy(config, sessions as unknown as SessionsService);
  const guard = new JwtAuthGuard(new Reflector(), strategy);
  const tokens = new AccessTokenService(config);
  return { sessions, guard, tokens };
}

function contextOf(request: object): ExecutionContext {
  return {
    getHandler: () => setUp,
    getClass: () => JwtStrategy,
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => ({}) }),
  } as unknown as ExecutionContext;
}

describe('one signature check per request', () => {
  let verifier: jest.SpyInstance;
  beforeEach(() => {
    verifier = jest.spyOn(Strategy as unknown as { JwtVerifier: (...args: unknown[]) => void }, 'JwtVerifier');
  });
  afterEach(() => verifier.mockRestore());

  it('reuses the rate limiter’s verification of the same token, and still checks the session', async () => {
    const { sessions, guard, tokens } = setUp();
    const token = tokens.sign(user);
    const request = { headers: { authorization: `Bearer ${token}` } } as { headers: Record<string, string>; user?: unknown };
    expect(tokens.verify(token, request)).toEqual({ sub: user.id, role: user.role, sid: user.sessionId });
    expect(recallVerifiedToken(request, token)).toBeDefined();
    await expect(guard.canActivate(contextOf(request))).resolves.toBe(true);
    expect(request.user).toEqual(user);
    expect(verifier).not.toHaveBeenCalled();
    expect(sessions.isActive).toHaveBeenCalledTimes(1);
  });

  it('verifies again when nothing (or another token) was verified for this request', async () => {
    const { guard, tokens } = setUp();
    const token = tokens.sign(user);
    const other = tokens.sign({ ...user, sessionId: '0190a0b0-0000-7000-8000-000000000003' });
    const request = { headers: { authorization: `Bearer ${token}` } };
    tokens.verify(other, request);
    expect(recallVerifiedToken(request, token)).toBeUndefined();
    await expect(guard.canActivate(contextOf(request))).resolves.toBe(true);
    expect(verifier).toHaveBeenCalledTimes(1);
    // Another request never sees this one's result.
    expect(recallVerifiedToken({ headers: request.headers }, other)).toBeUndefined();
  });

  it('remembers nothing for a token that fails, so Passport reports why', async () => {
    const { guard, tokens } = setUp();
    const forged = `${tokens.sign(user).slice(0, -4)}AAAA`;
    const request = { headers: { authorization: `Bearer ${forged}` } };
    expect(tokens.verify(forged, request)).toBeUndefined();
    expect(recallVerifiedToken(request, forged)).toBeUndefined();
    const failure = await guard.canActivate(contextOf(request)).catch((error: unknown) => error);
    expect(mapError(failure)).toMatchObject({ status: 401, type: 'invalid-token' });
    expect(verifier).toHaveBeenCalledTimes(1);
  });

  it('refuses a revoked session even when the token was already verified', async () => {
    const { guard, tokens } = setUp(false);
    const token = tokens.sign(user);
    const request = { headers: { authorization: `Bearer ${token}` } };
    tokens.verify(token, request);
    const failure = await guard.canActivate(contextOf(request)).catch((error: unknown) => error);
    expect(mapError(failure)).toMatchObject({ status: 401, type: 'session-revoked' });
    expect(verifier).not.toHaveBeenCalled();
  });
});
