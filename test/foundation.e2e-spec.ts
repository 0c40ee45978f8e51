import { useTestApp } from './helpers/test-app';

describe('foundation (e2e)', () => {
  const t = useTestApp();

  it('answers liveness and readiness with the database up', async () => {
    expect((await t.api.get('/health/live')).body).toEqual({ status: 'ok' });
    const ready = await t.api.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.details.database.status).toBe('up');
  });

  it('gives every response a request id, echoing a sane one and replacing an unsafe one', async () => {
    const generated = await t.api.get('/health/live');
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const echoed = await t.api.get('/health/live', { headers: { 'x-request-id': 'client-abc.123' } });
    expect(echoed.headers.get('x-request-id')).toBe('client-abc.123');
    const unsafe = await t.api.get('/health/live', { headers: { 'x-request-id': 'bad id\twith spaces' } });
    // Replaced by a generated UUID (a hex id may well contain 'bad', so compare the whole value).
    expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('answers an unknown route with problem+json 404', async () => {
    const response = await t.api.get('/v1/does-not-exist', { headers: { 'x-request-id': 'trace-404' } });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body).toEqual({
      type: 'https://taskwright.dev/problems/not-found',
      title: 'Not Found',
      status: 404,
      detail: 'No route matches this method and path',
      instance: '/v1/does-not-exist',
      requestId: 'trace-404',
    });
  });

  it('serves the Swagger UI and an OpenAPI 3 document with the bearer scheme and problem schema', async () => {
    const ui = await t.api.get('/docs', { skipOpenApiCheck: true });
    expect(ui.status).toBe(200);
    expect(ui.text).toMatch(/swagger-ui/i);
    const doc = (await t.api.get('/docs-json', { skipOpenApiCheck: true })).body;
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toBe('Taskwright API');
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.schemas.ProblemDetailsDto.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'instance', 'requestId']));
  });
});
