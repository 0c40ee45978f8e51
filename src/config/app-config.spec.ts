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

  it('reads CORS_ORIGINS as an allow-list of exact origins, none by default, and refuses wildcards and paths', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(loadConfig({}).corsMaxAgeSeconds).toBe(600);
    expect(loadConfig({ CORS_ORIGINS: 'https://App.Example.com, http://localhost:5173,https://app.example.com/,https://a.test:443' }).corsOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
      'https://a.test',
    ]);
    for (const bad of [
      '*',
      'https://*.example.com',
      'https://app.example.com/path',
      'app.example.com',
      'ftp://files.example.com',
      'https://u:p@x.test',
      'https://x.test?q',
      'https://a.test,',
    ]) {
      expect(() => loadConfig({ CORS_ORIGINS: bad })).toThrow(/CORS_ORIGINS must list origins/);
    }
    expect(() => loadConfig({ CORS_MAX_AGE_SECONDS: '7201' })).toThrow(/CORS_MAX_AGE_SECONDS/);
  });

  it('trusts a number of proxy hops or a list of proxy addresses, never the client’s own X-Forwarded-For', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1,fd00::/8,loopback' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      '::1',
      'fd00::/8',
      'loopback',
    ]);
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

  it('bounds database queries and connection attempts on the client side', () => {
    const config = loadConfig({});
    expect(config.databaseQueryTimeoutMs).toBe(5000);
    expect(config.databaseConnectTimeoutMs).toBe(2000);
    const custom = loadConfig({ DATABASE_QUERY_TIMEOUT_MS: '1500', DATABASE_CONNECT_TIMEOUT_MS: '500' });
    expect([custom.databaseQueryTimeoutMs, custom.databaseConnectTimeoutMs]).toEqual([1500, 500]);
    expect(() => loadConfig({ DATABASE_QUERY_TIMEOUT_MS: '0' })).toThrow(/DATABASE_QUERY_TIMEOUT_MS must be an integer/);
    expect(() => loadConfig({ DATABASE_CONNECT_TIMEOUT_MS: 'soon' })).toThrow(/DATABASE_CONNECT_TIMEOUT_MS must be an integer/);
    expect(() => loadConfig({ DATABASE_QUERY_TIMEOUT_MS: '1000', DATABASE_CONNECT_TIMEOUT_MS: '3000' })).toThrow(
      /DATABASE_CONNECT_TIMEOUT_MS must not exceed DATABASE_QUERY_TIMEOUT_MS/,
    );
  });

  it('reads the HTTP server timeouts and connection cap, and refuses headers slower than the request', () => {
    const defaults = loadConfig({});
    expect(defaults).toMatchObject({
      httpRequestTimeoutMs: 30000,
      httpHeadersTimeoutMs: 10000,
      httpKeepAliveTimeoutMs: 72000,
      httpConnectionsCheckIntervalMs: 1000,
      httpMaxConnections: 10000,
    });
    const set = loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '2000', HTTP_MAX_CONNECTIONS: '50' });
    expect(set).toMatchObject({ httpRequestTimeoutMs: 5000, httpHeadersTimeoutMs: 2000, httpMaxConnections: 50 });
    expect(() => loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '6000' })).toThrow(
      /HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS/,
    );
    expect(() => loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '0' })).toThrow(/HTTP_REQUEST_TIMEOUT_MS must be an integer from 100/);
    expect(() => loadConfig({ HTTP_MAX_CONNECTIONS: 'lots' })).toThrow(/HTTP_MAX_CONNECTIONS must be an integer/);
  });

  it('reads the Redis ping interval and the shared "active" session answer lifetime, within bounds', () => {
    expect(loadConfig({}).redisPingIntervalMs).toBe(500);
    expect(loadConfig({}).sessionActiveCacheSeconds).toBe(5);
    const config = loadConfig({ REDIS_PING_INTERVAL_MS: '1000', SESSION_ACTIVE_CACHE_SECONDS: '2' });
    expect(config.redisPingIntervalMs).toBe(1000);
    expect(config.sessionActiveCacheSeconds).toBe(2);
    expect(() => loadConfig({ REDIS_PING_INTERVAL_MS: '0' })).toThrow(/REDIS_PING_INTERVAL_MS must be an integer from 50/);
    expect(() => loadConfig({ SESSION_ACTIVE_CACHE_SECONDS: '61' })).toThrow(/SESSION_ACTIVE_CACHE_SECONDS must be an integer from 1 to 60/);
  });

  it('reads the mail settings: log mode by default, SMTP when set, and a public app URL production must name', () => {
    const defaults = loadConfig({});
    expect(defaults.smtpUrl).toBeUndefined();
    expect(defaults.publicAppUrl).toBe('http://localhost:5173');
    expect(defaults.passwordResetTtlSeconds).toBe(1800);
    expect(defaults.requireVerifiedEmailForWrites).toBe(false);
    const configured = loadConfig({
      SMTP_URL: 'smtp://mail.internal:587',
      PUBLIC_APP_URL: 'https://app.example.com/',
      MAIL_FROM: 'Tasks <no-reply@example.com>',
    });
    expect(configured.smtpUrl).toBe('smtp://mail.internal:587');
    expect(configured.publicAppUrl).toBe('https://app.example.com');
    const production = { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-at-least-32-characters' };
    expect(() => loadConfig({ ...production, SMTP_URL: 'smtp://mail.internal:587' })).toThrow(/PUBLIC_APP_URL is required in production/);
    expect(loadConfig(production).smtpUrl).toBeUndefined();
    let caught: unknown;
    try {
      loadConfig({ SMTP_URL: 'http://mail', MAIL_FROM: 'not an address', OUTBOX_RETRY_BASE_MS: '5000', OUTBOX_RETRY_MAX_MS: '1000' });
    } catch (error) {
      caught = error;
    }
    const problems = (caught as ConfigValidationError).problems.join('\n');
    expect(problems).toMatch(/SMTP_URL must be a smtp:\/\/ or smtps:\/\/ URL/);
    expect(problems).toMatch(/MAIL_FROM must be an email address/);
    expect(problems).toMatch(/OUTBOX_RETRY_BASE_MS must not exceed OUTBOX_RETRY_MAX_MS/);
  });
});
