import { loadConfig } from '../../config/app-config';
import { PasswordHasher } from './password-hasher.service';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher(loadConfig({ NODE_ENV: 'test', ARGON2_MEMORY_KIB: '8192', ARGON2_MAX_CONCURRENT: '1' }));

  it('makes argon2id hashes that verify only the same password', async () => {
    const hash = await hasher.hash('correct horse battery');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=8192,t=2,p=1\$/);
    expect(hash).not.toContain('correct horse battery');
    await expect(hasher.verify(hash, 'correct horse battery')).resolves.toBe(true);
    await expect(hasher.verify(hash, 'correct horse batterY')).resolves.toBe(false);
  });

  it('treats an unreadable hash as a mismatch instead of throwing', async () => {
    await expect(hasher.verify('not-a-hash', 'whatever password')).resolves.toBe(false);
  });

  it('spends a verification on the dummy hash without accepting anything', async () => {
    await expect(hasher.verifyNothing('whatever password')).resolves.toBeUndefined();
  });

  it('asks for a rehash when the configured cost changed', async () => {
    const stronger = new PasswordHasher(loadConfig({ NODE_ENV: 'test', ARGON2_MEMORY_KIB: '9216' }));
    const hash = await hasher.hash('correct horse battery');
    expect(hasher.needsRehash(hash)).toBe(false);
    expect(stronger.needsRehash(hash)).toBe(true);
  });
});
