/**
 * A client team's first day, typed end to end: `schema.d.ts` is generated from the committed
 * openapi.json (`npm run client:generate`), openapi-fetch turns it into typed calls, and this
 * file compiles under --strict (`npm run client:check`). test/typed-client.e2e-spec.ts runs it
 * against a real server on every CI run, so the document, the types and the service cannot drift.
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './schema';

type Task = components['schemas']['TaskDto'];

export interface ExampleResult {
  created: Task;
  replayed: boolean;
  pages: Task[][];
  notModified: number;
  updated: Task;
  stale: number;
  feed: number;
}

/** Register, log in, create (idempotently), page through a list, revalidate, update conditionally, sync. */
export async function runExample(baseUrl: string, email: string): Promise<ExampleResult> {
  const api = createClient<paths>({ baseUrl });
  const password = 'correct horse battery staple';

  const registered = await api.POST('/v1/auth/register', { body: { email, password, name: 'Ada Lovelace' } });
  if (registered.error) throw new Error(`register: ${registered.error.detail}`);
  const login = await api.POST('/v1/auth/login', { body: { email, password } });
  if (login.error) throw new Error(`login: ${login.error.detail}`);
  const headers = { Authorization: `Bearer ${login.data.accessToken}` };

  // Create, retrying with the same Idempotency-Key: one task, the first response twice.
  const key = crypto.randomUUID();
  const create = () =>
    api.POST('/v1/tasks', { headers, params: { header: { 'Idempotency-Key': key } }, body: { title: 'Write the report', priority: 'high', tags: ['work'] } });
  const first = await create();
  const retry = await create();
  if (first.error || retry.error) throw new Error('create failed');
  for (const title of ['Call the bank', 'Book the trip']) {
    const more = await api.POST('/v1/tasks', { headers, body: { title } });
    if (more.error) throw new Error(`create: ${more.error.detail}`);
  }

  // Keyset pages of two: pass nextCursor back (with the same sort and filters) until it is null.
  const pages: Task[][] = [];
  let cursor: string | undefined;
  do {
    const page = await api.GET('/v1/tasks', { headers, params: { query: { limit: 2, sort: 'createdAt', ...(cursor === undefined ? {} : { cursor }) } } });
    if (page.error) throw new Error(`list: ${page.error.detail}`);
    pages.push(page.data.data);
    cursor = page.data.nextCursor ?? undefined;
  } while (cursor !== undefined);

  // Revalidate a task: 304 while its ETag is current.
  const id = first.data.id;
  const read = await api.GET('/v1/tasks/{id}', { headers, params: { path: { id } } });
  const etag = read.response.headers.get('etag') ?? '';
  const again = await api.GET('/v1/tasks/{id}', { headers, params: { path: { id }, header: { 'If-None-Match': etag } } });

  // Update only if nobody changed it since; the same If-Match a second time is stale (412).
  const update = (status: 'done' | 'todo') =>
    api.PATCH('/v1/tasks/{id}', { headers, params: { path: { id }, header: { 'If-Match': etag } }, body: { status } });
  const updated = await update('done');
  if (updated.error) throw new Error(`update: ${updated.error.detail}`);
  const stale = await update('todo');

  // The change feed from the beginning, for an offline copy.
  const feed = await api.GET('/v1/tasks/changes', { headers });
  if (feed.error) throw new Error(`changes: ${feed.error.detail}`);

  return {
    created: first.data,
    replayed: retry.response.headers.get('idempotent-replayed') === 'true' && retry.data.id === first.data.id,
    pages,
    notModified: again.response.status,
    updated: updated.data,
    stale: stale.response.status,
    feed: feed.data.changes.length,
  };
}
