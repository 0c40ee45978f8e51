import { SealedBox } from './sealed-box';

describe('SealedBox', () => {
  const box = new SealedBox('a-secret-of-at-least-thirty-two-characters');

  it('opens what it sealed, and the sealed form does not contain the plain text', () => {
    const sealed = box.seal('https://app.example/reset-password?token=abc123');
    expect(sealed).not.toContain('abc123');
    expect(box.open(sealed)).toBe('https://app.example/reset-password?token=abc123');
  });

  it('refuses a box sealed under another secret, or altered', () => {
    const sealed = box.seal('hello');
    expect(() => new SealedBox('another-secret-of-at-least-thirty-two-chars').open(sealed)).toThrow();
    const altered = Buffer.from(sealed, 'base64url');
    altered[altered.length - 1] ^= 1;
    expect(() => box.open(altered.toString('base64url'))).toThrow();
  });
});
