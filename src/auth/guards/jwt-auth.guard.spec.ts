import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { Strategy } from 'passport-jwt';
import { mapError } from '../../common/problem/problem-details.filter';
import { IS_PUBLIC } from '../../common/auth/public.decorator';
import { loadConfig } from '../../config/app-config';
import type { AuthenticatedRequest } from '../../common/auth/auth-user';
import { JwtStrategy } from '../jwt.strategy';
import { accessTokenKey, ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER, AccessTokenService } from '../../sessions/access-token.service';
import type { SessionsService } from '../../sessions/sessions.service';
import { JwtAuthGuard } from './jwt-auth.guard';
import { RolesGuard } from './roles.guard';

const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'a-test-secret-that-is-long-enough-for-hs256-000' });
const user = { id: '0190a0b0-0000-7000-8000-000000000001', role: 'user' as const, sessionId: '0190a0b0-0000-7000-8000-000000000002' };
const tokens = new AccessTokenService(config);

type Request = AuthenticatedRequest & { headers: Record<string, string> };

/** One app's guards over a fake session store: `isActive` answers what the app's sessions say. */
function appWith(isActive: () => Promise<boolean>) {
  const sessions = { isActive: jest.fn(isActive) };
  const strategy = new JwtStrategy(config, sessions as unknown as SessionsService);
  return { sessions, strategy, guard: new JwtAuthGuard(new Reflector(), strategy), roles: new RolesGuard(new Reflector()) };
}

function handler(): void {}
function publicHandler(): void {}
Reflect.defineMetadata(IS_PUBLIC, true, publicHandler);

function contextOf(request: Request, route: () => void = handler): ExecutionContext {
  return {
    getHandler: () => route,
    getClass: () => JwtAuthGuard,
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => ({}) }),
  } as unknown as ExecutionContext;
}

const bearer = (token: string): Request => ({ headers: { authorization: `Bearer ${token}` } });

/** What the caller finally gets once both guards ran: the user, or the problem RolesGuard throws. */
async function outcome(app: ReturnType<typeof appWith>, request: Request): Promise<unknown> {
  await expect(app.guard.canActivate(contextOf(request))).resolves.toBe(true);
  try {
    app.roles.canActivate(contextOf(request));
    return request.user;
  } catch (error) {
    return mapError(error);
  }
}

describe('JwtAuthGuard with JwtStrategy', () => {
  const apps: Array<ReturnType<typeof appWith>> = [];
  const app = (isActive: () => Promise<boolean> = async () => true) => {
    const made = appWith(isActive);
    apps.push(made);
    return made;
  };
  afterEach(() => {
    for (const made of apps.splice(0)) made.strategy.onModuleDestroy();
    jest.restoreAllMocks();
  });

  it('verifies the token once and checks its session once, then puts the caller on the request', async () => {
    const verifier = jest.spyOn(Strategy as unknown as { JwtVerifier: (...args: unknown[]) => void }, 'JwtVerifier');
    const live = app();
    const request = bearer(tokens.sign(user));
    expect(await outcome(live, request)).toEqual(user);
    expect(verifier).toHaveBeenCalledTimes(1);
    expect(live.sessions.isActive).toHaveBeenCalledTimes(1);
    expect(request.authFailure).toBeUndefined();
  });

  it('keeps a refusal on the request instead of throwing it, so the rate limiter still counts the caller', async () => {
    const live = app();
    const forged = bearer(`${tokens.sign(user).slice(0, -4)}AAAA`);
    expect(await outcome(live, forged)).toMatchObject({ status: 401, type: 'invalid-token', headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });
    expect(forged.user).toBeUndefined();
    expect(mapError(forged.authFailure)).toMatchObject({ status: 401, type: 'invalid-token' });
    expect(await outcome(live, { headers: {} })).toMatchObject({ status: 401, type: 'missing-token', headers: { 'WWW-Authenticate': 'Bearer' } });
    expect(live.sessions.isActive).not.toHaveBeenCalled();
  });

  it('tells a client whether refreshing can help', async () => {
    const expired = new JwtService({ secret: accessTokenKey(config.jwtSecret) }).sign(
      { role: user.role, sid: user.sessionId, exp: Math.floor(Date.now() / 1000) - 60 },
      { subject: user.id, issuer: ACCESS_TOKEN_ISSUER, audience: ACCESS_TOKEN_AUDIENCE, algorithm: 'HS256' },
    );
    expect(await outcome(app(), bearer(expired))).toMatchObject({ status: 401, type: 'token-expired' });
    expect(
      await outcome(
        app(async () => false),
        bearer(tokens.sign(user)),
      ),
    ).toMatchObject({ status: 401, type: 'session-revoked' });
  });

  it('throws an infrastructure failure at once', async () => {
    const failure = new Error('connection refused');
    const down = app(async () => Promise.reject(failure));
    await expect(down.guard.canActivate(contextOf(bearer(tokens.sign(user))))).rejects.toBe(failure);
  });

  it('lets a public route through without looking at its token', async () => {
    const live = app();
    const request = bearer('garbage');
    await expect(live.guard.canActivate(contextOf(request, publicHandler))).resolves.toBe(true);
    expect(request.user).toBeUndefined();
    expect(request.authFailure).toBeUndefined();
  });

  it('checks each app’s tokens against that app’s sessions, when two apps share the process', async () => {
    const first = app(async () => false);
    const second = app(async () => true);
    expect(first.strategy.name).not.toBe(second.strategy.name);
    const token = tokens.sign(user);
    expect(await outcome(first, bearer(token))).toMatchObject({ status: 401, type: 'session-revoked' });
    expect(await outcome(second, bearer(token))).toEqual(user);
    expect(first.sessions.isActive).toHaveBeenCalledTimes(1);
    expect(second.sessions.isActive).toHaveBeenCalledTimes(1);
  });
});
