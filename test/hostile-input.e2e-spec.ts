import { connect } from 'node:net';
import { createAdmin, registerUser, uniqueEmail, type RegisteredUser } from './helpers/auth';
import { useTestApp } from './helpers/test-app';

const TYPE = 'https://taskwright.dev/problems/';

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** When the server ended the connection, in ms after the request began. */
  closedAfterMs: number;
}

/**
 * One exchange over a raw socket, for what fetch cannot send (a bad request line, huge headers, a
 * body trickled byte by byte). `trickle` bytes are written one every `trickleEveryMs` after `head`.
 * Resolves when the server closes the connection, or after `giveUpMs` (then status is 0).
 */
function rawExchange(baseUrl: string, head: string, options: { trickle?: string; trickleEveryMs?: number; giveUpMs?: number } = {}): Promise<RawResponse> {
  const { port } = new URL(baseUrl);
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('utf8');
      const [headText = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = headText.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({
        status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0),
        headers,
        body: rest.join('\r\n\r\n'),
        closedAfterMs: Date.now() - started,
      });
    };
    const giveUp = setTimeout(finish, options.giveUpMs ?? 20_000);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', finish);
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      socket.write(head);
      const trickle = options.trickle ?? '';
      let sent = 0;
      if (trickle) {
        timer = setInterval(() => {
          if (sent < trickle.length && socket.writable) socket.write(trickle[sent++] ?? '');
        }, options.trickleEveryMs ?? 500);
      }
    });
  });
}

