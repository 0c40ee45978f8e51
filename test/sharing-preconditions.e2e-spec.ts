import { registerUser, type RegisteredUser } from './helpers/auth';
import { useTestApp, type TestApp } from './helpers/test-app';
import type { components } from '../clients/typescript/schema';

/**
 * Conditional writes on shared tasks: an If-Match names one representation (the task at a version,
 * seen with an access), so a grantee whose role changed since holds a stale ETag (412); and a
 * write without If-Match is never 412, however the caller's access changes while it runs.
 */

type Task = components['schemas']['TaskDto'];

async function createTask(t: TestApp, owner: RegisteredUser, title: string): Promise<Task> {
  const response = await t.api.post<Task>('/v1/tasks', { title }, { token: owner.accessToken });
  expect(response.status).toBe(201);
  return response.body;
}

async function share(t: TestApp, owner: RegisteredUser, taskId: string, grantee: RegisteredUser, role: 'viewer' | 'editor'): Promise<void> {
  const response = await t.api.put(`/v1/tasks/${taskId}/shares`, { email: grantee.email, role }, { token: owner.accessToken });
  expect([200, 201]).toContain(response.status);
}

describe('conditional writes on shared tasks (e2e)', () => {
  const t = useTestApp({ RATE_LIMIT_MAX: '1000000', AUTH_RATE_LIMIT_MAX: '1000', DATABASE_POOL_SIZE: '20' });

  it('answers 412 to an If-Match that carries the ETag of a role the grantee no longer has, and changes nothing', async () => {
    const [ada, grace] = [await registerUser(t.api), await registerUser(t.api)];
    const task = await createTask(t, ada, 'role-bound');
    await share(t, ada, task.id, grace, 'viewer');
    const asViewer = await t.api.get<Task>(`/v1/tasks/${task.id}`, { token: grace.accessToken });
    const viewerEtag = asViewer.headers.get('etag') ?? '';
    expect(viewerEtag).toBe(`"${task.id}.1.viewer"`);

    // Promoted to editor: the same version, but a new representation (access: editor).
    await share(t, ada, task.id, grace, 'editor');
    const stale = await t.api.patch(`/v1/tasks/${task.id}`, { title: 'from a stale role' }, { token: grace.accessToken, headers: { 'if-match': viewerEtag } });
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({ type: expect.stringContaining('precondition-failed') });
    // The owner's form of the same version is not the grantee's representation either.
    const ownerForm = await t.api.patch(
      `/v1/tasks/${task.id}`,
      { title: 'owner form' },
      { token: grace.accessToken, headers: { 'if-match': `"${task.id}.1"` } },
    );
    expect(ownerForm.status).toBe(412);
    const unchanged = await t.api.get<Task>(`/v1/tasks/${task.id}`, { token: ada.accessToken });
    expect(unchanged.body).toMatchObject({ title: 'role-bound', version: 1 });

    // The ETag of the current representation works.
    const current = await t.api.get<Task>(`/v1/tasks/${task.id}`, { token: grace.accessToken });
    expect(current.headers.get('etag')).toBe(`"${task.id}.1.editor"`);
    const edited = await t.api.patch<Task>(
      `/v1/tasks/${task.id}`,
      { title: 'as editor' },
      { token: grace.accessToken, headers: { 'if-match': `"${task.id}.1.editor"` } },
    );
    expect(edited.status).toBe(200);
    expect(edited.headers.get('etag')).toBe(`"${task.id}.2.editor"`);

    // The owner deleting with a grantee's ETag of the current version names a representation that is not theirs.
    const deleteWithGranteeTag = await t.api.delete(`/v1/tasks/${task.id}`, { token: ada.accessToken, headers: { 'if-match': `"${task.id}.2.editor"` } });
    expect(deleteWithGranteeTag.status).toBe(412);
    expect((await t.api.get(`/v1/tasks/${task.id}`, { token: ada.accessToken })).status).toBe(200);
    expect((await t.api.delete(`/v1/tasks/${task.id}`, { token: ada.accessToken, headers: { 'if-match': `"${task.id}.2"` } })).status).toBe(204);
  });

  it('never answers 412 to a write without If-Match while the owner keeps changing the writer’s role', async () => {
    const [ada, grace] = [await registerUser(t.api), await registerUser(t.api)];
    const task = await createTask(t, ada, 'flapping');
    await share(t, ada, task.id, grace, 'editor');
    let flipping = true;
    const flipper = (async () => {
      let flips = 0;
      while (flipping) {
        await share(t, ada, task.id, grace, flips % 2 === 0 ? 'viewer' : 'editor');
        flips += 1;
      }
      return flips;
    })();
    const statuses: number[] = [];
    try {
      await Promise.all(
        [0, 1, 2, 3].map(async (writer) => {
          for (let i = 0; i < 40; i++) {
            const response = await t.api.patch(`/v1/tasks/${task.id}`, { description: `writer ${writer} pass ${i}` }, { token: grace.accessToken });
            statuses.push(response.status);
          }
        }),
      );
    } finally {
      flipping = false;
    }
    expect(await flipper).toBeGreaterThan(5);
    const counts = statuses.reduce<Record<number, number>>((all, status) => ({ ...all, [status]: (all[status] ?? 0) + 1 }), {});
    // Each write is judged by a role it had: written as an editor, or refused as a viewer.
    expect(counts[412]).toBeUndefined();
    expect(statuses.every((status) => status === 200 || status === 403)).toBe(true);
  });
});
