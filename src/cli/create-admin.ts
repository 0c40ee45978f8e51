import 'reflect-metadata';
import { type DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { config as loadDotenv } from 'dotenv';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { isEmail } from 'class-validator';
import { type AppConfig, ConfigValidationError, loadConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { dataSourceOptions, resolveDatabase, runPendingMigrations } from '../database/database';
import { RedisModule } from '../redis/redis.module';
import { BOOTSTRAP_ADMIN_NAME } from '../users/admin-bootstrap';
import { UsersModule } from '../users/users.module';
import { type AdminAccountOutcome, UsersService } from '../users/users.service';

const USAGE = `usage: npm run user:create-admin -- --email <address> [--password <password>] [--name <name>]
  Creates an admin account, or promotes the existing account with that email (its password is
  then left as it is). Without --password the password is read from the first line of stdin,
  which keeps it out of the shell history: printf '%s\\n' "$PASSWORD" | npm run user:create-admin -- --email ...
  Uses DATABASE_URL (or the embedded PostgreSQL: stop the service first), like the migrations.`;

export class UsageError extends Error {}

export interface CreateAdminArguments {
  email: string;
  password: string;
  name: string;
}

/** The same rules as registration: a plausible email of at most 254 characters, a 10 to 128 character password. */
export function parseCreateAdminArguments(argv: string[], passwordFromStdin?: string): CreateAdminArguments {
  let values: { email?: string; password?: string; name?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const problems: string[] = [];
  const email = values.email?.trim() ?? '';
  const password = values.password ?? passwordFromStdin ?? '';
  const name = values.name?.trim() ?? BOOTSTRAP_ADMIN_NAME;
  if (!isEmail(email) || email.length > 254) problems.push('--email must be an email address of at most 254 characters');
  if (password.length < 10 || password.length > 128) problems.push('the password must be 10 to 128 characters');
  if (name.length < 1 || name.length > 100) problems.push('--name must be 1 to 100 characters');
  if (problems.length > 0) throw new UsageError(problems.join('; '));
  return { email, password, name };
}

@Module({})
class CreateAdminModule {
  static register(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: CreateAdminModule,
      imports: [
        ConfigModule.forRoot(config),
        TypeOrmModule.forRoot({ ...dataSourceOptions(config, databaseUrl), autoLoadEntities: true }),
        RedisModule,
        UsersModule,
      ],
    };
  }
}

/**
 * Opens the database the way the TypeORM CLI does (src/database/data-source.ts: DATABASE_URL, or
 * the embedded PostgreSQL for the command's duration), with pending migrations applied when the
 * configuration says so, and runs the same UsersService.ensureAdmin as ADMIN_EMAIL at start-up.
 */
export async function createAdmin(account: CreateAdminArguments, config: AppConfig): Promise<AdminAccountOutcome> {
  const log = { info: (message: string) => console.error(message), warn: (message: string) => console.error(message) };
  const database = await resolveDatabase(config, log);
  try {
    await runPendingMigrations(config, database.url);
    const context = await NestFactory.createApplicationContext(CreateAdminModule.register(config, database.url), { logger: ['error', 'warn'] });
    try {
      return await context.get(UsersService).ensureAdmin(account);
    } finally {
      await context.close();
    }
  } finally {
    await database.stop();
  }
}

async function readFirstLine(): Promise<string | undefined> {
  if (process.stdin.isTTY) process.stderr.write('admin password: ');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  return undefined;
}

async function main(): Promise<void> {
  loadDotenv({ quiet: true });
  try {
    const argv = process.argv.slice(2);
    const passwordFromStdin = argv.includes('--password') || argv.some((a) => a.startsWith('--password=')) ? undefined : await readFirstLine();
    const account = parseCreateAdminArguments(argv, passwordFromStdin);
    const outcome = await createAdmin(account, loadConfig());
    const messages: Record<AdminAccountOutcome, string> = {
      created: `created admin ${account.email}`,
      promoted: `promoted ${account.email} to admin (its password is unchanged)`,
      unchanged: `${account.email} is already an admin; nothing changed`,
    };
    process.stdout.write(`${messages[outcome]}\n`);
  } catch (error) {
    if (error instanceof UsageError) process.stderr.write(`${error.message}\n${USAGE}\n`);
    else if (error instanceof ConfigValidationError) process.stderr.write(`taskwright: ${error.message}\n`);
    else process.stderr.write(`create-admin failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
