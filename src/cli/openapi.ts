import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { AppModule } from '../app.module';
import { buildOpenApiDocument } from '../common/openapi/openapi';
import { loadConfig } from '../config/app-config';

/**
 * `npm run openapi`: writes the OpenAPI document to openapi.json at the repository root. Runs Nest
 * in preview mode (nothing is instantiated, no database is needed), so it is the same document
 * the service serves at /docs-json.
 */
async function main(): Promise<void> {
  const config = loadConfig({ NODE_ENV: 'development', LOG_LEVEL: 'silent' });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register({ config, databaseUrl: 'postgres://localhost/unused', logger: pino({ level: 'silent' }) }),
    new FastifyAdapter(),
    { preview: true, logger: false },
  );
  const document = buildOpenApiDocument(app);
  const target = resolve(process.argv[2] ?? 'openapi.json');
  writeFileSync(target, `${JSON.stringify(document, null, 2)}\n`);
  await app.close();
  process.stdout.write(`wrote ${target}\n`);
}

void main();
