import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { canonicalEmail } from '../src/users/canonical-email';
import { createAdmin, registerUser } from './helpers/auth';
import { useTestApp } from './helpers/test-app';

const TYPE = 'https://taskwright.dev/problems/';

/** One trusted proxy hop: the right-most X-Forwarded-For entry is the client. */
const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });

const tag = () => randomBytes(4).toString('hex');

/**
 * Spellings of one address that JavaScript's toLowerCase() and PostgreSQL's lower() treat
 * differently. `spell(suffix)` gives spellings of one address that must be one account.
 */
const VARIANTS: Array<[string, (suffix: string) => string[]]> = [
  ['KELVIN SIGN', (s) => [`kate-${s}@example.com`, `\u212Aate-${s}@example.com`, `KATE-${s}@EXAMPLE.COM`]],
  ['ß, ẞ and SS', (s) => [`strasse-${s}@example.com`, `straße-${s}@example.com`, `STRAẞE-${s}@example.com`]],
  ['final sigma', (s) => [`οδοσ-${s}@example.gr`, `ΟΔΟΣ-${s}@example.gr`, `οδος-${s}@example.gr`]],
  ['fullwidth letters', (s) => [`ada-${s}@example.com`, `ＡＤＡ-${s}@example.com`, `ａｄａ-${s}@example.com`]],
  ['combining and precomposed', (s) => [`jos\u00e9-${s}@example.com`, `jose\u0301-${s}@example.com`, `JOS\u00c9-${s}@example.com`]],
];

describe('emails in canonical form (e2e)', () => {
  const t = useTestApp({
    AUTH_RATE_LIMIT_MAX: '3',
    AUTH_RATE_LIMIT_TTL_MS: '60000',
    TRUST_PROXY: '1',
    AUTH_REGISTER_IP_MAX: '1000',
    AUTH_LOGIN_IP_FAILURE_MAX: '1000',
  });

  let ipSequence = 0;
  /** Each request from its own address, so only the per-account limit is in play. */
  const freshIp = () => {
    ipSequence += 1;
    return `10.40.${Math.floor(ipSequence / 250)}.${(ipSequence % 250) + 1}`;
  };
  const register = (email: string, password: string) => t.api.post('/v1/auth/register', { email, password, name: 'Variant' }, from(freshIp()));
  const login = (email: string, password: string) => t.api.post('/v1/auth/login', { email, password }, from(freshIp()));

  it.each(VARIANTS)('makes the %s spellings one account: one uniqueness, one login, the display form kept', async (_name, spell) => {
    const [first, ...others] = spell(tag());
    const password = 'correct horse battery';
    const created = await register(first ?? '', password);
    expect(created.status).toBe(201);
    expect(created.body.user.email).toBe(first);
    for (const variant of others) {
      const again = await register(variant, 'another long password');
      expect(again.status).toBe(409);
      expect(again.body.type).toBe(`${TYPE}email-taken`);
      const loggedIn = await login(variant, password);
      expect(loggedIn.status).toBe(200);
      expect(loggedIn.body.user.id).toBe(created.body.user.id);
    }
    const [row] = await t.sql<{ email: string; email_canonical: string }>('SELECT email, email_canonical FROM users WHERE id = $1', [created.body.user.id]);
    expect(row).toEqual({ email: first, email_canonical: canonicalEmail(first ?? '') });
  });

  it('does not let U+0130 İ log into the account of a plain i (each is its own account)', async () => {
    const s = tag();
    const password = 'correct horse battery';
    expect((await register(`info-${s}@example.com`, password)).status).toBe(201);
    const dotted = await login(`İnfo-${s}@example.com`, password);
    expect(dotted.status).toBe(401);
    expect(dotted.body.type).toBe(`${TYPE}invalid-credentials`);
  });

  it.each(VARIANTS)('gives the %s spellings one login budget: failures on any spelling, from any address, add up', async (_name, spell) => {
    const variants = spell(tag());
    await registerUser(t.api, { email: variants[0] });
    for (const variant of variants) expect((await login(variant, 'not the password')).status).toBe(401);
    for (const variant of variants) {
      const refused = await login(variant, 'not the password');
      expect(refused.status).toBe(429);
      expect(refused.body.type).toBe(`${TYPE}rate-limited`);
    }
  });

  it('filters the admin list by the canonical prefix', async () => {
    const admin = await createAdmin(t);
    const s = tag();
    const created = await register(`straße-${s}@example.com`, 'correct horse battery');
    expect(created.status).toBe(201);
    for (const prefix of [`STRASSE-${s}`, `strAẞe-${s}`, `ｓｔｒａｓｓｅ-${s}`]) {
      const listed = await t.api.get(`/v1/users?email=${encodeURIComponent(prefix)}`, { token: admin.accessToken });
      expect(listed.status).toBe(200);
      expect(listed.body.data.map((user: { id: string }) => user.id)).toEqual([created.body.user.id]);
    }
  });

  it('backfills existing rows with the same function, and the oldest of two clashing accounts keeps the address', async () => {
    const dataSource = t.app.get(DataSource);
    const applied = (await dataSource.query(`SELECT name FROM migrations ORDER BY id`)) as Array<{ name: string }>;
    const since = applied.findIndex((migration) => migration.name === 'CanonicalEmails1764900000000');
    expect(since).toBeGreaterThan(0);
    for (let i = applied.length - 1; i >= since; i -= 1) await dataSource.undoLastMigration();
    const s = tag();
    // Under lower(email) these were two accounts; canonically they are one address.
    const older = `ada-${s}@example.com`;
    const newer = `ＡＤＡ-${s}@example.com`;
    const ids = [] as string[];
    for (const email of [older, newer, `Other-${s}@Example.com`]) {
      const [row] = (await dataSource.query(
        `INSERT INTO users (id, email, name, password_hash, created_at) VALUES (gen_random_uuid(), $1, 'Old', 'x', now() + make_interval(secs => $2)) RETURNING id`,
        [email, ids.length],
      )) as Array<{ id: string }>;
      ids.push(row?.id ?? '');
    }
    await dataSource.runMigrations();
    const rows = (await dataSource.query(`SELECT id, email, email_canonical FROM users WHERE id = ANY($1::uuid[]) ORDER BY created_at`, [ids])) as Array<{
      id: string;
      email: string;
      email_canonical: string;
    }>;
    expect(rows.map((row) => row.email)).toEqual([older, newer, `Other-${s}@Example.com`]);
    expect(rows[0]?.email_canonical).toBe(canonicalEmail(older));
    expect(rows[1]?.email_canonical).not.toBe(canonicalEmail(newer));
    expect(rows[2]?.email_canonical).toBe(`other-${s}@example.com`);
  });
});
