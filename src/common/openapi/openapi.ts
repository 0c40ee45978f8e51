import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { ProblemDetailsDto } from '../problem/problem-details.dto';
import { BODY_PROBLEM_STATUSES, UNIVERSAL_PROBLEM_STATUSES } from './api-problems.decorator';
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

/**
 * Adds to every operation the responses that the global machinery can produce (rate limits,
 * unexpected errors, body parsing) so the document tells the whole truth without repeating it
 * on each handler.
 */
function addUniversalResponses(document: OpenAPIObject): void {
  for (const pathItem of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = pathItem[method];
      if (!operation) continue;
      const statuses = [...UNIVERSAL_PROBLEM_STATUSES];
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
      if (method === 'get' && operation.security?.length) documentConditionalRead(operation);
      for (const response of Object.values(operation.responses)) {
        if (!response || '$ref' in response) continue;
        response.headers = {
          'X-Request-Id': { description: 'The request id (echoed when the client sent a sane one)', schema: { type: 'string' } },
          ...response.headers,
        };
      }
    }
  }
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
  const etag = ok && !('$ref' in ok) ? ok.headers?.ETag : undefined;
  operation.responses['304'] = {
    description: 'Not modified: If-None-Match names the current ETag (no body)',
    headers: { ETag: etag ?? { description: 'The current ETag of this representation', schema: { type: 'string' } } },
  };
}

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Taskwright API')
    .setDescription(DESCRIPTION)
    .setVersion(version)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The accessToken from login, register or refresh' })
    .build();
  const document = SwaggerModule.createDocument(app, config, {
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
