import { Param } from '@nestjs/common';
import { ValidationProblem } from '../problem/problem.exception';
import { isUuid } from '../uuid';

/** A path parameter that must be a UUID: anything else is a 400 validation problem naming it. */
export const UuidParam = (name: string): ParameterDecorator =>
  Param(name, {
    transform: (value: string): string => {
      if (!isUuid(value)) throw new ValidationProblem([{ field: name, message: `${name} must be a UUID` }]);
      return value;
    },
  });
