import { canonicalEmail } from './canonical-email';

describe('canonicalEmail', () => {
  // Each pair is one account: spellings that JavaScript's toLowerCase() and PostgreSQL's lower()
  // treat differently (so a limiter keyed on one and a lookup on the other could disagree).
  it.each([
    ['U+0130 İ against i + U+0307', 'İnfo@example.com', 'i\u0307nfo@example.com'],
    ['KELVIN SIGN against K', '\u212Aate@example.com', 'kate@example.com'],
    ['ß against ss', 'straße@example.com', 'STRASSE@example.com'],
    ['capital ẞ against ß', 'STRAẞE@example.com', 'straße@example.com'],
    ['final sigma against medial sigma', 'ΟΔΟΣ@example.gr', 'οδοσ@example.gr'],
    ['fullwidth letters against ASCII', 'ＡＤＡ@example.com', 'ada@example.com'],
    ['combining against precomposed', 'jose\u0301@example.com', 'JOS\u00c9@example.com'],
    ['spaces around', '  Ada@Example.COM ', 'ada@example.com'],
  ])('gives one form to %s', (_case, one, other) => {
    expect(canonicalEmail(one)).toBe(canonicalEmail(other));
  });

  it('lower-cases plain ASCII and keeps dots and +tags', () => {
    expect(canonicalEmail('Ada.Lovelace+Work@Example.COM')).toBe('ada.lovelace+work@example.com');
    expect(canonicalEmail('ada.lovelace@example.com')).not.toBe(canonicalEmail('adalovelace@example.com'));
    expect(canonicalEmail('ada+x@example.com')).not.toBe(canonicalEmail('ada@example.com'));
  });

  it('keeps İ apart from a plain I (Unicode folding without the Turkish rules)', () => {
    expect(canonicalEmail('İnfo@example.com')).not.toBe(canonicalEmail('Info@example.com'));
  });

  it('is idempotent for every code point, so a stored form is found again by lookups', () => {
    const unstable: string[] = [];
    for (let codePoint = 0; codePoint < 0x30000; codePoint += 1) {
      if (codePoint >= 0xd800 && codePoint < 0xe000) continue;
      const once = canonicalEmail(`a${String.fromCodePoint(codePoint)}b@example.com`);
      if (canonicalEmail(once) !== once) unstable.push(codePoint.toString(16));
    }
    expect(unstable).toEqual([]);
  });
});
