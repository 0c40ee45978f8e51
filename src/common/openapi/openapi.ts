import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { ProblemDetailsDto } from '../problem/problem-details.dto';
import { RATE_LIMIT_EXTENSION } from '../auth/auth-rate-limit.decorator';
import { VERIFIED_EMAIL_EXTENSION } from '../auth/verified-email.decorator';
import { BODY_PROBLEM_STATUSES, problemExample, UNIVERSAL_PROBLEM_STATUSES } from './api-problems.decorator';
import { version } from '../../../package.json';

const DESCRIPTION = `Taskwright: accounts and tasks behind a documented JSON API.

* Authenticate with \`POST /v1/auth/register\` or \`POST /v1/auth/login\`, then send
  \`Authorization: Bearer <accessToken>\`. Renew with \`POST /v1/auth/refresh\`; a 401 means the token
  is missing, invalid, expired or revoked.
* Every error is RFC 9457 \`application/problem+json\` (schema \`ProblemDetailsDto\`), with the
  \`requestId\` also sent as the \`X-Request-Id\` header on every response.
* Timestamps are ISO-8601 UTC; ids are UUIDs.`;

type OperationObject = NonNullable<OpenAPIObject['paths'][string]['get']>;

const PROBLEM_REF = { $ref: '#/components/schemas/ProblemDetailsDto' };
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/** The headers of the general rate limit (@nestjs/throttler), on the responses of the routes under it. */
const RATE_LIMIT_HEADERS = {
  'X-RateLimit-Limit': { description: 'Requests allowed in the current window (general limit)', schema: { type: 'integer' } },
  'X-RateLimit-Remaining': { description: 'Requests left in the current window', schema: { type: 'integer' } },
  'X-RateLimit-Reset': { description: 'Seconds until the window resets', schema: { type: 'integer' } },
};

const TAGS: Array<[string, string]> = [
  ['auth', 'Register, log in, refresh and log out; the caller’s sessions (one per device)'],
  ['users', 'The caller’s account (`/v1/users/me`), and account administration for admins'],
  ['tasks', 'Tasks: create, list with keyset cursors, read with ETags, conditional updates, and the change feed for offline sync'],
  ['sharing', 'Share a task with other accounts as `viewer` or `editor`, change or revoke access, or leave a task shared with you'],
  ['health', 'Liveness and readiness probes for orchestrators and load balancers (never rate-limited)'],
  ['metrics', 'Prometheus metrics (never rate-limited; keep it off the internet)'],
];

/**
 * Adds to every operation what the global machinery does (rate limits, unexpected errors, body
 * parsing, request ids, the RFC 6750 challenge), so the document tells the whole truth without
 * repeating it on each handler; and gives each problem response an example of its own status.
 */
function addUniversalResponses(document: OpenAPIObject): void {
  for (const pathItem of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = pathItem[method];
      if (!operation) continue;
      const extensions = operation as unknown as Record<string, unknown>;
      const rateLimit = (extensions[RATE_LIMIT_EXTENSION] as 'general' | 'strict' | 'none' | undefined) ?? 'general';
      delete extensions[RATE_LIMIT_EXTENSION];
      if (extensions[VERIFIED_EMAIL_EXTENSION] === true && method !== 'get') documentVerifiedEmail(operation);
      delete extensions[VERIFIED_EMAIL_EXTENSION];
      // A public operation says so: no security requirement, rather than none stated.
      operation.security ??= [];
      const statuses = [...UNIVERSAL_PROBLEM_STATUSES];
      if (rateLimit !== 'none') statuses.push(429);
      if (operation.requestBody) statuses.push(...BODY_PROBLEM_STATUSES);
      for (const status of statuses) {
        const key = String(status);
        if (operation.responses[key]) continue;
        operation.responses[key] = {
          description: STATUS_CODES[status] ?? key,
          content: { 'application/problem+json': { schema: PROBLEM_REF } },
          ...(status === 429 ? { headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } } } : {}),
        };
      }
      if (method === 'get' && operation.security.length > 0) documentConditionalRead(operation);
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!response || '$ref' in response) continue;
        const problem = response.content?.['application/problem+json'];
        if (problem && problem.example === undefined && problem.examples === undefined) problem.example = problemExample(Number(status));
        response.headers = {
          'X-Request-Id': { description: 'The request id (echoed when the client sent a sane one)', schema: { type: 'string' } },
          // Counted for every request that reaches the guards, failed authentication included.
          ...(rateLimit === 'general' ? RATE_LIMIT_HEADERS : {}),
          ...(status === '401'
            ? { 'WWW-Authenticate': { description: 'The RFC 6750 challenge: `Bearer`, or `Bearer error="invalid_token"`', schema: { type: 'string' } } }
            : {}),
          ...response.headers,
        };
      }
    }
  }
}

const EMAIL_NOT_VERIFIED = 'an account whose email is not verified, when the deployment requires it (`email-not-verified`, REQUIRE_VERIFIED_EMAIL_FOR_WRITES)';

/** The 403 VerifiedEmailGuard may give a write: added to the route's own 403, or as its 403. */
function documentVerifiedEmail(operation: OperationObject): void {
  const existing = operation.responses['403'];
  if (existing && !('$ref' in existing)) {
    existing.description = `${existing.description}; or ${EMAIL_NOT_VERIFIED}`;
    return;
  }
  operation.responses['403'] = {
    description: `Not allowed: ${EMAIL_NOT_VERIFIED}`,
    content: {
      'application/problem+json': {
        schema: PROBLEM_REF,
        example: problemExample(403, {
          type: 'email-not-verified',
          detail: 'Verify your email address first: open the link mailed to it, or ask for a new one (POST /v1/auth/email/verify/resend)',
          instance: '/v1/tasks',
        }),
      },
    },
  };
}

/**
 * The one place 304 is documented: HttpCachingInterceptor answers every authenticated GET
 * conditionally, so each gets If-None-Match and a 304 carrying the ETag its 200 documents.
 */
function documentConditionalRead(operation: OperationObject): void {
  operation.parameters ??= [];
  operation.parameters.push({
    name: 'If-None-Match',
    in: 'header',
    description: 'An ETag you hold: 304 with no body while it is still current',
    required: false,
    schema: { type: 'string' },
  });
  const ok = operation.responses['200'];
  const etag = (ok && !('$ref' in ok) ? ok.headers?.ETag : undefined) ?? { description: 'The ETag of this representation', schema: { type: 'string' } };
  if (ok && !('$ref' in ok)) ok.headers = { ETag: etag, ...ok.headers };
  operation.responses['304'] = { description: 'Not modified: If-None-Match names the current ETag (no body)', headers: { ETag: etag } };
}

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Taskwright API')
    .setDescription(DESCRIPTION)
    .setVersion(version)
    .addServer('/', 'This server (the one serving this document)')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The accessToken from login, register or refresh' });
  for (const [name, description] of TAGS) config.addTag(name, description);
  const built = config.build();
  // package.json's licence: not open source (a licence object needs only its name).
  built.info.license = { name: 'UNLICENSED (proprietary)' };
  const document = SwaggerModule.createDocument(app, built, {
    extraModels: [ProblemDetailsDto],
    operationIdFactory: (controllerKey, methodKey) => `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
  });
  addUniversalResponses(document);
  return document;
}

export function serveOpenApi(app: INestApplication, document: OpenAPIObject): void {
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    customSiteTitle: 'Taskwright API',
    swaggerOptions: { persistAuthorization: true, displayRequestDuration: true },
  });
}
