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
