import { createHmac } from 'node:crypto';
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

  /** What a holder of the key could sign: any payload text, valid or not. */
  function signRaw(payload: string): string {
    const key = createHmac('sha256', SECRET).update('taskwright:purpose-a:v1').digest();
    return `${payload}.${createHmac('sha256', key).update(payload).digest().subarray(0, 16).toString('base64url')}`;
  }

  it('refuses, even with a matching MAC, a payload that is not base64url JSON (undefined, never a throw)', () => {
    const json = Buffer.from(JSON.stringify({ a: 1 })).toString('base64url');
    expect(codec.decode(signRaw(json))).toEqual({ a: 1 });
    for (const payload of [`!${json}`, `${json}!`, `${json}=`, Buffer.from('not json').toString('base64url'), Buffer.from('{"a":').toString('base64url')]) {
      expect({ payload, decoded: codec.decode(signRaw(payload)) }).toEqual({ payload, decoded: undefined });
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
