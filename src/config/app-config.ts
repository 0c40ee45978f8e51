import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { isEmail } from 'class-validator';

export type NodeEnv = 'development' | 'production' | 'test';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * Every setting the service reads, typed and validated once at start-up.
 * `loadConfig` is the only place that touches `process.env`.
 */
export class AppConfig {
  nodeEnv: NodeEnv;
  host: string;
  port: number;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  databaseStatementTimeoutMs: number;
  databaseQueryTimeoutMs: number;
  databaseConnectTimeoutMs: number;
  embeddedPgDir: string;
  embeddedPgPort: number;
  migrationsRun: boolean;
  redisUrl: string | undefined;
  redisTimeoutMs: number;
  redisKeyPrefix: string;
  redisPingIntervalMs: number;
  sessionActiveCacheSeconds: number;
  jwtSecret: string;
  jwtAccessTtlSeconds: number;
  refreshTtlSeconds: number;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  logLevel: LogLevel;
  logPretty: boolean;
  bodyLimitBytes: number;
  httpRequestTimeoutMs: number;
  httpHeadersTimeoutMs: number;
  httpKeepAliveTimeoutMs: number;
  httpConnectionsCheckIntervalMs: number;
  httpMaxConnections: number;
  shutdownTimeoutMs: number;
  shutdownDrainDelayMs: number;
  /**
   * Which X-Forwarded-For entries to believe: false (none), a number of proxy hops in front of the
   * service, or the proxies' addresses/CIDRs. Fastify's `trustProxy` takes each form as is.
   */
  trustProxy: false | number | string[];
  /** Origins (`scheme://host[:port]`) whose web apps may call the API from a browser; none by default. */
  corsOrigins: string[];
  corsMaxAgeSeconds: number;
  rateLimitTtlMs: number;
  rateLimitMax: number;
  authRateLimitTtlMs: number;
  authRateLimitMax: number;
  authLoginIpFailureMax: number;
  authRegisterIpMax: number;
  cacheTtlMs: number;
  cacheMemoryMaxMb: number;
  metricsEnabled: boolean;
  metricsPort: number | undefined;
  argon2MemoryKib: number;
  argon2Parallelism: number;
  argon2MaxConcurrent: number;
  docsEnabled: boolean;
  /** SMTP server of outgoing mail (smtp: or smtps:); unset: mail is written to the log, or off in production. */
  smtpUrl: string | undefined;
  mailFrom: string;
  /** The client app whose pages the mailed links open (`/reset-password?token=…`). */
  publicAppUrl: string;
  /** Deadline of each step of an SMTP conversation (connect, greeting, every socket read). */
  smtpTimeoutMs: number;
  passwordResetTtlSeconds: number;
  emailVerificationTtlSeconds: number;
  emailChangeTtlSeconds: number;
  /** When true, an account whose email is not verified gets 403 `email-not-verified` on task writes. */
  requireVerifiedEmailForWrites: boolean;
  outboxPollIntervalMs: number;
  outboxRetryBaseMs: number;
  outboxRetryMaxMs: number;
  outboxMaxAttempts: number;

  get isProduction(): boolean {
    return this.nodeEnv === 'production';
  }
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

/** A development-only signing secret: refused when NODE_ENV=production. */
export const DEVELOPMENT_JWT_SECRET = 'taskwright-development-secret-do-not-use-in-production';

type Env = Record<string, string | undefined>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  private raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optionalString(name: string): string | undefined {
    return this.raw(name);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${value}")`);
    return fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return Number(value);
  }

  optionalInt(name: string, min: number, max: number): number | undefined {
    return this.raw(name) === undefined ? undefined : this.int(name, min, min, max);
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(value)) return true;
    if (['false', '0', 'no', 'off'].includes(value)) return false;
    this.problems.push(`${name} must be true or false (got "${value}")`);
    return fallback;
  }

  url(name: string, protocols: string[]): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
      return value;
    } catch {
      this.problems.push(`${name} must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL`);
      return undefined;
    }
  }
}

