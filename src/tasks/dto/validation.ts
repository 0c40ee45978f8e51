import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsISO8601, IsString, Length, MaxLength, ValidateBy, type ValidationOptions } from 'class-validator';
import { Trim } from '../../common/trim';
import { DESCRIPTION_MAX_LENGTH, TAG_MAX_LENGTH, TAGS_MAX_COUNT, TITLE_MAX_LENGTH } from '../task.types';

/** PostgreSQL text cannot hold U+0000: refuse it as invalid input instead of failing in SQL. */
export const NoNulCharacters = (options: ValidationOptions = {}): PropertyDecorator =>
  ValidateBy(
    {
      name: 'noNulCharacters',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || !value.includes('\u0000'),
        defaultMessage: () => '$property must not contain NUL characters',
      },
    },
    options,
  );

/** Each tag trimmed, exact duplicates dropped (first occurrence kept) before the count is checked. */
const NormaliseTags = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => {
    if (!Array.isArray(value)) return value;
    const trimmed = value.map((tag: unknown) => (typeof tag === 'string' ? tag.trim() : tag));
    return trimmed.filter((tag, index) => typeof tag !== 'string' || trimmed.indexOf(tag) === index);
  });

/**
 * Query strings are strings: digits become an integer, anything else is left as it is so that
 * @IsInt rejects it ("1.5", "abc", "1e3", " 2" are all 400).
 */
export const ToInteger = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d{1,9}$/.test(value) ? Number(value) : value));

/** Empty query values are treated as absent (a cleared search box sends `q=`). */
export const EmptyAsAbsent = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' && value.trim() === '' ? undefined : value));

const DATE_TIME_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;
/** Instants both JavaScript and PostgreSQL write as four-digit years (PostgreSQL has no year 0). */
const EARLIEST = Date.UTC(1000, 0, 1);
const LATEST = Date.UTC(10000, 0, 1);

function isZonedDateTimeInRange(value: unknown): boolean {
  if (typeof value !== 'string' || !DATE_TIME_WITH_ZONE.test(value)) return false;
  const instant = Date.parse(value);
  return instant >= EARLIEST && instant < LATEST;
}

/**
 * An ISO-8601 date-time with an explicit zone (`Z` or `±hh:mm`): a bare date or a local time would
 * mean a different instant depending on the server's time zone. Strict: impossible dates fail, and
 * so do instants outside the years 1000 to 9999.
 */
export const IsZonedDateTime = (): PropertyDecorator =>
  applyDecorators(
    IsISO8601({ strict: true, strictSeparator: true }),
    ValidateBy({
      name: 'isZonedDateTime',
      validator: {
        validate: isZonedDateTimeInRange,
        defaultMessage: () => '$property must be an ISO-8601 date-time with a time zone between the years 1000 and 9999, e.g. 2026-12-01T17:00:00Z',
      },
    }),
  );

/*
 * The rules of each task field, one place for POST and PATCH (which differ only in whether a field
 * may be absent or null). Listed as they would be stacked on the property, top to bottom.
 */
const stacked = (...decorators: PropertyDecorator[]): PropertyDecorator => applyDecorators(...decorators.reverse());

/** Trimmed, 1 to 200 characters, no NUL. */
export const IsTaskTitle = (): PropertyDecorator => stacked(Trim(), IsString(), Length(1, TITLE_MAX_LENGTH), NoNulCharacters());

/** Up to 10,000 characters, no NUL. */
export const IsTaskDescription = (): PropertyDecorator => stacked(IsString(), MaxLength(DESCRIPTION_MAX_LENGTH), NoNulCharacters());

/** One tag in the OpenAPI document (the Swagger plugin cannot see the rules inside IsTaskTags). */
export const TAG_SCHEMA = { type: 'string', minLength: 1, maxLength: TAG_MAX_LENGTH } as const;

/** At most 20 tags of 1 to 50 characters, trimmed and without duplicates. */
export const IsTaskTags = (): PropertyDecorator =>
  stacked(
    NormaliseTags(),
    IsArray(),
    ArrayMaxSize(TAGS_MAX_COUNT),
    IsString({ each: true }),
    Length(1, TAG_MAX_LENGTH, { each: true }),
    NoNulCharacters({ each: true }),
  );
