import { SignedTokenCodec } from './signed-token';

const SECRET = 'secret-one-secret-one-secret-one-32';

describe('SignedTokenCodec', () => {
  const codec = new SignedTokenCodec(SECRET, 'purpose-a');

  it('round-trips any JSON value as an opaque, URL-safe token', () => {
    for (const value of [{ a: 1, b: ['x', null] }, 'text', 42, null, [1, 2]]) {
      const token = codec.encode(value);
      expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
      expect(codec.decode(token)).toEqual(value);
    }
  });

  it('refuses a token signed with another secret or for another purpose', () => {
    const token = codec.encode({ a: 1 });
    expect(new SignedTokenCodec(SECRET, 'purpose-b').decode(token)).toBeUndefined();
    expect(new SignedTokenCodec('another-secret-another-secret-xx', 'purpose-a').decode(token)).toBeUndefined();
    expect(new SignedTokenCodec(SECRET, 'purpose-a').decode(token)).toEqual({ a: 1 });
  });

  it('refuses any change to the payload or the signature', () => {
    const token = codec.encode({ a: 1 });
    const [payload, signature] = token.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ a: 2 })).toString('base64url');
    for (const altered of [
      `${forged}.${signature}`,
      `${payload}.${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`,
      `${payload}.${signature.slice(0, -2)}`,
      `${payload}.${signature}AAAA`,
      `${payload}.${signature}!`,
      `${payload}.${signature}=`,
      `${payload}.!${signature}`,
      `${payload}.=${signature}`,
      `!${payload}.${signature}`,
      `${payload}.`,
      `.${signature}`,
      payload,
      `${token}.${signature}`,
      '',
    ]) {
      expect(codec.decode(altered)).toBeUndefined();
    }
  });
});
