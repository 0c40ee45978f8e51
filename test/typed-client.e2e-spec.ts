import { runExample } from '../clients/typescript/example';
import { uniqueEmail } from './helpers/auth';
import { useTestApp } from './helpers/test-app';

/**
 * The generated TypeScript client's example (clients/typescript/) against a real server: what a
 * client team writes on its first day works as written, through the types generated from the
 * committed document.
 */
describe('the typed client example (e2e)', () => {
  const t = useTestApp();

  it('registers, logs in, creates idempotently, pages, revalidates, updates conditionally and syncs', async () => {
    const result = await runExample(t.baseUrl, uniqueEmail('typed-client'));
    expect(result.created).toEqual(expect.objectContaining({ title: 'Write the report', priority: 'high', status: 'todo', tags: ['work'], version: 1 }));
    expect(result.replayed).toBe(true);
    expect(result.pages.map((page) => page.map((task) => task.title))).toEqual([['Write the report', 'Call the bank'], ['Book the trip']]);
    expect(result.notModified).toBe(304);
    expect(result.updated).toEqual(expect.objectContaining({ id: result.created.id, status: 'done', version: 2 }));
    expect(result.stale).toBe(412);
    expect(result.feed).toBe(3);
  });
});
