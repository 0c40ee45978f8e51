import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: object }>; headers?: Record<string, unknown> }>;
}

/** Response headers that carry meaning for a client: each one sent must be documented on that response. */
const MEANINGFUL_HEADERS = [
  'etag',
  'location',
  'retry-after',
  'www-authenticate',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'idempotent-replayed',
  'x-request-id',
  'set-cookie',
];
type OpenApiDocument = {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, object> };
};

interface CompiledPath {
  template: string;
  regex: RegExp;
  staticSegments: number;
}

/**
 * Checks every response an end-to-end spec receives against the served OpenAPI document: the
 * route and method must be documented, the status must be documented for that operation, every
 * meaningful header sent must be documented on that response, the content type must be one it
 * declares, and the body must match its schema.
 */
export class OpenApiValidator {
  private readonly ajv: Ajv;
  private readonly paths: CompiledPath[];
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(private readonly document: OpenApiDocument) {
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    // ajv-formats has no idn-email (an email whose local part or domain may be non-ASCII).
    this.ajv.addFormat('idn-email', /^[^\s@]+@[^\s@]+$/u);
    this.ajv.addSchema({ $id: 'openapi.json', components: rewriteRefs(document.components ?? {}) });
    this.paths = Object.keys(document.paths)
      .map((template) => ({
        template,
        regex: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
        staticSegments: template.split('/').filter((s) => s && !s.startsWith('{')).length,
      }))
      .sort((a, b) => b.staticSegments - a.staticSegments);
  }

  /** Throws an Error describing the drift; returns normally when the response is documented. */
  validate(method: string, url: string, status: number, contentType: string | null, body: unknown, headers?: Headers): void {
    const path = new URL(url, 'http://x').pathname.replace(/\/$/, '') || '/';
    const match = this.paths.find((p) => p.regex.test(path));
    const where = `${method.toUpperCase()} ${path} -> ${status}`;
    if (!match) {
      // Unknown routes are answered 404 problem+json by design; nothing to check them against.
      if (status === 404) return;
      throw new Error(`${where}: path is not in the OpenAPI document`);
    }
    const operation = this.document.paths[match.template]?.[method.toLowerCase()];
    if (!operation) {
      if (status === 404 || status === 405) return;
      throw new Error(`${where}: method is not documented for ${match.template}`);
    }
    const response = operation.responses[String(status)] ?? operation.responses.default;
    if (!response) {
      throw new Error(`${where}: status ${status} is not documented (documented: ${Object.keys(operation.responses).join(', ')})`);
    }
    if (headers !== undefined) {
      const documented = new Set(Object.keys(response.headers ?? {}).map((name) => name.toLowerCase()));
      const undocumented = MEANINGFUL_HEADERS.filter((name) => headers.has(name) && !documented.has(name));
      if (undocumented.length > 0) throw new Error(`${where}: sends undocumented headers: ${undocumented.join(', ')}`);
    }
    const hasBody = body !== undefined && body !== '';
    if (!hasBody) {
      if (response.content && Object.keys(response.content).length > 0 && status !== 304 && status !== 204 && method.toUpperCase() !== 'HEAD') {
        throw new Error(`${where}: documented with a body but the response had none`);
      }
      return;
    }
    const mediaType = (contentType ?? '').split(';')[0]?.trim() ?? '';
    const content = response.content?.[mediaType];
    if (!content) {
      throw new Error(`${where}: content type "${mediaType}" is not documented (documented: ${Object.keys(response.content ?? {}).join(', ') || 'no body'})`);
    }
    if (!content.schema) return;
    const key = `${match.template} ${method} ${status} ${mediaType}`;
    let validateFn = this.cache.get(key);
    if (!validateFn) {
      validateFn = this.ajv.compile(rewriteRefs(content.schema) as object);
      this.cache.set(key, validateFn);
    }
    if (!validateFn(body)) {
      throw new Error(`${where}: body does not match the documented schema: ${this.ajv.errorsText(validateFn.errors)}\n${JSON.stringify(body).slice(0, 500)}`);
    }
  }
}

function rewriteRefs<T>(value: T): T {
  if (Array.isArray(value)) return value.map(rewriteRefs) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `openapi.json${v}` : rewriteRefs(v);
    }
    return out as T;
  }
  return value;
}
