/**
 * The strong ETag of a task: id and version identify the representation, because every change
 * increments the version. Clients treat it as opaque.
 */
export function taskEtag(id: string, version: number): string {
  return `"${id}.${version}"`;
}

/** Never a version of any task: versions start at 1. */
export const UNMATCHABLE_VERSION = 0;

/**
 * The version an If-Match header demands for task `id`: undefined when there is no precondition
 * (absent header, or `*`, which any existing task satisfies), the version of the first strong
 * ETag of this task in the list, or UNMATCHABLE_VERSION when nothing in it can match (weak tags,
 * another task's tag, garbage), which makes the conditional update fail with 412 as RFC 9110 asks.
 */
export function expectedVersionFromIfMatch(header: string | undefined, id: string): number | undefined {
  if (header === undefined) return undefined;
  const tags = header.split(',').map((tag) => tag.trim());
  if (tags.includes('*')) return undefined;
  const prefix = `"${id}.`;
  for (const tag of tags) {
    if (!tag.startsWith(prefix) || !tag.endsWith('"')) continue;
    const version = tag.slice(prefix.length, -1);
    if (/^[1-9]\d{0,9}$/.test(version) && Number(version) <= 2_147_483_647) return Number(version);
  }
  return UNMATCHABLE_VERSION;
}
