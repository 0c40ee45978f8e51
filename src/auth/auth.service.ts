import { Injectable } from '@nestjs/common';
import { ProblemException } from '../common/problem/problem.exception';
import type { User } from '../users/user.entity';
import { type NewAccount, UsersService } from '../users/users.service';
import type { AuthUser } from '../common/auth/auth-user';
import { AccessTokenService } from '../sessions/access-token.service';
import type { Session } from '../sessions/session.entity';
import { SessionsService } from '../sessions/sessions.service';
import { AccountRecoveryService } from '../users/account-recovery.service';

export interface IssuedTokens {
  user: User;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

/** Registration, login, refresh and logout: accounts (UsersService) meet sessions (SessionsService). */
/** An unknown, ended, malformed or another user's session id: one answer for all. */
export function sessionNotFound(): ProblemException {
  return new ProblemException(404, 'not-found', 'No such session');
}

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly accessTokens: AccessTokenService,
    private readonly recovery: AccountRecoveryService,
  ) {}

  forgotPassword(email: string): Promise<void> {
    return this.recovery.requestPasswordReset(email);
  }

  resetPassword(token: string, newPassword: string): Promise<void> {
    return this.recovery.resetPassword(token, newPassword);
  }

  verifyEmail(token: string): Promise<void> {
    return this.recovery.verifyEmail(token);
  }

  resendVerification(caller: AuthUser): Promise<void> {
    return this.recovery.resendVerification(caller.id);
  }

  async register(account: NewAccount, userAgent: string | undefined): Promise<IssuedTokens> {
    const user = await this.users.register(account);
    return this.openSession(user, userAgent);
  }

  async login(email: string, password: string, userAgent: string | undefined): Promise<IssuedTokens> {
    const user = await this.users.authenticate(email, password);
    return this.openSession(user, userAgent);
  }

  /** A new pair for a refresh token; the role in the new access token is the account's current one. */
  async refresh(refreshToken: string): Promise<IssuedTokens> {
    const rotated = await this.sessions.rotate(refreshToken);
    const user = await this.users.findById(rotated.userId).catch((error: unknown) => {
      // Deleted between the rotation and this read: its sessions are gone with it.
      if (error instanceof ProblemException && error.getStatus() === 404) {
        throw new ProblemException(401, 'invalid-refresh-token', 'The session has ended; log in again');
      }
      throw error;
    });
    return this.tokensFor(user, rotated.sessionId, rotated.refreshToken);
  }

  async logout(caller: AuthUser): Promise<void> {
    await this.sessions.revoke(caller.id, caller.sessionId, 'logout');
  }

  listSessions(caller: AuthUser): Promise<Session[]> {
    return this.sessions.listActive(caller.id);
  }

  /** Ends one of the caller's own live sessions (the current one included); 404 for any other id. */
  async revokeSession(caller: AuthUser, sessionId: string): Promise<void> {
    if (!(await this.sessions.revoke(caller.id, sessionId, 'revoked-by-user'))) throw sessionNotFound();
  }

  /** "Log out everywhere else". */
  async revokeOtherSessions(caller: AuthUser): Promise<void> {
    await this.sessions.revokeAll(caller.id, 'revoked-by-user', caller.sessionId);
  }

  private async openSession(user: User, userAgent: string | undefined): Promise<IssuedTokens> {
    const session = await this.sessions.open(user.id, userAgent);
    // The account was disabled (or deleted) between the password check and the session insert.
    if (!session) throw new ProblemException(403, 'account-disabled', 'This account is disabled');
    return this.tokensFor(user, session.sessionId, session.refreshToken);
  }

  private tokensFor(user: User, sessionId: string, refreshToken: string): IssuedTokens {
    const accessToken = this.accessTokens.sign({ id: user.id, role: user.role, sessionId });
    return { user, accessToken, refreshToken, expiresIn: this.accessTokens.expiresInSeconds };
  }
}
