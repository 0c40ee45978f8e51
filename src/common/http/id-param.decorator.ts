import { Param } from '@nestjs/common';
import type { ProblemException } from '../problem/problem.exception';
import { isUuid } from '../uuid';

/**
 * A resource id from the path, lower-cased. A malformed id gets the route's own 404, like any id
 * that names nothing of yours: to a client both mean "there is nothing here", and tasks, users and
 * sessions answer it alike.
 */
export const IdParam = (name: string, notFound: () => ProblemException): ParameterDecorator =>
  Param(name, {
    transform: (value: string): string => {
      if (!isUuid(value)) throw notFound();
      return value.toLowerCase();
    },
  });
