import { parseCookie, stringifySetCookie } from 'cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Cookie mode for browser apps: the refresh token travels in an HttpOnly cookie instead of the
 * JSON body, out of reach of any script running in the page. A request opts in with
 * `Refresh-Token-Transport: cookie` on register, login or refresh; refresh and logout then read
 * the cookie. `__Host-` makes the browser refuse the cookie unless it is Secure, has Path=/ and
 * no Domain (so no subdomain can set or read it); SameSite=Strict keeps it off cross-site
 * requests. Only the auth routes read it.
 */
export const REFRESH_COOKIE = '__Host-taskwright-refresh';
export const TRANSPORT_HEADER = 'Refresh-Token-Transport';

/** The request asks for cookie mode. */
export function wantsRefreshCookie(request: FastifyRequest): boolean {
  return request.headers[TRANSPORT_HEADER.toLowerCase()] === 'cookie';
}

/** The refresh token the browser sent in the cookie, if any. */
export function refreshTokenFromCookie(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  const value = parseCookie(header)[REFRESH_COOKIE];
  return value === undefined || value === '' ? undefined : value;
}

const ATTRIBUTES = { httpOnly: true, secure: true, sameSite: 'strict', path: '/' } as const;

export function setRefreshCookie(reply: FastifyReply, token: string, maxAgeSeconds: number): void {
  reply.header('set-cookie', stringifySetCookie({ name: REFRESH_COOKIE, value: token, ...ATTRIBUTES, maxAge: maxAgeSeconds }));
}

export function clearRefreshCookie(reply: FastifyReply): void {
  reply.header('set-cookie', stringifySetCookie({ name: REFRESH_COOKIE, value: '', ...ATTRIBUTES, maxAge: 0 }));
}

const REFRESH_ROUTE = '/v1/auth/refresh';

/**
 * A refresh without a token in its body takes the cookie's, before the guards run: the per-session
 * rate limit and the validation then see the same request whichever carrier the token came in.
 */
export function carryRefreshCookie(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', (request, _reply, done) => {
    if (request.routeOptions.url === REFRESH_ROUTE) {
      const body = request.body;
      const token = refreshTokenFromCookie(request);
      if (token !== undefined && (body === undefined || body === null || (typeof body === 'object' && !('refreshToken' in body)))) {
        request.body = { ...(typeof body === 'object' && body !== null ? body : {}), refreshToken: token };
      }
    }
    done();
  });
}
