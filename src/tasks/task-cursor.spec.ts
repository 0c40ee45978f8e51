import { createHash } from 'node:crypto';
import { ProblemException } from '../common/problem/problem.exception';
import { SignedTokenCodec } from '../common/cursor/signed-token';
import { type CursorPosition, filterFingerprint, TaskCursorCodec } from './task-cursor';
import type { TaskFilters } from './task.types';

const OWNER = '0193a1ef-0000-7000-8000-000000000001';
const ID = '0193a1f0-7b8c-7def-8123-456789abcdef';
const filters: TaskFilters = { ownerId: OWNER, status: 'todo', q: 'report' };
const MALFORMED = 'The cursor is malformed or has been altered; start again without a cursor';

function problemOf(run: () => unknown): ProblemException {
  try {
    run();
  } catch (error) {
    if (error instanceof ProblemException) return error;
    throw error;
  }
  throw new Error('expected a ProblemException');
}

describe('TaskCursorCodec', () => {
  const codec = new TaskCursorCodec('secret-one-secret-one-secret-one-32');

  it.each<CursorPosition>([
    { sort: '-createdAt', at: '2026-11-22T09:30:00.123Z', id: ID },
    { sort: 'updatedAt', at: '2026-11-22T09:30:00.000Z', id: ID },
    { sort: 'dueAt', dueAt: null, id: ID },
    { sort: '-dueAt', dueAt: '2027-01-01T00:00:00.000Z', id: ID },
    { sort: 'createdAt', at: '2026-11-22T09:30:00.123Z', id: ID },
    { sort: '-updatedAt', at: '2026-11-22T09:30:00.000Z', id: ID },
    { sort: 'priority', priority: 'high', createdAt: '2026-11-22T09:30:00.123Z', id: ID },
    { sort: '-priority', priority: 'low', createdAt: '2026-11-22T09:30:00.123Z', id: ID },
  ])('round-trips a %s position', (position) => {
    const token = codec.encode(position, filters);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(codec.decode(token, position.sort, filters)).toEqual(position);
  });

  it('rejects a cursor whose payload was altered, even by one character', () => {
    const token = codec.encode({ sort: '-createdAt', at: '2026-11-22T09:30:00.123Z', id: ID }, filters);
    const [payload, mac] = token.split('.') as [string, string];
    const json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { k: string[] };
    json.k = ['2020-01-01T00:00:00.000Z'];
    const forged = `${Buffer.from(JSON.stringify(json)).toString('base64url')}.${mac}`;
    const problem = problemOf(() => codec.decode(forged, '-createdAt', filters));
    expect(problem.getStatus()).toBe(400);
    expect(problem.problemType).toBe('invalid-cursor');
    const flipped = `${payload}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`;
    expect(problemOf(() => codec.decode(flipped, '-createdAt', filters)).problemType).toBe('invalid-cursor');
  });

  it('rejects a cursor signed with another secret or for another purpose', () => {
    const other = new TaskCursorCodec('secret-two-secret-two-secret-two-32');
    const token = other.encode({ sort: '-createdAt', at: '2026-11-22T09:30:00.123Z', id: ID }, filters);
    expect(problemOf(() => codec.decode(token, '-createdAt', filters)).getStatus()).toBe(400);
    const changeToken = new SignedTokenCodec('secret-one-secret-one-secret-one-32', 'tasks-changes').encode({ v: 1, x: '1', s: '1' });
    expect(problemOf(() => codec.decode(changeToken, '-createdAt', filters)).getStatus()).toBe(400);
  });

  it.each(['', 'garbage', 'a.b.c', '!!!.???', 'eyJ2IjoxfQ', `${Buffer.from('not json').toString('base64url')}.AAAA`])(
    'rejects the malformed cursor %j with 400',
    (token) => {
      expect(problemOf(() => codec.decode(token, '-createdAt', filters)).getStatus()).toBe(400);
    },
  );

  it('rejects a validly signed payload with bad fields (nothing unchecked reaches SQL)', () => {
    const raw = new SignedTokenCodec('secret-one-secret-one-secret-one-32', 'tasks-cursor');
    const fingerprint = filterFingerprint(filters);
    const bad = [
      { v: 2, s: '-createdAt', f: fingerprint, k: ['2026-11-22T09:30:00.123Z'], i: ID },
      { v: 1, s: '-createdAt', f: fingerprint, k: ["2026-11-22'; DROP TABLE tasks; --"], i: ID },
      { v: 1, s: '-createdAt', f: fingerprint, k: ['2026-11-22T09:30:00.123Z'], i: 'not-a-uuid' },
      { v: 1, s: 'priority', f: fingerprint, k: ['urgent', '2026-11-22T09:30:00.123Z'], i: ID },
      { v: 1, s: 'dueAt', f: fingerprint, k: [42], i: ID },
      { v: 1, s: '-createdAt', f: fingerprint, k: 'x', i: ID },
      [1, 2, 3],
    ];
    for (const payload of bad) {
      const sort = Array.isArray(payload) ? '-createdAt' : (payload.s as 'priority');
      expect(problemOf(() => codec.decode(raw.encode(payload), sort, filters)).getStatus()).toBe(400);
    }
  });

  it.each([
    ['JSON null', null],
    ['a string', '-createdAt'],
    ['a number', 1],
    ['an empty array', []],
  ])('answers a validly signed cursor whose payload is %s with the same 400 as any bad cursor', (_what, payload) => {
    const raw = new SignedTokenCodec('secret-one-secret-one-secret-one-32', 'tasks-cursor');
    const problem = problemOf(() => codec.decode(raw.encode(payload), '-createdAt', filters));
    expect(problem.getStatus()).toBe(400);
    expect(problem.problemType).toBe('invalid-cursor');
    expect(problem.message).toBe(MALFORMED);
    expect(problem.errors).toEqual([{ field: 'cursor', message: MALFORMED }]);
  });

  it('refuses a signed payload with an extra key, a missing one, or a field that is not exactly what we issue', () => {
    const raw = new SignedTokenCodec('secret-one-secret-one-secret-one-32', 'tasks-cursor');
    const fingerprint = filterFingerprint(filters);
    const at = '2026-11-22T09:30:00.123Z';
    const bad: Array<[string, Record<string, unknown>]> = [
      ['-createdAt', { v: 1, s: '-createdAt', f: fingerprint, k: [at, at], i: ID }],
      ['-createdAt', { v: 1, s: '-createdAt', f: fingerprint, k: [], i: ID }],
      ['dueAt', { v: 1, s: 'dueAt', f: fingerprint, k: [null, null], i: ID }],
      ['-dueAt', { v: 1, s: '-dueAt', f: fingerprint, k: [], i: ID }],
      ['dueAt', { v: 1, s: 'dueAt', f: fingerprint, k: ['tomorrow'], i: ID }],
      ['priority', { v: 1, s: 'priority', f: fingerprint, k: ['high', at, at], i: ID }],
      ['priority', { v: 1, s: 'priority', f: fingerprint, k: ['high'], i: ID }],
      ['-priority', { v: 1, s: '-priority', f: fingerprint, k: ['high', 'yesterday'], i: ID }],
      ['-createdAt', { v: 1, s: '-createdAt', f: fingerprint, k: [`${at}x`], i: ID }],
      ['-createdAt', { v: 1, s: '-createdAt', f: fingerprint, k: [`x${at}`], i: ID }],
      // An extended year, which Date.parse reads: only the exact form a cursor is issued with passes.
      ['-createdAt', { v: 1, s: '-createdAt', f: fingerprint, k: [`+00${at}`], i: ID }],
      ['-createdAt', { v: 1, s: '-createdAt', f: fingerprint, k: ['2026-13-45T99:99:99.999Z'], i: ID }],
      ['-createdAt', { v: 1, s: '-createdAt', f: fingerprint, k: { length: 1, 0: at }, i: ID }],
      ['-createdAt', { v: 1, s: '-createdAt', f: fingerprint, k: [at], i: `${ID}0` }],
      ['-createdAt', { v: 1, s: '-createdAt', f: fingerprint, k: [at], i: `0${ID}` }],
      ['-createdAt', { v: 1, s: '-createdAt', f: fingerprint, k: [at], i: [ID] }],
      ['-createdAt', { v: 1, s: '-createdAt', f: fingerprint, k: [at] }],
      ['-createdAt', { v: 1, s: 'newest', f: fingerprint, k: [at], i: ID }],
      ['-createdAt', { s: '-createdAt', f: fingerprint, k: [at], i: ID }],
    ];
    for (const [sort, payload] of bad) {
      const problem = problemOf(() => codec.decode(raw.encode(payload), sort as 'priority', filters));
      expect([problem.getStatus(), problem.message]).toEqual([400, MALFORMED]);
    }
  });

  it('accepts a cursor issued by another instance or an earlier release with the same JWT_SECRET', () => {
    const issuedElsewhere = new SignedTokenCodec('secret-one-secret-one-secret-one-32', 'tasks-cursor').encode({
      v: 1,
      s: '-createdAt',
      f: filterFingerprint(filters),
      k: ['2026-11-22T09:30:00.123Z'],
      i: ID,
    });
    expect(codec.decode(issuedElsewhere, '-createdAt', filters)).toEqual({ sort: '-createdAt', at: '2026-11-22T09:30:00.123Z', id: ID });
  });

  it('refuses a cursor used with another sort or other filters', () => {
    const token = codec.encode({ sort: '-createdAt', at: '2026-11-22T09:30:00.123Z', id: ID }, filters);
    expect(problemOf(() => codec.decode(token, 'createdAt', filters)).message).toBe(
      'The cursor was issued for sort=-createdAt; send the same sort as the first page, or start again',
    );
    expect(problemOf(() => codec.decode(token, '-createdAt', { ...filters, tag: 'x' })).message).toBe(
      'The cursor was issued for other filters; send the same filters as the first page, or start again',
    );
    expect(problemOf(() => codec.decode(token, '-createdAt', { ...filters, status: 'done' })).message).toMatch(/other filters/);
    expect(problemOf(() => codec.decode(token, '-createdAt', { ...filters, q: undefined })).message).toMatch(/other filters/);
    expect(problemOf(() => codec.decode(token, '-createdAt', { ...filters, ownerId: ID })).message).toMatch(/other filters/);
    expect(problemOf(() => codec.decode(token, '-createdAt', { ...filters, scope: 'shared' })).message).toMatch(/other filters/);
  });
});

describe('filterFingerprint', () => {
  it('is unchanged for a list without a scope, so cursors issued before scopes existed still continue', () => {
    const before = createHash('sha256')
      .update(JSON.stringify([OWNER, 'done', null, null, null, null, 'report']))
      .digest('base64url')
      .slice(0, 16);
    expect(filterFingerprint({ ownerId: OWNER, status: 'done', q: 'report' })).toBe(before);
  });

  it('differs for every filter and ignores nothing', () => {
    const base: TaskFilters = { ownerId: OWNER };
    const variants: TaskFilters[] = [
      base,
      { ...base, status: 'done' },
      { ...base, priority: 'low' },
      { ...base, tag: 'x' },
      { ...base, dueBefore: '2026-01-01T00:00:00Z' },
      { ...base, dueAfter: '2026-01-01T00:00:00Z' },
      { ...base, q: 'x' },
      { ...base, scope: 'own' },
      { ...base, scope: 'shared' },
    ];
    expect(new Set(variants.map(filterFingerprint)).size).toBe(variants.length);
  });
});
