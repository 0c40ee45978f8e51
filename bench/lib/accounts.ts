import { progress } from './progress';
import { errorMessage } from './util';

export interface Account {
  userId: string;
  email: string;
  accessToken: string;
}

interface LoginResponse {
  accessToken?: unknown;
  user?: { id?: unknown };
}

/** POST /v1/auth/login once; the access token, or an error naming the status and body. */
export async function login(baseUrl: string, email: string, password: string): Promise<Account> {
  const response = await fetch(`${baseUrl}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'taskwright-bench' },
    body: JSON.stringify({ email, password }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`login of ${email}: ${response.status} ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as LoginResponse;
  if (typeof body.accessToken !== 'string' || typeof body.user?.id !== 'string') throw new Error(`login of ${email}: unexpected body ${text.slice(0, 300)}`);
  return { userId: body.user.id, email, accessToken: body.accessToken };
}

/** Logs every email in (a few at a time: each login is an argon2id verification). */
export async function loginAll(baseUrl: string, emails: readonly string[], password: string, concurrency = 4): Promise<Account[]> {
  const accounts: Account[] = new Array<Account>(emails.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < emails.length) {
      const index = next;
      next += 1;
      const email = emails[index] as string;
      try {
        accounts[index] = await login(baseUrl, email, password);
      } catch (error) {
        throw new Error(`could not log the benchmark users in: ${errorMessage(error)}`, { cause: error });
      }
      done += 1;
      progress.update(`logging in ${done}/${emails.length} benchmark users`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, emails.length) }, () => worker()));
  return accounts;
}

/** GET with a bearer token; the status, headers and parsed body (for preparing scenarios). */
export async function getJson(
  baseUrl: string,
  path: string,
  token: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: unknown; text: string }> {
  const response = await fetch(`${baseUrl}${path}`, {
    headers: { authorization: `Bearer ${token}`, ...headers },
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, body, text };
}

export async function sendJson(
  baseUrl: string,
  method: 'POST' | 'PATCH',
  path: string,
  token: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: unknown; text: string }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}
