/**
 * The one plausibility check of an email address typed outside the API (configuration and the
 * command-line tools; the DTOs use class-validator's IsEmail): something, an @, a dotted domain.
 */
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function isEmailAddress(value: string): boolean {
  return EMAIL_PATTERN.test(value);
}
