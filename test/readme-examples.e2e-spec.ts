import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { itIf } from './helpers/skip';
import { useTestApp } from './helpers/test-app';

const MARKER = '# Taskwright example (run by test/readme-examples.e2e-spec.ts)';
const run = promisify(execFile);
const haveTools = ['curl', 'jq'].every((tool) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});

/** The README's copy-paste blocks, in the order they appear: each starts with MARKER. */
function readmeExamples(): string[] {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  return [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? '').filter((block) => block.startsWith(MARKER));
}

describe('the README examples, run as written (e2e)', () => {
  const t = useTestApp();

  it('has the auth, the tasks and the sharing sessions', () => {
    expect(readmeExamples()).toHaveLength(3);
  });

  itIf(haveTools, 'curl or jq is missing')('each block runs in bash, every call succeeds, and says what the README says it does', async () => {
    const [auth, tasks, sharing] = readmeExamples();
    const shell = (script: string) => run('bash', ['-euo', 'pipefail', '-c', script], { env: { ...process.env, API: t.baseUrl } });

    const first = await shell(auth ?? '');
    expect(first.stdout).toContain('"email":"ada@example.com"');
    expect(first.stdout.trim().split('\n').at(-1)).toBe('204');

    const second = await shell(tasks ?? '');
    const lines = second.stdout.trim().split('\n');
    expect(JSON.parse(lines[0] ?? '')).toEqual({ data: [expect.objectContaining({ title: 'Write the report', status: 'todo' })], nextCursor: null });
    expect(lines[1]).toBe('304');
    expect(JSON.parse(lines[2] ?? '')).toEqual(expect.objectContaining({ status: 'done', version: 2 }));
    expect(JSON.parse(lines[3] ?? '')).toEqual({ changes: [expect.objectContaining({ title: 'Write the report', status: 'done' })], next: expect.any(String) });

    // The account the sharing example names.
    const grace = await t.api.post('/v1/auth/register', { email: 'grace@example.com', password: 'another long passphrase', name: 'Grace Hopper' });
    expect(grace.status).toBe(201);
    const third = await shell(sharing ?? '');
    const shared = third.stdout.trim().split('\n');
    const grant = { user: { id: grace.body.user.id, name: 'Grace Hopper', email: 'grace@example.com' }, role: 'editor', createdAt: expect.any(String) };
    expect(JSON.parse(shared[0] ?? '')).toEqual(grant);
    expect(JSON.parse(shared[1] ?? '')).toEqual({ data: [grant] });
  });
});
