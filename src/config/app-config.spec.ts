import { ConfigValidationError, DEVELOPMENT_JWT_SECRET, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('applies documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.host).toBe('0.0.0.0');
    expect(config.nodeEnv).toBe('development');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.migrationsRun).toBe(true);
    expect(config.bodyLimitBytes).toBe(102400);
    expect(config.jwtSecret).toBe(DEVELOPMENT_JWT_SECRET);
  });

  it('names every bad variable at once', () => {
    let caught: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud', TRUST_PROXY: 'maybe' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigValidationError);
    const problems = (caught as ConfigValidationError).problems.join('\n');
    expect(problems).toMatch(/PORT must be an integer/);
    expect(problems).toMatch(/DATABASE_URL must be a postgres:/);
    expect(problems).toMatch(/LOG_LEVEL must be one of/);
    expect(problems).toMatch(/TRUST_PROXY must be false, a number of proxy hops/);
  });

  it('trusts a number of proxy hops or a list of proxy addresses, never the client’s own X-Forwarded-For', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1,fd00::/8,loopback' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8', 'loopback']);
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY=true would trust any X-Forwarded-For a client sends; set the number of proxies/);
    for (const bad of ['11', '10.0.0.0/33', 'proxy.internal', '10.0.0.1,', '::1/129', '1.2.3.4/8/8']) {
      expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(/TRUST_PROXY must be false, a number of proxy hops/);
    }
  });

  it('sizes the per-address login-failure and registration budgets for shared addresses', () => {
    const defaults = loadConfig({});
    expect(defaults.authRateLimitMax).toBe(10);
    expect(defaults.authLoginIpFailureMax).toBe(100);
    expect(defaults.authRegisterIpMax).toBe(100);
    const set = loadConfig({ AUTH_LOGIN_IP_FAILURE_MAX: '500', AUTH_REGISTER_IP_MAX: '50' });
    expect([set.authLoginIpFailureMax, set.authRegisterIpMax]).toEqual([500, 50]);
    expect(() => loadConfig({ AUTH_LOGIN_IP_FAILURE_MAX: '0' })).toThrow(/AUTH_LOGIN_IP_FAILURE_MAX must be an integer/);
    expect(() => loadConfig({ AUTH_REGISTER_IP_MAX: 'many' })).toThrow(/AUTH_REGISTER_IP_MAX must be an integer/);
  });

  it('refuses to start in production without a real JWT secret', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x' })).toThrow(/JWT_SECRET is required in production/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'short' })).toThrow(/at least 32 characters/);
  });

  it('does not run migrations by itself against a production server unless asked', () => {
    const base = { NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x', JWT_SECRET: 'x'.repeat(40) };
    expect(loadConfig(base).migrationsRun).toBe(false);
    expect(loadConfig({ ...base, MIGRATIONS_RUN: 'true' }).migrationsRun).toBe(true);
  });

  it('requires ADMIN_EMAIL and ADMIN_PASSWORD together', () => {
    expect(() => loadConfig({ ADMIN_EMAIL: 'a@b.co' })).toThrow(/must be set together/);
  });
});