/** proxy-addr's names for whole address ranges, accepted in a TRUST_PROXY list. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

function isAddressOrCidr(entry: string): boolean {
  if (PROXY_RANGE_NAMES.includes(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/**
 * TRUST_PROXY: `false` (default), a hop count, or a comma-separated list of proxy addresses/CIDRs.
 * `true` is refused: it would believe the left-most X-Forwarded-For entry, which the client
 * writes itself, so any client could pick the address its rate limits are counted against.
 */
function trustProxySetting(value: string | undefined, problems: string[]): false | number | string[] {
  if (value === undefined || ['false', 'no', 'off', '0'].includes(value.toLowerCase())) return false;
  if (['true', 'yes', 'on'].includes(value.toLowerCase())) {
    problems.push(
      'TRUST_PROXY=true would trust any X-Forwarded-For a client sends; set the number of proxies in front of the service (e.g. TRUST_PROXY=1 behind one load balancer) or their addresses (e.g. TRUST_PROXY=10.0.0.0/8,127.0.0.1)',
    );
    return false;
  }
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops <= 10) return hops;
  } else {
    const entries = value.split(',').map((entry) => entry.trim());
    if (entries.every(isAddressOrCidr)) return entries;
  }
  problems.push(`TRUST_PROXY must be false, a number of proxy hops from 1 to 10, or a comma-separated list of proxy addresses or CIDRs (got "${value}")`);
  return false;
}

/**
 * CORS_ORIGINS: a comma-separated allow-list of exact origins (`https://app.example.com`,
 * `http://localhost:5173`). `*` is refused: every origin may then read the API from a browser,
 * and an allow-list is what cookie-carrying browser clients need anyway.
 */
function corsOriginsSetting(value: string | undefined, problems: string[]): string[] {
  if (value === undefined) return [];
  const origins: string[] = [];
  for (const entry of value.split(',').map((part) => part.trim())) {
    let origin: string | undefined;
    try {
      const url = new URL(entry);
      const bare = url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
      if ((url.protocol === 'http:' || url.protocol === 'https:') && bare && !entry.includes('*')) origin = url.origin;
    } catch {
      origin = undefined;
    }
    if (origin === undefined) {
      problems.push(
        `CORS_ORIGINS must list origins such as https://app.example.com or http://localhost:5173, separated by commas, with no path and no wildcard (got "${entry}")`,
      );
      return [];
    }
    if (!origins.includes(origin)) origins.push(origin);
  }
  return origins;
}

