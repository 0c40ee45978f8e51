import { Injectable, type OnModuleInit } from '@nestjs/common';
import * as argon2 from 'argon2';
import { randomBytes } from 'node:crypto';
import pLimit, { type LimitFunction } from 'p-limit';
import { AppConfig } from '../../config/app-config';

/** argon2id's time cost: OWASP's minimum for 19 MiB of memory. */
const TIME_COST = 2;

/**
 * argon2id hashing and verification, ARGON2_MAX_CONCURRENT at a time (p-limit): a burst of logins
 * queues here, in order, instead of filling libuv's thread pool (which file I/O and DNS also need)
 * and allocating ARGON2_MEMORY_KIB per concurrent hash. Hashes never leave this class except into
 * the users table.
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private readonly slots: LimitFunction;
  private readonly options: argon2.Options & { type: typeof argon2.argon2id };
  private dummyHash: string | undefined;

  constructor(config: AppConfig) {
    this.slots = pLimit(config.argon2MaxConcurrent);
    this.options = {
      type: argon2.argon2id,
      memoryCost: config.argon2MemoryKib,
      timeCost: TIME_COST,
      parallelism: config.argon2Parallelism,
    };
  }

  /** Prepared at start-up so that the first login for an unknown email costs what the others cost. */
  async onModuleInit(): Promise<void> {
    await this.dummy();
  }

  hash(password: string): Promise<string> {
    return this.slots(() => argon2.hash(password, this.options));
  }

  /** False for a wrong password and for a hash argon2 cannot read: both mean "not this password". */
  verify(hash: string, password: string): Promise<boolean> {
    return this.slots(() => argon2.verify(hash, password).catch(() => false));
  }

  /**
   * Spends the time of one real verification when there is no account to verify against, so the
   * response time does not tell an unknown email from a wrong password.
   */
  async verifyNothing(password: string): Promise<void> {
    const dummy = await this.dummy();
    await this.verify(dummy, password);
  }

  /** True when the hash was made with other parameters than the configured ones. */
  needsRehash(hash: string): boolean {
    try {
      return argon2.needsRehash(hash, this.options);
    } catch {
      return true;
    }
  }

  private async dummy(): Promise<string> {
    this.dummyHash ??= await this.hash(randomBytes(32).toString('base64url'));
    return this.dummyHash;
  }
}
