import { distribute, parseSeedArguments, SeedUsageError } from './seed';

describe('seed arguments', () => {
  it('reads counts (underscores allowed), the owner and the password', () => {
    expect(parseSeedArguments(['--tasks', '1_000_000', '--users', '50', '--owner-email', 'me@example.com', '--password', 'long-enough-1'])).toEqual({
      tasks: 1_000_000,
      users: 50,
      ownerEmail: 'me@example.com',
      password: 'long-enough-1',
    });
    expect(parseSeedArguments([])).toMatchObject({ tasks: 10_000, users: 20, ownerEmail: 'seed-owner@example.com' });
  });

  it.each([
    [['--tasks', '-1']],
    [['--tasks', 'many']],
    [['--users', '0']],
    [['--owner-email', 'nobody']],
    [['--password', 'short']],
    [['--bogus', '1']],
    [['extra']],
  ])('refuses %j', (argv) => {
    expect(() => parseSeedArguments(argv)).toThrow(SeedUsageError);
  });
});

describe('distribute', () => {
  it('gives the owner most of a million, four users over 10,000 and the rest a share, adding up exactly', () => {
    const counts = distribute(1_000_000, 20);
    expect(counts).toHaveLength(20);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1_000_000);
    expect(counts[0]).toBeGreaterThan(900_000);
    expect(counts.slice(1, 5).every((n) => n >= 10_000)).toBe(true);
    expect(counts.slice(5).every((n) => n > 0 && n < 10_000)).toBe(true);
  });

  it('handles one user, few users and zero tasks', () => {
    expect(distribute(1000, 1)).toEqual([1000]);
    expect(distribute(1000, 3).reduce((a, b) => a + b, 0)).toBe(1000);
    expect(distribute(0, 20).every((n) => n === 0)).toBe(true);
  });
});
