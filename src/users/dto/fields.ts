import { Transform } from 'class-transformer';

/** Leading and trailing spaces are never meant: drop them before validating. */
export const Trimmed = (): PropertyDecorator => Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));
