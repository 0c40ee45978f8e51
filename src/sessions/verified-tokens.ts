/**
 * Access tokens already verified during this request. The rate limiter (the first global guard)
 * verifies the bearer token to count the request against its user; the authentication guard
 * then reuses that result for the very same token string instead of verifying it again.
 *
 * Keyed by the request object, so nothing outlives the request and no request can see another's
 * result. Only successes are kept: a token that failed is verified again by Passport, which then
 * reports why (expired, bad signature, ...).
 */
const verified = new WeakMap<object, { token: string; payload: object }>();

export function rememberVerifiedToken(request: object, token: string, payload: object): void {
  verified.set(request, { token, payload });
}

/** The verified payload of `token` if this request already verified exactly that token. */
export function recallVerifiedToken(request: object, token: string): object | undefined {
  const entry = verified.get(request);
  return entry !== undefined && entry.token === token ? entry.payload : undefined;
}
