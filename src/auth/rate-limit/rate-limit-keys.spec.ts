import { v7 as uuidv7 } from 'uuid';
import type { AuthUser } from '../../common/auth/auth-user';
import { accountTracker, clientTracker, ipTracker, rateLimitKey, refreshSessionOf, type TrackedRequest } from './rate-limit-keys';

const userId = uuidv7();
const user: AuthUser = { id: userId, role: 'user', sessionId: uuidv7() };

function request(overrides: Partial<TrackedRequest> = {}): TrackedRequest {
  return { ip: '203.0.113.7', headers: {}, ...overrides };
}

describe('rate-limit trackers', () => {
  it('count a client by the user authentication put on the request, else by IP, whatever headers it sent', () => {
    expect(clientTracker(request({ user }))).toBe(`user:${userId}`);
    expect(clientTracker(request({ headers: { authorization: 'Bearer forged' } }))).toBe('ip:203.0.113.7');
    expect(clientTracker(request())).toBe('ip:203.0.113.7');
  });

  it('group IPv6 clients by /64, so one host cannot rotate through its addresses', () => {
    expect(ipTracker(request({ ip: '2001:db8:1:2:aaaa::1' }))).toBe(ipTracker(request({ ip: '2001:db8:1:2:bbbb::2' })));
    expect(ipTracker(request({ ip: '2001:db8:1:2::1' }))).not.toBe(ipTracker(request({ ip: '2001:db8:1:3::1' })));
  });

  it('count credential requests per account: the email as accounts match it, whatever its case and spaces', () => {
    const tracker = (body: unknown) => accountTracker(request({ body }));
    expect(tracker({ email: '  Ada@Example.COM ' })).toBe('email:ada@example.com');
    expect(tracker({ email: 'ada@example.com', password: 'x' })).toBe(tracker({ email: 'ADA@example.com' }));
    // The canonical form (canonicalEmail), not JavaScript's toLowerCase(): spellings of one account share a key.
    for (const spelling of ['ＡＤＡ@example.com', 'ada@ｅｘａｍｐｌｅ.com']) expect(tracker({ email: spelling })).toBe(tracker({ email: 'ada@example.com' }));
    expect(tracker({ email: 'STRAẞE@example.com' })).toBe(tracker({ email: 'strasse@example.com' }));
  });

  it('count refreshes per session, password changes per user, and anything else per IP', () => {
    const sessionId = uuidv7();
    expect(accountTracker(request({ body: { refreshToken: `${sessionId}.${'a'.repeat(43)}` } }))).toBe(`session:${sessionId}`);
    expect(accountTracker(request({ body: { currentPassword: 'x' }, user }))).toBe(`user:${userId}`);
    expect(refreshSessionOf(request({ body: { refreshToken: `${sessionId}.${'a'.repeat(43)}` } }))).toBe(sessionId);
    for (const body of [undefined, 'a string', { email: 42 }, { email: '  ' }, { refreshToken: 'garbage' }, { refreshToken: 42 }, null]) {
      expect(refreshSessionOf(request({ body }))).toBeUndefined();
      expect(accountTracker(request({ body }))).toBe('ip:203.0.113.7');
    }
  });
});

describe('rateLimitKey', () => {
  it('keeps trackers out of the key in clear, and bounds its length', () => {
    const key = rateLimitKey('auth-account', `email:${'a'.repeat(300)}@example.com`, 'AuthController.login');
    expect(key).not.toContain('example.com');
    expect(key.length).toBeLessThan(100);
    expect(key.startsWith('auth-account:AuthController.login:')).toBe(true);
  });

  it('separates throttlers, scopes and trackers, and is stable', () => {
    const keys = new Set([
      rateLimitKey('default', 'ip:1.2.3.4'),
      rateLimitKey('default', 'ip:1.2.3.5'),
      rateLimitKey('auth-ip', 'ip:1.2.3.4', 'AuthController.login'),
      rateLimitKey('auth-ip', 'ip:1.2.3.4', 'AuthController.register'),
    ]);
    expect(keys.size).toBe(4);
    expect(rateLimitKey('default', 'user:x')).toBe(rateLimitKey('default', 'user:x'));
    expect(rateLimitKey('default', 'user:x')).toMatch(/^default:[A-Za-z0-9_-]{43}$/);
    expect(rateLimitKey('auth-ip', 'user:x', 'AuthController.login')).toMatch(/^auth-ip:AuthController\.login:[A-Za-z0-9_-]{43}$/);
  });
});
