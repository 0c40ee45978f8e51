import { Injectable, type PipeTransform } from '@nestjs/common';
import { ProblemException } from '../common/problem/problem.exception';
import { isUuid } from '../common/uuid';

/**
 * The one "no such task" answer: absent, deleted, someone else's and malformed ids all get
 * exactly this body, so a response never reveals whether another user's task exists.
 */
export function taskNotFound(): ProblemException {
  return new ProblemException(404, 'not-found', 'No task with this id');
}

/**
 * A task id from the path, lower-cased. A malformed id is answered 404 (not 400) like any id that
 * names no task of yours: to a client both mean "there is nothing here".
 */
@Injectable()
export class TaskIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isUuid(value)) throw taskNotFound();
    return value.toLowerCase();
  }
}
