import { Transform } from 'class-transformer';

/**
 * Leading and trailing spaces are never meant: strings are trimmed before validation, so "  " is
 * empty and " x " is stored as "x".
 */
export const Trim = (): PropertyDecorator => Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));
