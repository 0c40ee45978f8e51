import { registerUser } from './helpers/auth';
import { useTestApp } from './helpers/test-app';

type Operation = {
  description?: string;
  security?: unknown[];
  responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, { example?: { status?: number; type?: string } }> }>;
};
type Document = {
  servers?: Array<{ url: string }>;
  info: { license?: { name: string } };
  tags?: Array<{ name: string; description?: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { required?: string[]; properties: Record<string, { default?: unknown }> }> };
};

/**
 * The served document says everything the service does (issue 16): every operation described,
 * each problem status with an example of its own, the headers each response really carries, and
 * no response the service never gives. The e2e client also checks every response any spec gets:
 * each meaningful header sent must be documented on that response (test/helpers/openapi-validator.ts).
 */
describe('the OpenAPI document (e2e)', () => {
  const t = useTestApp();
  let doc: Document;
  const operations = (): Array<[string, string, Operation]> =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => [path, method, operation] as [string, string, Operation]),
    );

  const success = (operation: Operation) => operation.responses['200'] ?? operation.responses['201'] ?? operation.responses['204'] ?? {};

  beforeAll(async () => {
    doc = (await t.api.loadDocument()) as unknown as Document;
  });

  it('names a server, the licence and a description for every tag and every operation', () => {
    expect(doc.servers?.length).toBeGreaterThan(0);
    expect(doc.info.license?.name).toMatch(/UNLICENSED/);
    const used = new Set(operations().flatMap(([, , operation]) => (operation as { tags?: string[] }).tags ?? []));
    for (const tag of used) expect(doc.tags?.find((entry) => entry.name === tag)?.description).toEqual(expect.any(String));
    const undescribed = operations().filter(([, , operation]) => !operation.description?.trim());
    expect(undescribed.map(([path, method]) => `${method} ${path}`)).toEqual([]);
  });

  it('gives each problem response an example of its own status', () => {
    for (const [path, method, operation] of operations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        const example = response.content?.['application/problem+json']?.example;
        if (response.content?.['application/problem+json'] === undefined) continue;
        expect({ at: `${method} ${path} ${status}`, status: example?.status }).toEqual({ at: `${method} ${path} ${status}`, status: Number(status) });
      }
    }
    const examples = new Set(operations().map(([, , operation]) => operation.responses['401']?.content?.['application/problem+json']?.example?.type));
    expect(examples.has('https://taskwright.dev/problems/validation-failed')).toBe(false);
  });

  it('claims no 429 and no rate-limit headers for the probes and the scrape endpoint, and both for the API', () => {
    for (const [path, method, operation] of operations()) {
      const limited = !path.startsWith('/health') && path !== '/metrics';
      expect({ at: `${method} ${path}`, has429: '429' in operation.responses }).toEqual({ at: `${method} ${path}`, has429: limited });
      const strict = [
        '/v1/auth/register',
        '/v1/auth/login',
        '/v1/auth/refresh',
        '/v1/users/me/password',
        '/v1/auth/password/forgot',
        '/v1/auth/password/reset',
        '/v1/auth/email/verify',
        '/v1/auth/email/verify/resend',
        '/v1/users/me/email',
        '/v1/users/me/email/confirm',
      ];
      const general = limited && !strict.includes(path);
      expect({
        at: `${method} ${path}`,
        headers: 'X-RateLimit-Remaining' in (success(operation).headers ?? {}),
      }).toEqual({
        at: `${method} ${path}`,
        headers: general,
      });
    }
  });

  it('documents the RFC 6750 challenge on every 401, and sends it', async () => {
    for (const [path, method, operation] of operations()) {
      if (operation.responses['401'] !== undefined)
        expect({ at: `${method} ${path}`, header: 'WWW-Authenticate' in (operation.responses['401'].headers ?? {}) }).toEqual({
          at: `${method} ${path}`,
          header: true,
        });
    }
    const response = await t.api.get('/v1/users/me');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('documents and sends ETag, If-None-Match and 304 on the account and session reads too', async () => {
    const { accessToken } = await registerUser(t.api);
    for (const path of ['/v1/users/me', '/v1/auth/sessions']) {
      expect(doc.paths[path]?.get?.responses['200']?.headers?.ETag).toBeDefined();
      expect(doc.paths[path]?.get?.responses['304']).toBeDefined();
      const first = await t.api.get(path, { token: accessToken });
      const etag = first.headers.get('etag');
      expect(etag).toMatch(/^(W\/)?"/);
      const again = await t.api.get(path, { token: accessToken, headers: { 'if-none-match': etag ?? '' } });
      expect(again.status).toBe(304);
    }
  });

  it('says that status and priority are optional when creating a task (no default a generator would make required)', () => {
    const schema = doc.components.schemas.CreateTaskDto;
    expect(schema?.required).toEqual(['title']);
    expect(schema?.properties.status?.default).toBeUndefined();
    expect(schema?.properties.priority?.default).toBeUndefined();
  });
});
