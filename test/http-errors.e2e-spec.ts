import { useTestApp } from './helpers/test-app';

const TYPE = 'https://taskwright.dev/problems/';

/** Body handling needs a JSON route to hit: POST /v1/auth/login. */
describe('request bodies (e2e)', () => {
  const t = useTestApp();

  const expectProblem = (response: { status: number; headers: Headers; body: { type: string; status: number } }, status: number, type: string) => {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ type: `${TYPE}${type}`, status, instance: '/v1/auth/login' });
  };

  it('answers malformed JSON with 400 malformed-json', async () => {
    const response = await t.api.post('/v1/auth/login', undefined, {
      rawBody: '{"email": "a@example.com", "password": ',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(response, 400, 'malformed-json');
    expect(JSON.stringify(response.body)).not.toMatch(/Unexpected|SyntaxError|position/);
  });

  it('answers a body over 100 KiB with 413', async () => {
    const response = await t.api.post('/v1/auth/login', undefined, {
      rawBody: JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(200 * 1024) }),
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(response, 413, 'payload-too-large');
  });

  it('answers a body that is not JSON with 415', async () => {
    const response = await t.api.post('/v1/auth/login', undefined, { rawBody: 'email=a@example.com', headers: { 'content-type': 'text/plain' } });
    expectProblem(response, 415, 'unsupported-media-type');
  });

  it('lists every bad field of a validation failure', async () => {
    const response = await t.api.post('/v1/auth/login', { email: 42, password: ['x'], admin: true });
    expectProblem(response, 400, 'validation-failed');
    expect(new Set(response.body.errors.map((e: { field: string }) => e.field))).toEqual(new Set(['email', 'password', 'admin']));
    for (const error of response.body.errors) expect(typeof error.message).toBe('string');
  });
});
