import { ProblemException } from '../problem/problem.exception';

/** The one answer to a cursor this API did not issue for this listing: 400 `invalid-cursor`, naming the field. */
export function invalidCursor(detail: string): ProblemException {
  return new ProblemException(400, 'invalid-cursor', detail, [{ field: 'cursor', message: detail }]);
}
