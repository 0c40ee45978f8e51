import { ProblemException } from '../problem/problem.exception';

export type UnauthenticatedReason = 'missing-token' | 'invalid-token' | 'token-expired' | 'session-revoked';

const DETAILS: Record<UnauthenticatedReason, string> = {
  'missing-token': 'Authentication required: send Authorization: Bearer <accessToken>',
  'invalid-token': 'The access token is invalid; log in again',
  'token-expired': 'The access token has expired; get a new one from POST /v1/auth/refresh',
  'session-revoked': 'The session of this access token has ended; log in again',
};

/** 401 with an RFC 6750 challenge; the problem type tells a client whether refreshing can help. */
export function unauthenticated(reason: UnauthenticatedReason): ProblemException {
  const challenge = reason === 'missing-token' ? 'Bearer' : 'Bearer error="invalid_token"';
  return new ProblemException(401, reason, DETAILS[reason], undefined, { 'WWW-Authenticate': challenge });
}
