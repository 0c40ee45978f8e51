import { mapError } from '../../common/problem/problem-details.filter';
import { authenticatedUser } from './jwt-auth.guard';

const user = { id: 'u', role: 'user' as const, sessionId: 's' };

function problemOf(run: () => unknown): ReturnType<typeof mapError> {
  try {
    run();
  } catch (error) {
    return mapError(error);
  }
  throw new Error('expected a problem');
}

describe('authenticatedUser', () => {
  it('passes the user through', () => {
    expect(authenticatedUser(null, user, undefined)).toBe(user);
  });

  it('tells a client whether refreshing can help', () => {
    const expired = Object.assign(new Error('jwt expired'), { name: 'TokenExpiredError' });
    expect(problemOf(() => authenticatedUser(null, false, expired))).toMatchObject({ status: 401, type: 'token-expired' });
    expect(problemOf(() => authenticatedUser(null, false, new Error('No auth token')))).toMatchObject({
      status: 401,
      type: 'missing-token',
      headers: { 'WWW-Authenticate': 'Bearer' },
    });
    expect(problemOf(() => authenticatedUser(null, false, new Error('invalid algorithm')))).toMatchObject({
      status: 401,
      type: 'invalid-token',
      headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
    });
  });

  it('lets errors from the strategy (and from the database) through unchanged', () => {
    const failure = new Error('connection refused');
    expect(() => authenticatedUser(failure, false, undefined)).toThrow(failure);
  });
});
