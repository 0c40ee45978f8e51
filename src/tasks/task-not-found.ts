import { ProblemException } from '../common/problem/problem.exception';

/**
 * The one "no such task" answer: absent, deleted, someone else's and malformed ids all get
 * exactly this body, so a response never reveals whether another user's task exists.
 */
export function taskNotFound(): ProblemException {
  return new ProblemException(404, 'not-found', 'No task with this id');
}
