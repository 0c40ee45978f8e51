import { randomBytes } from 'node:crypto';
import { craftJwt, decodeAccessToken, registerUser } from './helpers/auth';
import { useTestApp } from './helpers/test-app';

const TYPE = 'https://taskwright.dev/problems/';

/** Tokens that only someone who saw another user's access token, or holds the signing key, could send. */
describe('token hardening (e2e)', () => {
  const t = useTestApp({ AUTH_RATE_LIMIT_MAX: '10000' });

  const me = (token: string) => t.api.get('/v1/users/me', { token });
  const refresh = (refreshToken: string) => t.api.post('/v1/auth/refresh', { refreshToken });

  describe('refresh with another user’s session id', () => {
    it('answers 401 to a random secret and leaves the session working', async () => {
      const victim = await registerUser(t.api);
      // The session id is in every access token the victim ever sent.
      const { sid } = decodeAccessToken(victim.accessToken);
      for (let i = 0; i < 3; i += 1) {
        const attempt = await refresh(`${sid}.${randomBytes(32).toString('base64url')}`);
        expect(attempt.status).toBe(401);
        expect(attempt.body.type).toBe(`${TYPE}invalid-refresh-token`);
      }
      expect((await me(victim.accessToken)).status).toBe(200);
      const [row] = await t.sql<{ revoked_at: Date | null }>('SELECT revoked_at FROM sessions WHERE id = $1', [sid]);
      expect(row?.revoked_at).toBeNull();
      const own = await refresh(victim.refreshToken);
      expect(own.status).toBe(200);
      expect((await me(own.body.accessToken)).status).toBe(200);
    });

    it('still treats a spent secret as theft, however many rotations ago, and revokes the family', async () => {
      const victim = await registerUser(t.api);
      const spent = [victim.refreshToken];
      let current = victim.refreshToken;
      for (let i = 0; i < 3; i += 1) {
        const next = await refresh(current);
        expect(next.status).toBe(200);
        current = next.body.refreshToken;
        spent.push(current);
      }
      spent.pop();
      const reused = await refresh(spent[0] ?? '');
      expect(reused.status).toBe(401);
      expect(reused.body.type).toBe(`${TYPE}token-reuse-detected`);
      const after = await refresh(current);
      expect(after.status).toBe(401);
      expect(after.body.type).toBe(`${TYPE}invalid-refresh-token`);
      const [row] = await t.sql<{ revoked_reason: string }>('SELECT revoked_reason FROM sessions WHERE id = $1', [decodeAccessToken(victim.accessToken).sid]);
      expect(row?.revoked_reason).toBe('refresh-token-reuse');
    });
  });

  describe('access tokens signed with the right key but wrongly shaped', () => {
    it('refuses a token without exp', async () => {
      const user = await registerUser(t.api);
      const { sub, role, sid, iat, iss, aud } = decodeAccessToken(user.accessToken);
      const forever = craftJwt({ alg: 'HS256', typ: 'JWT' }, { sub, role, sid, iat, iss, aud }, t.config.jwtSecret);
      const response = await me(forever);
      expect(response.status).toBe(401);
      expect(response.body.type).toBe(`${TYPE}invalid-token`);
      expect((await me(user.accessToken)).status).toBe(200);
    });

    it('refuses a token whose sub is not its session’s user, also once the session is known to be live', async () => {
      const owner = await registerUser(t.api);
      const other = await registerUser(t.api);
      const claims = decodeAccessToken(owner.accessToken);
      // The owner's own request first: the session's "live" answer is now cached.
      expect((await me(owner.accessToken)).status).toBe(200);
      const swapped = craftJwt({ alg: 'HS256', typ: 'JWT' }, { ...claims, sub: other.user.id }, t.config.jwtSecret);
      for (let i = 0; i < 2; i += 1) {
        const response = await me(swapped);
        expect(response.status).toBe(401);
      }
      expect((await me(owner.accessToken)).status).toBe(200);
      expect((await me(other.accessToken)).status).toBe(200);
    });
  });
});
