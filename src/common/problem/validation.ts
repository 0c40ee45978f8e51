import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { getMetadataStorage, ValidationTypes } from 'class-validator';
import { type FieldError, ValidationProblem } from './problem.exception';

/** Flattens class-validator's tree into one entry per bad field, with dotted paths. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    // A required field that is absent fails every rule on it: say the one thing that matters.
    if ('value' in error && error.value === undefined && error.constraints !== undefined && !('whitelistValidation' in error.constraints)) {
      out.push({ field, message: `${field} is required` });
      continue;
    }
    for (const message of Object.values(error.constraints ?? {})) {
      out.push({ field, message: message.replace(/^property (\S+) should not exist$/, 'unknown field $1') });
    }
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}

const NULLABLE_PROPERTIES = Symbol('nullableProperties');

/**
 * This property accepts an explicit `null` (with `@IsOptional()`, which lets it through the other
 * validators). Everywhere else the validation pipe refuses null: `@IsOptional()` alone means
 * "may be absent", and a null reaching a NOT NULL column would be a 500.
 */
export function Nullable(): PropertyDecorator {
  return (target, propertyKey) => {
    const own: Set<string | symbol> = Reflect.getOwnMetadata(NULLABLE_PROPERTIES, target) ?? new Set(Reflect.getMetadata(NULLABLE_PROPERTIES, target) ?? []);
    own.add(propertyKey);
    Reflect.defineMetadata(NULLABLE_PROPERTIES, own, target);
  };
}

function isNullable(metatype: abstract new (...args: never[]) => unknown, property: string): boolean {
  const nullable: Set<string | symbol> | undefined = Reflect.getMetadata(NULLABLE_PROPERTIES, metatype.prototype as object);
  return nullable?.has(property) ?? false;
}

/** A UTF-16 surrogate without its pair: not a character, and not encodable as UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * What no string input may hold, whatever its DTO says: NUL (PostgreSQL text cannot store it)
 * and lone surrogates (no UTF-8 form: PostgreSQL, argon2 and Redis would each see something else).
 */
function stringProblems(value: unknown, field: string, out: FieldError[]): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) out.push({ field, message: `${field} must not contain NUL characters` });
    if (LONE_SURROGATE.test(value)) out.push({ field, message: `${field} must be valid Unicode (no lone surrogate)` });
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => stringProblems(item, `${field}.${index}`, out));
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) stringProblems(item, `${field}.${key}`, out);
  }
}

type Metatype = abstract new (...args: never[]) => unknown;

/**
 * Checks every string input (body, query, path) for NUL and lone surrogates, and every body field
 * for a null its DTO does not declare @Nullable, before class-validator runs: some of its
 * validators throw on a lone surrogate (isEmail calls encodeURI). The other fields still go
 * through class-validator, so a client sees every bad field at once.
 */
class InputValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'custom') return super.transform(value, metadata);
    const problems: FieldError[] = [];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      stringProblems(value, metadata.data ?? metadata.type, problems);
      if (problems.length > 0) throw new ValidationProblem(problems);
      return super.transform(value, metadata);
    }
    for (const [key, item] of Object.entries(value)) stringProblems(item, key, problems);
    if (metadata.type === 'body' && metadata.metatype) this.nullProblems(value, metadata.metatype as Metatype, problems);
    if (problems.length === 0) return super.transform(value, metadata);

    const reported = new Set(problems.map((problem) => problem.field.split('.')[0]));
    const rest = Object.fromEntries(Object.entries(value).filter(([key]) => !reported.has(key)));
    try {
      await super.transform(rest, metadata);
    } catch (error) {
      if (!(error instanceof ValidationProblem)) throw error;
      // The fields left out are absent to class-validator: drop what it says about them.
      problems.push(...(error.errors ?? []).filter((other) => !reported.has(other.field.split('.')[0])));
    }
    throw new ValidationProblem(problems);
  }

  private nullProblems(value: object, metatype: Metatype, out: FieldError[]): void {
    const metadatas = getMetadataStorage().getTargetValidationMetadatas(metatype, '', false, false);
    const declared = new Set(metadatas.map((m) => m.propertyName));
    // IsOptional and ValidateIf (may be absent) are class-validator's conditional validations.
    const optional = new Set(metadatas.filter((m) => m.type === ValidationTypes.CONDITIONAL_VALIDATION).map((m) => m.propertyName));
    for (const [key, item] of Object.entries(value)) {
      // An unknown field is refused by the whitelist, whatever its value.
      if (item === null && declared.has(key) && !isNullable(metatype, key)) {
        out.push({ field: key, message: optional.has(key) ? `${key} must not be null (leave it out instead)` : `${key} is required and must not be null` });
      }
    }
  }
}

/** Whitelisting and rejecting unknown fields is what stops mass assignment (`role` in a body). */
export function createValidationPipe(): ValidationPipe {
  return new InputValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    // The value is read to tell an absent field (flattenValidationErrors); no message quotes it.
    validationError: { target: false, value: true },
    exceptionFactory: (errors) => new ValidationProblem(flattenValidationErrors(errors)),
  });
}
