/**
 * Preloaded (`node -r`) into both servers so the benchmark can check that they send PostgreSQL the
 * same statements. Inert unless BENCH_SQL_CAPTURE_FILE is set; then each SIGUSR2 toggles capturing:
 * on, node-postgres's Client#query is wrapped and every statement text (TypeORM's included) is
 * appended, whitespace-collapsed, to that file; off, the original method is put back, so the timed
 * runs execute exactly the unpatched driver.
 */
import { appendFileSync } from 'node:fs';
import { Client } from 'pg';

const file = process.env.BENCH_SQL_CAPTURE_FILE;

if (file !== undefined && file !== '') {
  const prototype = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  const captured = function capturedQuery(this: unknown, ...args: unknown[]): unknown {
    const [first] = args;
    const text = typeof first === 'string' ? first : typeof first === 'object' && first !== null ? (first as { text?: unknown }).text : undefined;
    if (typeof text === 'string') appendFileSync(file, `${text.replace(/\s+/g, ' ').trim()}\n`);
    return original.apply(this, args);
  };
  process.on('SIGUSR2', () => {
    const capturing = prototype.query === captured;
    prototype.query = capturing ? original : captured;
    appendFileSync(file, capturing ? '-- capture off\n' : '-- capture on\n');
  });
}
