import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Helpers shared by the deployment specs: which variables the application accepts. */
export const ROOT = resolve(__dirname, '..', '..');

/** `NAME=value` lines of an env file, comments and blank lines skipped. */
export function readEnvFile(path: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined) entries.set(match[1], match[2] ?? '');
  }
  return entries;
}

/** Every variable `.env.example` documents (the house rule: it lists all of them). */
export function documentedVariables(): Set<string> {
  return new Set(readEnvFile(resolve(ROOT, '.env.example')).keys());
}

/** Every variable `loadConfig` reads, parsed out of its source (`r.int('PORT', ...)` and friends). */
export function configuredVariables(): Set<string> {
  const source = readFileSync(resolve(ROOT, 'src/config/app-config.ts'), 'utf8');
  return new Set([...source.matchAll(/\br\.\w+\(\s*'([A-Z][A-Z0-9_]*)'/g)].map((m) => m[1] ?? ''));
}

/** Values for the secrets a deployment passes in from outside (never committed). */
export const PLACEHOLDER_SECRETS = {
  DATABASE_URL: 'postgres://taskwright:placeholder@db.internal:5432/taskwright',
  REDIS_URL: 'redis://redis.internal:6379',
  JWT_SECRET: 'a-placeholder-secret-of-at-least-32-characters',
} as const;
