import { createHmac, randomBytes } from 'node:crypto';
import type { ApiClient, ApiResponse, TestApp } from './test-app';

/** The user JSON of the API (GET /v1/users/me). */
interface UserJson {
  id: string;
  email: string;
  name: string;
  role: 'user' | 'admin';
  disabled: boolean;
  emailVerified: boolean;
  createdAt: string;
  updatedAt: string;
}

/** The token response of register, login and refresh. */
export interface TokenResponseJson {
  user: UserJson;
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

export interface RegisteredUser {
  user: UserJson;
  accessToken: string;
  refreshToken: string;
  email: string;
  password: string;
}

export interface NewUserFields {
  email?: string;
  password?: string;
  name?: string;
}

let sequence = 0;

/** An email no other spec (or earlier run against the same database) has used. */
export function uniqueEmail(label = 'user'): string {
  sequence += 1;
  return `${label}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}-${sequence}@example.com`;
}

function fail(what: string, response: ApiResponse): never {
  const hint =
    response.status === 429
      ? ' (registrations are limited per address by AUTH_REGISTER_IP_MAX and per email by AUTH_RATE_LIMIT_MAX: start the app with higher ones)'
      : '';
  throw new Error(`${what} answered ${response.status}${hint}: ${response.text}`);
}

/**
 * Registers a fresh account (unique email) and returns its tokens. Each call is one request to the
 * rate-limited /v1/auth/register: a spec that registers more than AUTH_REGISTER_IP_MAX (default
 * 100) users a minute from one address should start its app with a higher AUTH_REGISTER_IP_MAX.
 */
export async function registerUser(api: ApiClient, overrides: NewUserFields = {}): Promise<RegisteredUser> {
  const email = overrides.email ?? uniqueEmail();
  const password = overrides.password ?? `pw-${randomBytes(9).toString('base64url')}`;
  const name = overrides.name ?? 'Test User';
  const response = await api.post<TokenResponseJson>('/v1/auth/register', { email, password, name });
  if (response.status !== 201) fail('POST /v1/auth/register', response);
  const { user, accessToken, refreshToken } = response.body;
  return { user, accessToken, refreshToken, email, password };
}

/** Logs in and returns the token response. */
export async function loginUser(api: ApiClient, email: string, password: string): Promise<TokenResponseJson> {
  const response = await api.post<TokenResponseJson>('/v1/auth/login', { email, password });
  if (response.status !== 200) fail('POST /v1/auth/login', response);
  return response.body;
}

/**
 * An admin: registers an account, promotes it in the database (nobody can become admin through
 * the API), then logs in again so the access token carries the admin role.
 */
export async function createAdmin(t: TestApp, overrides: NewUserFields = {}): Promise<RegisteredUser> {
  const registered = await registerUser(t.api, { name: 'Test Admin', ...overrides });
  await t.sql(`UPDATE users SET role = 'admin' WHERE id = $1`, [registered.user.id]);
  const tokens = await loginUser(t.api, registered.email, registered.password);
  return { user: tokens.user, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, email: registered.email, password: registered.password };
}

/** The claims of an access token, as the API signs them. */
export function decodeAccessToken(token: string): { sub: string; role: string; sid: string; exp: number; iat: number; iss: string; aud: string } {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}

/**
 * A hand-made JWT, to prove what the API refuses: any header (`alg: none`, HS512) and payload,
 * HMAC-signed with `secret` (or with an empty signature for `alg: none`).
 */
export function craftJwt(header: Record<string, unknown>, payload: Record<string, unknown>, secret: string): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode(header)}.${encode(payload)}`;
  const algorithm = ({ HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' } as Record<string, string>)[String(header.alg)];
  if (!algorithm) return `${unsigned}.`;
  return `${unsigned}.${createHmac(algorithm, secret).update(unsigned).digest('base64url')}`;
}
