import { Injectable, Logger } from '@nestjs/common';
import type { AuthUser, Role } from '../common/auth/auth-user';
import { PasswordHasher } from './password/password-hasher.service';
import { SessionsService } from '../sessions/sessions.service';
import { v7 as uuidv7 } from 'uuid';
import { ProblemException } from '../common/problem/problem.exception';
import { canonicalEmail } from './canonical-email';
import { UserCursorCodec } from './user-cursor';
import { AppConfig } from '../config/app-config';
import { User } from './user.entity';
import { UsersRepository } from './users.repository';
import { AccountRecoveryService } from './account-recovery.service';
import { MailService } from '../mail/mail.service';
import type { EntityManager } from 'typeorm';

export interface NewAccount {
  email: string;
  password: string;
  name: string;
}

export interface UserListFilter {
  limit: number;
  cursor?: string;
  /** Prefix of the email, compared in canonical form (canonicalEmail). */
  emailPrefix?: string;
  role?: Role;
}

export interface UserPage {
  users: User[];
  nextCursor: string | null;
}

export type AdminAccountOutcome = 'created' | 'promoted' | 'unchanged';

/**
 * Told of an account deletion after it committed and before its response is sent, so a feature
 * above users (tasks: the grantees of the account's shared tasks) can invalidate what it cached.
 */
export type AccountDeletedListener = (userId: string) => Promise<void>;

function emailTaken(): ProblemException {
  return new ProblemException(409, 'email-taken', 'An account with this email already exists');
}

/** The same answer for an unknown email and a wrong password, so neither can be told apart. */
function invalidCredentials(): ProblemException {
  return new ProblemException(401, 'invalid-credentials', 'The email or password is wrong');
}

export function userNotFound(): ProblemException {
  return new ProblemException(404, 'not-found', 'No such user');
}

/**
 * Accounts: registration, credentials, profile, and the admin's view. Every change that must end
 * sessions (password change, disabling, demotion, deletion) revokes them in the same transaction
 * and publishes the revocation before returning.
 */
@Injectable()
export class UsersService {
  private readonly logger = new Logger(UsersService.name);

