import type { ProblemException } from '../problem/problem.exception';

export const ROLES = ['user', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: set on the request by the JWT guard once the token and its session check out. */
export interface AuthUser {
  /** The user's id (UUID). */
  id: string;
  role: Role;
  /** The server-side session the access token belongs to. */
  sessionId: string;
}

/** What the global guards write on a request and read from it, in their order (see AppModule). */
export interface AuthenticatedRequest {
  /** The caller, once JwtAuthGuard checked the token and its session. */
  user?: AuthUser;
  /**
   * The 401 JwtAuthGuard refused the caller with. RolesGuard throws it, after the rate limiter
   * counted the request against its address: a forged or expired token still spends a budget.
   */
  authFailure?: ProblemException;
}
