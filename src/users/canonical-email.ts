/**
 * The one form of an email address that storage, lookup, uniqueness and every rate-limit key use,
 * so two spellings that log into the same account can never count as two (and PostgreSQL, whose
 * lower() depends on the collation and the ICU version, never takes part in the comparison).
 *
 * Canonical means: trimmed; NFKC (fullwidth letters, the KELVIN SIGN and other compatibility
 * characters become their plain forms, combining sequences their precomposed ones); then full
 * case folding, approximated as lower, upper, then lower case, so that ẞ, ß and SS all become
 * `ss` (ẞ upper-cases to itself, hence the first lower) and a final sigma equals a medial one;
 * then NFKC again, since case mapping may leave a decomposed sequence. The unit spec checks that
 * the result is stable for every code point. Dots and `+tags` are kept: whether they matter is the mail server's
 * business. The address as the user typed it (trimmed) is kept separately for display.
 */
export function canonicalEmail(email: string): string {
  return email.trim().normalize('NFKC').toLowerCase().toUpperCase().toLowerCase().normalize('NFKC');
}
