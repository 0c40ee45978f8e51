import { HttpException } from '@nestjs/common';

export interface FieldError {
  field: string;
  message: string;
}

/**
 * An error with a problem type of its own. Throw it (or a Nest HttpException) from anywhere;
 * the ProblemDetailsFilter turns it into application/problem+json.
 */
export class ProblemException extends HttpException {
  constructor(
    status: number,
    readonly problemType: string,
    detail: string,
    readonly errors?: FieldError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail, status);
  }
}

export class ValidationProblem extends ProblemException {
  constructor(errors: FieldError[], detail = 'The request is invalid: see errors') {
    super(400, 'validation-failed', detail, errors);
  }
}