/** `a@b.example` or `Name <a@b.example>`. */
function isEmailAddressOrNamed(value: string): boolean {
  const named = /^[^<>]*<([^<>]+)>$/.exec(value);
  return isEmail(named?.[1] ?? value, { allow_display_name: false, require_tld: false });
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Reads and validates the environment. Throws a ConfigValidationError that names every bad or
 * missing variable, so an operator fixes them all in one go.
 */
export function loadConfig(env: Env = process.env): AppConfig {
  const r = new Reader(env);
  const c = new AppConfig();
  c.nodeEnv = r.oneOf('NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  c.host = r.string('HOST', '0.0.0.0');
  c.port = r.int('PORT', 3000, 0, 65535);
  c.databaseUrl = r.url('DATABASE_URL', ['postgres:', 'postgresql:']);
  c.databasePoolSize = r.int('DATABASE_POOL_SIZE', 10, 1, 200);
  c.databaseStatementTimeoutMs = r.int('DATABASE_STATEMENT_TIMEOUT_MS', 15000, 100, 600000);
  c.databaseQueryTimeoutMs = r.int('DATABASE_QUERY_TIMEOUT_MS', 5000, 100, 600000);
  c.databaseConnectTimeoutMs = r.int('DATABASE_CONNECT_TIMEOUT_MS', 2000, 100, 60000);
  c.embeddedPgDir = resolve(r.string('EMBEDDED_PG_DIR', '.data/postgres'));
  c.embeddedPgPort = r.int('EMBEDDED_PG_PORT', 54329, 1024, 65535);
  c.redisUrl = r.url('REDIS_URL', ['redis:', 'rediss:']);
  c.redisTimeoutMs = r.int('REDIS_TIMEOUT_MS', 500, 10, 60000);
  c.redisKeyPrefix = r.string('REDIS_KEY_PREFIX', 'taskwright:');
  c.redisPingIntervalMs = r.int('REDIS_PING_INTERVAL_MS', 500, 50, 60000);
  c.sessionActiveCacheSeconds = r.int('SESSION_ACTIVE_CACHE_SECONDS', 5, 1, 60);
  c.logLevel = r.oneOf('LOG_LEVEL', LOG_LEVELS, c.nodeEnv === 'test' ? 'warn' : 'info');
  c.logPretty = r.bool('LOG_PRETTY', Boolean(process.stdout.isTTY) && c.nodeEnv !== 'production');
  c.bodyLimitBytes = r.int('BODY_LIMIT_BYTES', 102400, 1024, 10485760);
  c.httpRequestTimeoutMs = r.int('HTTP_REQUEST_TIMEOUT_MS', 30000, 100, 600000);
  c.httpHeadersTimeoutMs = r.int('HTTP_HEADERS_TIMEOUT_MS', 10000, 100, 600000);
  c.httpKeepAliveTimeoutMs = r.int('HTTP_KEEP_ALIVE_TIMEOUT_MS', 72000, 100, 600000);
  c.httpConnectionsCheckIntervalMs = r.int('HTTP_CONNECTIONS_CHECK_INTERVAL_MS', 1000, 50, 60000);
  c.httpMaxConnections = r.int('HTTP_MAX_CONNECTIONS', 10000, 1, 1000000);
  c.shutdownTimeoutMs = r.int('SHUTDOWN_TIMEOUT_MS', 10000, 0, 600000);
  c.shutdownDrainDelayMs = r.int('SHUTDOWN_DRAIN_DELAY_MS', 0, 0, 600000);
  c.trustProxy = trustProxySetting(r.optionalString('TRUST_PROXY'), r.problems);
  c.corsOrigins = corsOriginsSetting(r.optionalString('CORS_ORIGINS'), r.problems);
  c.corsMaxAgeSeconds = r.int('CORS_MAX_AGE_SECONDS', 600, 0, 7200);
  c.rateLimitTtlMs = r.int('RATE_LIMIT_TTL_MS', 60000, 1000, 86400000);
  c.rateLimitMax = r.int('RATE_LIMIT_MAX', 600, 1, 1000000);
  c.authRateLimitTtlMs = r.int('AUTH_RATE_LIMIT_TTL_MS', 60000, 1000, 86400000);
  c.authRateLimitMax = r.int('AUTH_RATE_LIMIT_MAX', 10, 1, 1000000);
  c.authLoginIpFailureMax = r.int('AUTH_LOGIN_IP_FAILURE_MAX', 100, 1, 1000000);
  c.authRegisterIpMax = r.int('AUTH_REGISTER_IP_MAX', 100, 1, 1000000);
  c.cacheTtlMs = r.int('CACHE_TTL_MS', 60000, 0, 86400000);
  c.cacheMemoryMaxMb = r.int('CACHE_MEMORY_MAX_MB', 32, 1, 4096);
  c.metricsEnabled = r.bool('METRICS_ENABLED', true);
  c.metricsPort = r.optionalInt('METRICS_PORT', 1, 65535);
  c.docsEnabled = r.bool('DOCS_ENABLED', true);
  c.argon2MemoryKib = r.int('ARGON2_MEMORY_KIB', 19456, 8192, 1048576);
  c.argon2Parallelism = r.int('ARGON2_PARALLELISM', 1, 1, 16);
  c.argon2MaxConcurrent = r.int('ARGON2_MAX_CONCURRENT', 2, 1, 64);
  c.jwtAccessTtlSeconds = r.int('JWT_ACCESS_TTL_SECONDS', 900, 10, 86400);
  c.refreshTtlSeconds = r.int('REFRESH_TTL_SECONDS', 2592000, 60, 31536000);
  c.adminEmail = r.optionalString('ADMIN_EMAIL');
  c.adminPassword = r.optionalString('ADMIN_PASSWORD');
  c.smtpUrl = r.url('SMTP_URL', ['smtp:', 'smtps:']);
  c.mailFrom = r.string('MAIL_FROM', 'Taskwright <no-reply@taskwright.localhost>');
  const publicAppUrl = r.url('PUBLIC_APP_URL', ['http:', 'https:']);
  c.publicAppUrl = (publicAppUrl ?? 'http://localhost:5173').replace(/\/+$/, '');
  // Links to a developer's machine in real users' mail would be worse than no mail.
  if (c.isProduction && c.smtpUrl !== undefined && publicAppUrl === undefined) {
    r.problems.push('PUBLIC_APP_URL is required in production when SMTP_URL is set (the client app whose pages the mailed links open)');
  }
  c.smtpTimeoutMs = r.int('SMTP_TIMEOUT_MS', 10000, 100, 120000);
  c.passwordResetTtlSeconds = r.int('PASSWORD_RESET_TTL_SECONDS', 1800, 60, 86400);
  c.emailVerificationTtlSeconds = r.int('EMAIL_VERIFICATION_TTL_SECONDS', 172800, 60, 2592000);
  c.emailChangeTtlSeconds = r.int('EMAIL_CHANGE_TTL_SECONDS', 3600, 60, 604800);
  c.requireVerifiedEmailForWrites = r.bool('REQUIRE_VERIFIED_EMAIL_FOR_WRITES', false);
  c.outboxPollIntervalMs = r.int('OUTBOX_POLL_INTERVAL_MS', 1000, 10, 600000);
  c.outboxRetryBaseMs = r.int('OUTBOX_RETRY_BASE_MS', 1000, 10, 600000);
  c.outboxRetryMaxMs = r.int('OUTBOX_RETRY_MAX_MS', 300000, 10, 86400000);
  c.outboxMaxAttempts = r.int('OUTBOX_MAX_ATTEMPTS', 12, 1, 1000);

  // Migrations run by themselves only where nobody else could run them: the embedded database,
  // or when asked. With a server in production they are a separate deployment step.
  c.migrationsRun = r.bool('MIGRATIONS_RUN', c.databaseUrl === undefined || !c.isProduction);

  const secret = r.optionalString('JWT_SECRET');
  if (secret === undefined) {
    if (c.isProduction) r.problems.push('JWT_SECRET is required in production (at least 32 characters)');
    c.jwtSecret = DEVELOPMENT_JWT_SECRET;
  } else if (secret.length < 32) {
    r.problems.push('JWT_SECRET must be at least 32 characters');
    c.jwtSecret = secret;
  } else {
    c.jwtSecret = secret;
  }
  if (c.isProduction && c.jwtSecret === DEVELOPMENT_JWT_SECRET) {
    r.problems.push('JWT_SECRET must not be the development default in production');
  }
  if ((c.adminEmail === undefined) !== (c.adminPassword === undefined)) {
    r.problems.push('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }
  if (c.adminPassword !== undefined && (c.adminPassword.length < 10 || c.adminPassword.length > 128)) {
    r.problems.push('ADMIN_PASSWORD must be 10 to 128 characters');
  }
  if (c.adminEmail !== undefined && !isEmail(c.adminEmail)) {
    r.problems.push('ADMIN_EMAIL must be an email address');
  }
  if (c.databaseConnectTimeoutMs > c.databaseQueryTimeoutMs) {
    r.problems.push('DATABASE_CONNECT_TIMEOUT_MS must not exceed DATABASE_QUERY_TIMEOUT_MS');
  }
  // Node refuses to start a server whose headers may take longer than the whole request.
  if (c.httpHeadersTimeoutMs > c.httpRequestTimeoutMs) {
    r.problems.push('HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }
  if (!isEmailAddressOrNamed(c.mailFrom)) {
    r.problems.push('MAIL_FROM must be an email address, optionally with a name: Taskwright <no-reply@example.com>');
  }
  if (c.outboxRetryBaseMs > c.outboxRetryMaxMs) {
    r.problems.push('OUTBOX_RETRY_BASE_MS must not exceed OUTBOX_RETRY_MAX_MS');
  }
  if (c.metricsPort !== undefined && c.metricsPort === c.port) {
    r.problems.push('METRICS_PORT must differ from PORT');
  }

  if (r.problems.length > 0) throw new ConfigValidationError(r.problems);
  return c;
}
