import { Param, ParseUUIDPipe } from '@nestjs/common';
import { ValidationProblem } from '../problem/problem.exception';

/** A path parameter that must be a UUID: anything else is a 400 validation problem naming it. */
export const UuidParam = (name: string): ParameterDecorator =>
  Param(name, new ParseUUIDPipe({ exceptionFactory: () => new ValidationProblem([{ field: name, message: `${name} must be a UUID` }]) }));
