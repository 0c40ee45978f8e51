import { Injectable } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EntityManager } from 'typeorm';
import type { AuthUser } from '../common/auth/auth-user';
import { ProblemException } from '../common/problem/problem.exception';
import { AppConfig } from '../config/app-config';
import { MailService } from '../mail/mail.service';
import { SessionsService } from '../sessions/sessions.service';
import { AccountTokensRepository } from './account-tokens.repository';
import { hashAccountToken, newAccountToken } from './account-tokens';
import { canonicalEmail } from './canonical-email';
import { PasswordHasher } from './password/password-hasher.service';
import { RecoveryMail } from './recovery-mail';
import type { User } from './user.entity';
import { UsersRepository } from './users.repository';

/**
 * The least time a forgot-password request takes, whether or not the account exists: the work
 * for a known account (a transaction) hides under it, plus a few random milliseconds.
 */
const FORGOT_PASSWORD_FLOOR_MS = 250;

/** A used, expired, superseded or unknown token: one answer for all. */
function invalidToken(): ProblemException {
  return new ProblemException(400, 'invalid-token', 'This link is invalid or has expired; ask for a new one');
}

function wrongCurrentPassword(): ProblemException {
  return new ProblemException(400, 'wrong-current-password', 'The current password is wrong', [
    { field: 'currentPassword', message: 'currentPassword is not the current password' },
  ]);
}

/**
 * Account recovery by mail: password reset, email verification and email change. Every token is
 * single-use, stored only as a hash, expiring, and replaces the account's previous one of its kind;
 * every mail is written to the outbox in the transaction of the change it reports.
 */
@Injectable()
export class AccountRecoveryService {
  private readonly mails: RecoveryMail;

  constructor(
    private readonly users: UsersRepository,
    private readonly tokens: AccountTokensRepository,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsService,
    private readonly mail: MailService,
    private readonly config: AppConfig,
  ) {
    this.mails = new RecoveryMail(config.publicAppUrl);
  }

  /**
   * Mails a reset link when the email belongs to an enabled account; otherwise does nothing. The
   * caller cannot tell which: same answer, and no sooner than FORGOT_PASSWORD_FLOOR_MS.
   */
  async requestPasswordReset(email: string): Promise<void> {
    this.mail.assertAvailable();
    const started = performance.now();
    try {
      const user = await this.users.findByEmail(canonicalEmail(email));
      if (user && !user.disabled) {
        const { token, hash } = newAccountToken();
        const ttlSeconds = this.config.passwordResetTtlSeconds;
        await this.users.transaction(async (manager) => {
          await this.tokens.replace(manager, { tokenHash: hash, userId: user.id, purpose: 'password-reset', ttlSeconds });
          await this.mail.enqueue(manager, this.mails.passwordReset(user, token, ttlSeconds));
        });
        this.mail.committed(1);
      }
    } finally {
      await sleep(Math.max(0, FORGOT_PASSWORD_FLOOR_MS + randomInt(25) - (performance.now() - started)));
    }
  }

  /** Sets the password the token was issued for, ends every session of the account, and mails a notice. */
  async resetPassword(token: string, newPassword: string): Promise<void> {
    this.mail.assertAvailable();
    const tokenHash = hashAccountToken(token);
    // argon2 is costly: only for a token that can succeed (spent below, atomically).
    if (!(await this.users.transaction((manager) => this.tokens.isLive(manager, tokenHash, 'password-reset')))) throw invalidToken();
    const passwordHash = await this.hasher.hash(newPassword);
    const revoked = await this.users.transaction(async (manager) => {
      const spent = await this.tokens.spend(manager, tokenHash, 'password-reset');
      const user = spent && (await this.users.findForUpdate(manager, spent.userId));
      if (!user) throw invalidToken();
      await this.users.update(user.id, { passwordHash }, manager);
      const ended = await this.sessions.endAllForUser(manager, user.id, 'password-reset');
      await this.mail.enqueue(manager, this.mails.passwordChanged(user));
      return ended;
    });
    await this.sessions.publishRevocations(revoked);
    this.mail.committed(1);
  }