  private readonly cursors: UserCursorCodec;
  private readonly deletedListeners: AccountDeletedListener[] = [];

  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsService,
    private readonly recovery: AccountRecoveryService,
    private readonly mail: MailService,
    config: AppConfig,
  ) {
    this.cursors = new UserCursorCodec(config.jwtSecret);
  }

  /**
   * A new account with the `user` role; 409 when the email is taken in any spelling of the same
   * canonical form. The verification mail is queued in the transaction that creates the account.
   */
  async register(account: NewAccount): Promise<User> {
    if (await this.findByEmail(account.email)) throw emailTaken();
    const passwordHash = await this.hasher.hash(account.password);
    const { id, queued } = await this.users.transaction(async (manager) => {
      const user = await this.insert(account, passwordHash, 'user', manager);
      // Registered by a concurrent request between our check and our insert.
      if (!user) throw emailTaken();
      return { id: user.id, queued: await this.recovery.queueVerification(manager, user) };
    });
    if (queued) this.mail.committed(1);
    return this.findById(id);
  }

  /**
   * The account these credentials open. An unknown email costs one argon2 verification too, and
   * both failures give the same 401. A disabled account gets 403, but only with its right password.
   */
  async authenticate(email: string, password: string): Promise<User> {
    const found = await this.users.findWithPasswordHashByEmail(canonicalEmail(email));
    if (!found) {
      await this.hasher.verifyNothing(password);
      throw invalidCredentials();
    }
    if (!(await this.hasher.verify(found.passwordHash, password))) throw invalidCredentials();
    if (found.disabled) throw new ProblemException(403, 'account-disabled', 'This account is disabled');
    if (this.hasher.needsRehash(found.passwordHash)) await this.rehash(found.id, password);
    return withoutPasswordHash(found);
  }

  async findById(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw userNotFound();
    return user;
  }

  async isEmailVerified(id: string): Promise<boolean> {
    return (await this.findById(id)).emailVerified;
  }

  async updateProfile(id: string, patch: { name?: string }): Promise<User> {
    if (patch.name !== undefined && !(await this.users.update(id, { name: patch.name }))) throw userNotFound();
    return this.findById(id);
  }

  /**
   * Replaces the password after checking the current one, and ends every other session of the
   * user (a thief holding one of them is locked out); the caller's session stays.
   */
  async changePassword(caller: AuthUser, currentPassword: string, newPassword: string): Promise<void> {
    const found = await this.users.findWithPasswordHashById(caller.id);
    if (!found) throw userNotFound();
    if (!(await this.hasher.verify(found.passwordHash, currentPassword))) {
      throw new ProblemException(400, 'wrong-current-password', 'The current password is wrong', [
        { field: 'currentPassword', message: 'currentPassword is not the current password' },
      ]);
    }
    const passwordHash = await this.hasher.hash(newPassword);
    const revoked = await this.users.transaction(async (manager) => {
      await this.users.update(caller.id, { passwordHash }, manager);
      return this.sessions.endAllForUser(manager, caller.id, 'password-changed', caller.sessionId);
    });
    await this.sessions.publishRevocations(revoked);
  }

  /**
   * Deletes the account; its sessions (and, through their foreign keys, its tasks and its grants
   * both ways) go with it. The deletion listeners run after the commit, before this returns.
   */
  async delete(id: string): Promise<void> {
    const revoked = await this.users.transaction(async (manager) => {
      const sessionIds = await this.sessions.endAllForUser(manager, id, 'account-deleted');
      if (!(await this.users.delete(manager, id))) throw userNotFound();
      return sessionIds;
    });
    await this.sessions.publishRevocations(revoked);
    for (const listener of this.deletedListeners) await listener(id);
  }

  onAccountDeleted(listener: AccountDeletedListener): void {
    this.deletedListeners.push(listener);
  }

  /** The account with this email (compared in canonical form), if there is one. */
  async findByEmail(email: string): Promise<User | undefined> {
    return (await this.users.findByEmail(canonicalEmail(email))) ?? undefined;
  }

  /** Newest first, keyset-paginated on the (time-ordered) id. */
  async list(filter: UserListFilter): Promise<UserPage> {
    const filters = { emailCanonicalPrefix: filter.emailPrefix === undefined ? undefined : canonicalEmail(filter.emailPrefix), role: filter.role };
    const beforeId = filter.cursor === undefined ? undefined : this.cursors.decode(filter.cursor, filters);
    const rows = await this.users.page({ fetch: filter.limit + 1, beforeId, ...filters });
    const users = rows.slice(0, filter.limit);
    const last = users[users.length - 1];
    return { users, nextCursor: rows.length > filter.limit && last ? this.cursors.encode(last.id, filters) : null };
  }

  /**
   * An admin's change to another account. Disabling or demoting ends all of that user's sessions
   * at once (a demoted admin's tokens still say "admin"). Admins cannot disable or demote
   * themselves, so the caller can never lock the last admin out by accident.
   */
  async updateByAdmin(admin: AuthUser, id: string, patch: { role?: Role; disabled?: boolean }): Promise<User> {
    if (id === admin.id && (patch.disabled === true || (patch.role !== undefined && patch.role !== admin.role))) {
      throw new ProblemException(403, 'cannot-change-own-access', 'Admins cannot disable or demote themselves; ask another admin');
    }
    const revoked = await this.users.transaction(async (manager) => {
      const current = await this.users.findForUpdate(manager, id);
      if (!current) throw userNotFound();
      const changes: Partial<Pick<User, 'role' | 'disabled'>> = {};
      if (patch.role !== undefined && patch.role !== current.role) changes.role = patch.role;
      if (patch.disabled !== undefined && patch.disabled !== current.disabled) changes.disabled = patch.disabled;
      if (Object.keys(changes).length === 0) return [];
      await this.users.update(id, changes, manager);
      if (changes.disabled === true) return this.sessions.endAllForUser(manager, id, 'account-disabled');
      if (changes.role === 'user') return this.sessions.endAllForUser(manager, id, 'role-changed');
      return [];
    });
    await this.sessions.publishRevocations(revoked);
    return this.findById(id);
  }

  /**
   * The first admin, from ADMIN_EMAIL/ADMIN_PASSWORD or the create-admin command: creates the
   * account, or promotes an existing one (its password stays as it is). Safe to run again and from
   * several instances at once.
   */
  async ensureAdmin(account: NewAccount): Promise<AdminAccountOutcome> {
    const existing = await this.findByEmail(account.email);
    if (existing) {
      if (existing.role === 'admin') return 'unchanged';
      await this.users.update(existing.id, { role: 'admin' });
      return 'promoted';
    }
    const passwordHash = await this.hasher.hash(account.password);
    if (await this.insert(account, passwordHash, 'admin')) return 'created';
    // Another instance created it between our read and our insert.
    return this.ensureAdmin(account);
  }

  /** Undefined when the email is taken. */
  private async insert(
    account: NewAccount,
    passwordHash: string,
    role: Role,
    manager?: EntityManager,
  ): Promise<Pick<User, 'id' | 'email' | 'name'> | undefined> {
    const id = uuidv7();
    const user = { id, email: account.email.trim(), emailCanonical: canonicalEmail(account.email), name: account.name.trim(), passwordHash, role };
    return (await this.users.insertUnlessEmailTaken(user, manager)) ? { id, email: user.email, name: user.name } : undefined;
  }

  /** Upgrades a hash made with older argon2 parameters while the plain password is at hand. */
  private async rehash(id: string, password: string): Promise<void> {
    try {
      await this.users.update(id, { passwordHash: await this.hasher.hash(password) });
    } catch (error) {
      this.logger.warn(`could not upgrade a password hash: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** The hash goes no further than the method that verified it. */
function withoutPasswordHash(user: User): User {
  const copy = Object.assign(new User(), user);
  Reflect.deleteProperty(copy, 'passwordHash');
  return copy;
}
