import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { Logger } from 'pino';
import pino from 'pino';
import { createApp } from '../../src/app.factory';
import { loadConfig, type AppConfig } from '../../src/config/app-config';
import { OpenApiValidator } from './openapi-validator';

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  /** A raw body sent as is (for malformed JSON, wrong content types, huge bodies). */
  rawBody?: string | Buffer;
  token?: string;
  headers?: Record<string, string>;
  /** Skip the OpenAPI check (only for responses that are deliberately undocumented). */
  skipOpenApiCheck?: boolean;
}

/** A client for one running app that checks every response against the served OpenAPI document. */
export class ApiClient {
  private validator?: OpenApiValidator;

  constructor(readonly baseUrl: string) {}

  /** Validates against a given document, e.g. the committed openapi.json for a spawned server. */
  useDocument(document: Record<string, unknown>): this {
    this.validator = new OpenApiValidator(document as never);
    return this;
  }

  async loadDocument(): Promise<Record<string, unknown>> {
    const response = await fetch(`${this.baseUrl}/docs-json`);
    const document = (await response.json()) as Record<string, unknown>;
    this.validator = new OpenApiValidator(document as never);
    return document;
  }

  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | Buffer | undefined;
    if (options.rawBody !== undefined) {
      body = options.rawBody;
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    const contentType = response.headers.get('content-type');
    let parsed: unknown = text;
    if (text && contentType && /json/.test(contentType)) parsed = JSON.parse(text);
    if (!text) parsed = undefined;
    if (!options.skipOpenApiCheck) {
      if (!this.validator) await this.loadDocument();
      this.validator?.validate(method, path, response.status, contentType, parsed, response.headers);
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }

  get<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, options);
  }
  post<T = any>(path: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('POST', path, { ...options, body });
  }
  patch<T = any>(path: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('PATCH', path, { ...options, body });
  }
  put<T = any>(path: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('PUT', path, { ...options, body });
  }

  delete<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('DELETE', path, options);
  }
}

export interface TestApp {
  app: NestFastifyApplication;
  api: ApiClient;
  config: AppConfig;
  baseUrl: string;
  databaseUrl: string;
  /** A direct connection to this spec's database, for assertions on what was stored. */
  sql<R extends Record<string, unknown> = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A database of its own for each spec file, on the embedded server or TEST_DATABASE_URL. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) throw new Error('TEST_DATABASE_URL is not set: run the e2e specs through jest (globalSetup)');
  const name = `tw_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: withDatabase(serverUrl, name),
    drop: async () => {
      const client = new Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    LOG_PRETTY: 'false',
    MIGRATIONS_RUN: 'true',
    REDIS_KEY_PREFIX: `tw-test-${randomBytes(4).toString('hex')}:`,
    ...(process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL } : {}),
    ...overrides,
  };
}

/**
 * Starts the real application (Fastify adapter, global pipes and filters, migrations) on a random
 * port of 127.0.0.1, against a fresh database.
 */
export async function startTestApp(envOverrides: Record<string, string> = {}, options: { databaseUrl?: string; logger?: Logger } = {}): Promise<TestApp> {
  const database = options.databaseUrl ? { url: options.databaseUrl, drop: async () => undefined } : await createTestDatabase();
  const config = loadConfig(testEnv({ DATABASE_URL: database.url, ...envOverrides }));
  const logger: Logger = options.logger ?? pino({ level: config.logLevel });
  const app = await createApp({ config, databaseUrl: database.url, logger });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  if (!address || typeof address === 'string') throw new Error('no address');
  const baseUrl = `http://127.0.0.1:${address.port}`;
  const api = new ApiClient(baseUrl);
  await api.loadDocument();
  const sqlClient = new Client({ connectionString: database.url });
  // A spec may cut the network under this client (tcp-proxy): the failure then reaches the next
  // sql() call instead of crashing the run as an unhandled 'error' event.
  sqlClient.on('error', () => undefined);
  await sqlClient.connect();
  // One connection, one statement at a time: specs may call sql() concurrently, and node-postgres
  // deprecates overlapping queries on one client.
  let previous: Promise<unknown> = Promise.resolve();
  const sql = <T>(text: string, params?: unknown[]): Promise<T[]> => {
    const result = previous.then(() => sqlClient.query(text, params));
    previous = result.catch(() => undefined);
    return result.then((outcome) => outcome.rows as T[]);
  };
  return {
    app,
    api,
    config,
    baseUrl,
    databaseUrl: database.url,
    sql,
    close: async () => {
      await sqlClient.end();
      await app.close();
      await database.drop();
    },
  };
}

/**
 * The app of a spec file (or of a describe block): started in a `beforeAll`, closed in an
 * `afterAll`. Call it at the top of the block, before the block's own hooks, which then run
 * after the app is up. The returned handle reads the running app, so use it inside tests and
 * hooks only. Overrides known only once earlier hooks ran (a port) come as a function.
 */
export function useTestApp(envOverrides: Record<string, string> | (() => Record<string, string>) = {}): TestApp {
  let running: TestApp | undefined;
  beforeAll(async () => {
    running = await startTestApp(typeof envOverrides === 'function' ? envOverrides() : envOverrides);
  });
  afterAll(async () => {
    await running?.close();
  });
  return new Proxy({} as TestApp, {
    get(_target, property: keyof TestApp) {
      if (running === undefined) throw new Error(`useTestApp: the app is not running (read ${String(property)} inside a test or hook)`);
      return running[property];
    },
  });
}
