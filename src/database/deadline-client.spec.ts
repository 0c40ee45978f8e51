import { Client } from 'pg';
import { createDeadlineClientClass } from './deadline-client';

describe('createDeadlineClientClass', () => {
  const prototype = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  afterEach(() => {
    prototype.query = original;
  });

  it('calls Client#query as it is at call time, so instrumentation patched in later sees every statement', async () => {
    const DeadlineClient = createDeadlineClientClass();
    const client = new DeadlineClient({});
    const seen: unknown[] = [];
    prototype.query = function instrumented(...args: unknown[]) {
      seen.push(args[0]);
      return Promise.resolve({ rows: [] });
    };
    await client.query('SELECT 1');
    expect(seen).toEqual(['SELECT 1']);
  });
});