  /** Issues a verification token for the account's current address and queues its mail, in `manager`'s transaction. */
  async queueVerification(manager: EntityManager, user: Pick<User, 'id' | 'email' | 'name'>): Promise<boolean> {
    if (!this.mail.available) return false;
    const { token, hash } = newAccountToken();
    const ttlSeconds = this.config.emailVerificationTtlSeconds;
    await this.tokens.replace(manager, { tokenHash: hash, userId: user.id, purpose: 'email-verify', ttlSeconds });
    return this.mail.enqueue(manager, this.mails.verifyEmail(user, token, ttlSeconds));
  }

  /** A new verification mail (the previous link stops working); nothing when the address is already verified. */
  async resendVerification(userId: string): Promise<void> {
    this.mail.assertAvailable();
    const queued = await this.users.transaction(async (manager) => {
      const user = await this.users.findForUpdate(manager, userId);
      if (!user) throw new ProblemException(404, 'not-found', 'No such user');
      return !user.emailVerified && (await this.queueVerification(manager, user));
    });
    if (queued) this.mail.committed(1);
  }

  async verifyEmail(token: string): Promise<void> {
    this.mail.assertAvailable();
    await this.users.transaction(async (manager) => {
      const spent = await this.tokens.spend(manager, hashAccountToken(token), 'email-verify');
      if (!spent || !(await this.users.update(spent.userId, { emailVerified: true }, manager))) throw invalidToken();
    });
  }

  /**
   * Mails a confirmation link to the new address and a notice to the current one. When the new
   * address already has an account, its owner is told instead and the caller learns nothing.
   */
  async requestEmailChange(caller: AuthUser, newEmail: string, currentPassword: string): Promise<void> {
    this.mail.assertAvailable();
    const found = await this.users.findWithPasswordHashById(caller.id);
    if (!found) throw new ProblemException(404, 'not-found', 'No such user');
    if (!(await this.hasher.verify(found.passwordHash, currentPassword))) throw wrongCurrentPassword();
    const email = newEmail.trim();
    const canonical = canonicalEmail(email);
    const current = await this.users.findByEmail(canonical);
    if (current?.id === caller.id) {
      throw new ProblemException(400, 'same-email', 'This is already the address of the account', [
        { field: 'newEmail', message: 'newEmail is the current email' },
      ]);
    }
    const queued = await this.users.transaction(async (manager) => {
      if (current) {
        // To the address as its owner registered it, not as the requester typed it.
        await this.mail.enqueue(manager, this.mails.emailAlreadyInUse(current.email));
        return 1;
      }
      const { token, hash } = newAccountToken();
      const ttlSeconds = this.config.emailChangeTtlSeconds;
      await this.tokens.replace(manager, { tokenHash: hash, userId: caller.id, purpose: 'email-change', newEmail: email, ttlSeconds });
      await this.mail.enqueue(manager, this.mails.confirmEmailChange(found, email, token, ttlSeconds));
      await this.mail.enqueue(manager, this.mails.emailChangeRequested(found, email));
      return 2;
    });
    this.mail.committed(queued);
  }

  /**
   * Moves the caller's account to the address the token was mailed to (verified by that), ends
   * the caller's other sessions, and voids every other token of the account (they were mailed to
   * the old address). 409 `email-taken` when another account took the address meanwhile.
   */
  async confirmEmailChange(caller: AuthUser, token: string): Promise<void> {
    this.mail.assertAvailable();
    const revoked = await this.users.transaction(async (manager) => {
      const spent = await this.tokens.spend(manager, hashAccountToken(token), 'email-change', caller.id);
      if (!spent?.newEmail) throw invalidToken();
      if (!(await this.users.changeEmail(manager, caller.id, spent.newEmail, canonicalEmail(spent.newEmail)))) {
        throw new ProblemException(409, 'email-taken', 'An account with this email already exists');
      }
      await this.tokens.deleteAllOfUser(manager, caller.id);
      return this.sessions.endAllForUser(manager, caller.id, 'email-changed', caller.sessionId);
    });
    await this.sessions.publishRevocations(revoked);
  }
}
