import { Client } from 'pg';
import { TaskCursorCodec } from '../../src/tasks/task-cursor';
import type { TaskFilters } from '../../src/tasks/task.types';
import { buildListQuery, positionOf, type TaskRow } from '../../src/tasks/tasks.repository';
import type { SeededDataset } from './seed';
import { userEmail } from './seed';

/** A task of the deep owner and an account to grant it to (the share-grant scenario). */
export interface GrantPair {
  taskId: string;
  granteeId: string;
  granteeEmail: string;
}

/** What the sharing scenarios and parity probes read and write, found in the seeded data. */
export interface SharingFixture {
  /** Rows of the deep owner's mixed list (own + shared). */
  mixedTotal: number;
  /** How far into the mixed list (-createdAt) the deep cursor points, and the cursor. */
  mixedDepth: number;
  mixedDeepCursor: string;
  /** Tasks shared with the deep owner, evenly across their time range (shared-read). */
  sharedTaskIds: string[];
  /** The deep owner's own tasks, evenly across their time range (shared-read's own side). */
  ownTaskIds: string[];
  /** A task shared with the deep owner as editor (the parity PATCH by a grantee). */
  editorTaskId: string;
  /** Grant pairs, consecutive ones on different tasks (so concurrent grants rarely wait on one row lock). */
  grantPairs: GrantPair[];
}

async function withClient<T>(databaseUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'taskwright-bench' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * The cursor of the page that starts `depth` rows into `userId`'s mixed list (their own tasks and
 * those shared with them, -createdAt), found with Taskwright's own list query (fetch = depth, in
 * PostgreSQL) and signed for the filters of a plain `GET /v1/tasks` ({ownerId}).
 */
async function mixedCursor(client: Client, jwtSecret: string, userId: string, depth: number): Promise<string> {
  const filters: TaskFilters = { ownerId: userId };
  const { text, params } = buildListQuery(filters, '-createdAt', depth);
  const { rows } = await client.query<TaskRow>(`SELECT * FROM (${text}) AS page OFFSET $${params.length + 1} LIMIT 1`, [...params, depth - 1]);
  const row = rows[0];
  if (row === undefined) throw new Error(`the mixed list of ${userId} has fewer than ${depth} rows`);
  return new TaskCursorCodec(jwtSecret).encode(positionOf(row, '-createdAt'), filters);
}

export async function loadSharingFixture(
  databaseUrl: string,
  jwtSecret: string,
  dataset: SeededDataset,
  options: { readTasks: number; grantTasks: number; grantees: number },
): Promise<SharingFixture> {
  const deep = dataset.deepOwnerId;
  return withClient(databaseUrl, async (client) => {
    const { rows: totals } = await client.query<{ own: number; shared: number }>(
      `SELECT (SELECT count(*)::int FROM tasks WHERE owner_id = $1 AND deleted_at IS NULL) AS own,
              (SELECT count(*)::int FROM task_shares s JOIN tasks t ON t.id = s.task_id WHERE s.grantee_id = $1 AND t.deleted_at IS NULL) AS shared`,
      [deep],
    );
    const own = totals[0]?.own ?? 0;
    const shared = totals[0]?.shared ?? 0;
    const mixedTotal = own + shared;
    const mixedDepth = Math.round(mixedTotal * 0.9);
    const mixedDeepCursor = await mixedCursor(client, jwtSecret, deep, mixedDepth);
    const { rows: sharedRows } = await client.query<{ id: string }>(
      `SELECT id FROM (
         SELECT task_id AS id, row_number() OVER (ORDER BY task_created_at, task_id) AS n, count(*) OVER () AS total
         FROM task_shares WHERE grantee_id = $1
       ) numbered WHERE (n - 1) % greatest(1, total / $2::int) = 0 ORDER BY n LIMIT $2::int`,
      [deep, options.readTasks],
    );
    const sharedTaskIds = sharedRows.map((row) => row.id);
    // Own tasks: an index walk per sample point rather than numbering a million rows; the even
    // points are read (shared-read), the odd ones granted (share-grant).
    const { rows: ownRows } = await client.query<{ id: string }>(
      `WITH span AS (SELECT min(created_at) AS lo, max(created_at) AS hi FROM tasks WHERE owner_id = $1 AND deleted_at IS NULL)
       SELECT l.id FROM span, generate_series(0, $2::int - 1) i,
         LATERAL (SELECT id FROM tasks WHERE owner_id = $1 AND deleted_at IS NULL AND created_at >= span.lo + i * (span.hi - span.lo) / $2::int
                  ORDER BY created_at, id LIMIT 1) l`,
      [deep, 2 * Math.max(options.readTasks, options.grantTasks)],
    );
    const ownIds = ownRows.map((row) => row.id);
    const readIds = ownIds.filter((_, index) => index % 2 === 0).slice(0, options.readTasks);
    const grantTasks = ownIds.filter((_, index) => index % 2 === 1).slice(0, options.grantTasks);
    const { rows: editors } = await client.query<{ id: string }>(
      `SELECT task_id AS id FROM task_shares WHERE grantee_id = $1 AND role = 'editor' ORDER BY task_created_at DESC LIMIT 1`,
      [deep],
    );
    const editorTaskId = editors[0]?.id;
    if (editorTaskId === undefined || sharedTaskIds.length === 0 || readIds.length === 0 || grantTasks.length === 0) {
      throw new Error('the deep owner has no shared task (or no task): the sharing data set is missing');
    }
    // Grantees: the top-ranked accounts (any account other than the deep owner would do).
    const grantees = dataset.userIds.slice(0, options.grantees).map((id, index) => ({ id, email: userEmail(dataset.spec.namespace, index + 1) }));
    const grantPairs = grantees.flatMap((grantee) => grantTasks.map((taskId) => ({ taskId, granteeId: grantee.id, granteeEmail: grantee.email })));
    return {
      mixedTotal,
      mixedDepth,
      mixedDeepCursor,
      sharedTaskIds,
      ownTaskIds: readIds,
      editorTaskId,
      grantPairs,
    };
  });
}