/** A problem+json answer with a request id, header and body agreeing. */
function expectRawProblem(response: RawResponse, status: number): Record<string, unknown> {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(response.body) as Record<string, unknown>;
  expect(body).toMatchObject({ status, type: expect.stringMatching(new RegExp(`^${TYPE}`)), title: expect.any(String), detail: expect.any(String) });
  expect(typeof body.requestId).toBe('string');
  expect(response.headers['x-request-id']).toBe(body.requestId);
  return body;
}

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('hostile HTTP input (e2e)', () => {
  const t = useTestApp({ AUTH_RATE_LIMIT_MAX: '1000', RATE_LIMIT_MAX: '100000' });
  let user: RegisteredUser;
  let admin: RegisteredUser;
  beforeAll(async () => {
    user = await registerUser(t.api);
    admin = await createAdmin(t);
  });

  const expectProblem = (response: { status: number; headers: Headers; body: { type: string; status: number } }, status: number, type?: string) => {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    if (type) expect(response.body.type).toBe(`${TYPE}${type}`);
  };
  const json = { 'content-type': 'application/json' };

  describe('deeply nested JSON (item 3)', () => {
    it('answers 100 KB of [[[[…]]]] on login with a problem, not 500', async () => {
      const response = await t.api.post('/v1/auth/login', undefined, { rawBody: nested(50_000), headers: json });
      expectProblem(response, 413, 'payload-too-large');
    });

    it('answers nesting within the size limit with 400 before parsing it, on public and authenticated routes', async () => {
      const register = await t.api.post('/v1/auth/register', undefined, { rawBody: `{"email":${nested(600)}}`, headers: json });
      expectProblem(register, 400, 'json-too-deep');
      const create = await t.api.post('/v1/tasks', undefined, { rawBody: `{"title":"a","tags":${nested(20_000)}}`, headers: json, token: user.accessToken });
      expectProblem(create, 400, 'json-too-deep');
      // Brackets inside strings are text, not nesting.
      const title = '[{'.repeat(90);
      const ok = await t.api.post('/v1/tasks', { title, tags: ['[[[[', '{{{{'] }, { token: user.accessToken });
      expect(ok.status).toBe(201);
      expect(ok.body.title).toBe(title);
    });

    it('limits each route to what its body can hold, and documents the limit', async () => {
      // Valid JSON whose size no login needs: refused for its size, before validation.
      const login = await t.api.post('/v1/auth/login', { email: 'a@example.com', password: 'x'.repeat(3000) });
      expectProblem(login, 413, 'payload-too-large');
      const refresh = await t.api.post('/v1/auth/refresh', { refreshToken: 'x'.repeat(3000) });
      expectProblem(refresh, 413, 'payload-too-large');
      const patchMe = await t.api.patch('/v1/users/me', { name: 'x'.repeat(5000) }, { token: user.accessToken });
      expectProblem(patchMe, 413, 'payload-too-large');

      // The largest task the DTO allows, in four-byte characters, still fits.
      const wide = '😀';
      const biggest = {
        title: wide.repeat(200),
        description: wide.repeat(10_000),
        status: 'in_progress',
        priority: 'high',
        dueAt: '2026-12-01T17:00:00.000Z',
        tags: Array.from({ length: 20 }, (_, i) => String.fromCharCode(97 + i) + wide.repeat(49)),
      };
      const created = await t.api.post('/v1/tasks', biggest, { token: user.accessToken });
      expect(created.status).toBe(201);
      const updated = await t.api.patch(`/v1/tasks/${created.body.id}`, biggest, { token: user.accessToken });
      expect(updated.status).toBe(200);
      const tooBig = await t.api.post('/v1/tasks', { ...biggest, description: 'x'.repeat(90_000) }, { token: user.accessToken });
      expectProblem(tooBig, 413, 'payload-too-large');

      const document = (await (await fetch(`${t.baseUrl}/docs-json`)).json()) as {
        paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>>;
      };
      const described = (path: string, method: string) => document.paths[path]?.[method]?.responses['413']?.description ?? '';
      expect(described('/v1/auth/login', 'post')).toMatch(/2,048 bytes/);
      expect(described('/v1/tasks', 'post')).toMatch(/65,536 bytes/);
    });
  });

  describe('strings and nulls the database cannot take (item 6)', () => {
    const errorFields = (body: { errors?: { field: string }[] }) => (body.errors ?? []).map((e) => e.field);

    it('refuses a lone UTF-16 surrogate in an email with 400 naming the field', async () => {
      // JSON.stringify writes a lone surrogate as the escape \ud800, as a hostile client would.
      const email = `\ud800${uniqueEmail()}`;
      const bodies: [string, Record<string, string>][] = [
        ['/v1/auth/register', { email, password: 'a long enough password', name: 'Lone' }],
        ['/v1/auth/login', { email, password: 'a long enough password' }],
      ];
      for (const [path, body] of bodies) {
        const response = await t.api.post(path, body);
        expectProblem(response, 400, 'validation-failed');
        expect(errorFields(response.body)).toContain('email');
      }
    });

    it('refuses NUL and lone surrogates in every string field of users and tasks', async () => {
      const register = await t.api.post('/v1/auth/register', { email: uniqueEmail(), password: 'a long enough password', name: 'Nul\u0000Name' });
      expectProblem(register, 400, 'validation-failed');
      expect(errorFields(register.body)).toEqual(['name']);

      const patchMe = await t.api.patch('/v1/users/me', { name: 'a\u0000b' }, { token: user.accessToken });
      expectProblem(patchMe, 400, 'validation-failed');
      expect(errorFields(patchMe.body)).toEqual(['name']);

      const changePassword = await t.api.post(
        '/v1/users/me/password',
        { currentPassword: user.password, newPassword: 'lone \ud800 surrogate' },
        { token: user.accessToken },
      );
      expectProblem(changePassword, 400, 'validation-failed');
      expect(errorFields(changePassword.body)).toEqual(['newPassword']);

      const task = await t.api.post('/v1/tasks', undefined, {
        rawBody: '{"title":"a\\udc00","description":"\\ud800","tags":["ok","\\udfff"]}',
        headers: json,
        token: user.accessToken,
      });
      expectProblem(task, 400, 'validation-failed');
      expect(new Set(errorFields(task.body))).toEqual(new Set(['title', 'description', 'tags.1']));

      // A well-formed pair is a character like any other.
      const pair = await t.api.post('/v1/tasks', { title: 'ok 😀', tags: ['😀'] }, { token: user.accessToken });
      expect(pair.status).toBe(201);
    });

    it('refuses NUL in the admin email filter and in query strings with 400 naming the parameter', async () => {
      const users = await t.api.get('/v1/users?email=ada%00', { token: admin.accessToken });
      expectProblem(users, 400, 'validation-failed');
      expect(errorFields(users.body)).toEqual(['email']);
      const changes = await t.api.get('/v1/tasks/changes?since=%00', { token: user.accessToken });
      expectProblem(changes, 400, 'validation-failed');
      expect(errorFields(changes.body)).toEqual(['since']);
    });

    it('refuses explicit null where a field cannot be null, and still takes it where it can', async () => {
      const name = await t.api.patch('/v1/users/me', { name: null }, { token: user.accessToken });
      expectProblem(name, 400, 'validation-failed');
      expect(errorFields(name.body)).toEqual(['name']);

      const target = await registerUser(t.api);
      for (const field of ['role', 'disabled']) {
        const response = await t.api.patch(`/v1/users/${target.user.id}`, { [field]: null }, { token: admin.accessToken });
        expectProblem(response, 400, 'validation-failed');
        expect(errorFields(response.body)).toEqual([field]);
      }
      const [stored] = await t.sql<{ role: string; disabled: boolean }>('SELECT role, disabled FROM users WHERE id = $1', [target.user.id]);
      expect(stored).toEqual({ role: 'user', disabled: false });

      const create = await t.api.post('/v1/tasks', { title: 'x', status: null, priority: null, tags: null }, { token: user.accessToken });
      expectProblem(create, 400, 'validation-failed');
      expect(new Set(errorFields(create.body))).toEqual(new Set(['status', 'priority', 'tags']));

      const nullable = await t.api.post('/v1/tasks', { title: 'x', description: null, dueAt: null }, { token: user.accessToken });
      expect(nullable.status).toBe(201);
      const cleared = await t.api.patch(`/v1/tasks/${nullable.body.id}`, { description: null, dueAt: null }, { token: user.accessToken });
      expect(cleared.status).toBe(200);
    });
  });

  describe('protocol-level errors are problem+json (item 7)', () => {
    it('answers a malformed URL with 400 problem+json and a request id', async () => {
      const response = await t.api.get('/v1/tasks/%zz', { token: user.accessToken, skipOpenApiCheck: true });
      expectProblem(response, 400, 'bad-url');
      expect(response.body).toMatchObject({ instance: '/v1/tasks/%zz', requestId: response.headers.get('x-request-id') });
    });

    it('answers an over-long path parameter with 414 problem+json', async () => {
      const response = await t.api.get(`/v1/tasks/${'a'.repeat(300)}`, { token: user.accessToken, skipOpenApiCheck: true });
      expectProblem(response, 414, 'uri-too-long');
      expect(response.body.requestId).toBe(response.headers.get('x-request-id'));
    });

    it('answers headers over the limit with 431 problem+json', async () => {
      const response = await rawExchange(t.baseUrl, `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      expectRawProblem(response, 431);
    });

    it('answers a bad request line with 400 problem+json', async () => {
      const response = await rawExchange(t.baseUrl, 'THIS IS NOT HTTP\r\n\r\n');
      expectRawProblem(response, 400);
    });
  });

  describe('content types other than JSON (item 14)', () => {
    const attempts: [string, string | undefined, string][] = [
      ['a form', 'application/x-www-form-urlencoded', 'title=a'],
      ['multipart', 'multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="title"\r\n\r\na\r\n--x--\r\n'],
      ['text', 'text/plain', '{"title":"a"}'],
      ['a JSON lookalike that is not declared', 'application/json-patch+json', '{"title":"a"}'],
      ['a merge-patch body', 'application/merge-patch+json', '{"title":"a"}'],
      ['JSON in another charset', 'application/json; charset=iso-8859-1', '{"title":"a"}'],
      ['no content type', undefined, '{"title":"a"}'],
    ];
    it.each(attempts)('answers %s with 415 and creates nothing', async (_label, contentType, body) => {
      const before = await t.sql<{ n: string }>('SELECT count(*) AS n FROM tasks');
      const response = await t.api.post('/v1/tasks', undefined, {
        rawBody: Buffer.from(body),
        headers: contentType ? { 'content-type': contentType } : {},
        token: user.accessToken,
      });
      expectProblem(response, 415, 'unsupported-media-type');
      expect(await t.sql('SELECT count(*) AS n FROM tasks')).toEqual(before);
    });

    it('takes application/json with or without a UTF-8 charset', async () => {
      for (const contentType of ['application/json', 'application/json; charset=utf-8', 'Application/JSON; Charset="UTF-8"']) {
        const response = await t.api.post('/v1/tasks', undefined, {
          rawBody: '{"title":"a"}',
          headers: { 'content-type': contentType },
          token: user.accessToken,
        });
        expect(response.status).toBe(201);
      }
    });
  });
});

describe('slow clients (item 8)', () => {
  const t = useTestApp({ HTTP_REQUEST_TIMEOUT_MS: '1500', HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_CONNECTIONS_CHECK_INTERVAL_MS: '250' });

  // A trickle of one byte every 500 ms lasts 30 s: cut within the timeout (plus the check
  // interval and a loaded machine's margin), or not at all.
  const trickle = 'x'.repeat(60);

  it('cuts a body trickled byte by byte at the request timeout, answering 408 problem+json', async () => {
    const head = 'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n';
    const response = await rawExchange(t.baseUrl, head, { trickle, trickleEveryMs: 500 });
    expect(response.closedAfterMs).toBeLessThan(10_000);
    expectRawProblem(response, 408);
  });

  it('cuts headers trickled byte by byte at the headers timeout, answering 408 problem+json', async () => {
    const response = await rawExchange(t.baseUrl, 'GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: ', { trickle, trickleEveryMs: 500 });
    expect(response.closedAfterMs).toBeLessThan(10_000);
    expectRawProblem(response, 408);
  });

  it('still serves a request that takes less than the timeouts', async () => {
    const response = await t.api.get('/health/live');
    expect(response.status).toBe(200);
  });
});

describe('connection cap (item 8)', () => {
  const t = useTestApp({ HTTP_MAX_CONNECTIONS: '3' });

  /** Opens a keep-alive connection, sends one request, and resolves with the first bytes (or '' if closed first). */
  const openAndAsk = (port: number) =>
    new Promise<{ socket: ReturnType<typeof connect>; answer: string }>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.once('data', (chunk) => resolve({ socket, answer: chunk.toString('utf8') }));
      socket.once('close', () => resolve({ socket, answer: '' }));
      socket.on('connect', () => socket.write('GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n'));
    });

  it('closes connections beyond HTTP_MAX_CONNECTIONS at once, and serves again when one ends', async () => {
    const port = Number(new URL(t.baseUrl).port);
    // The test client's own keep-alive connection may still count: open enough to pass the cap either way.
    const opened = [];
    for (let i = 0; i < 5; i++) opened.push(await openAndAsk(port));
    const served = opened.filter((o) => o.answer.startsWith('HTTP/1.1 200'));
    const dropped = opened.filter((o) => o.answer === '');
    expect(served.length).toBeLessThanOrEqual(3);
    expect(served.length).toBeGreaterThanOrEqual(1);
    expect(dropped.length).toBeGreaterThanOrEqual(2);
    for (const o of opened) o.socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const again = await openAndAsk(port);
    again.socket.destroy();
    expect(again.answer).toMatch(/^HTTP\/1\.1 200/);
  });
});
