import { preconditionFromIfMatch, taskEtag, UNMATCHABLE_VERSION } from './task-etag';

const versionOf = (header: string | undefined, id: string): number | undefined => preconditionFromIfMatch(header, id)?.version;

const ID = '0193a1f0-7b8c-7def-8123-456789abcdef';

describe('task ETags and If-Match', () => {
  it('is a strong, quoted validator of id and version', () => {
    expect(taskEtag(ID, 3)).toBe(`"${ID}.3"`);
    expect(taskEtag(ID, 3)).not.toBe(taskEtag(ID, 4));
  });

  it("ends a grantee's ETag with their access, so a change of role is a new validator; the owner's has none", () => {
    expect(taskEtag(ID, 3, 'owner')).toBe(`"${ID}.3"`);
    expect(taskEtag(ID, 3, 'editor')).toBe(`"${ID}.3.editor"`);
    expect(taskEtag(ID, 3, 'viewer')).toBe(`"${ID}.3.viewer"`);
  });

  it("reads a grantee's ETag in If-Match as the version and the access it names (a role changed since is another representation)", () => {
    expect(preconditionFromIfMatch(taskEtag(ID, 12, 'editor'), ID)).toEqual({ version: 12, access: 'editor' });
    expect(preconditionFromIfMatch(taskEtag(ID, 5, 'viewer'), ID)).toEqual({ version: 5, access: 'viewer' });
    expect(preconditionFromIfMatch(taskEtag(ID, 5), ID)).toEqual({ version: 5, access: 'owner' });
    expect(preconditionFromIfMatch(`"other", ${taskEtag(ID, 9, 'viewer')}`, ID)).toEqual({ version: 9, access: 'viewer' });
    for (const header of [`"${ID}.5.owner"`, `"${ID}.5.admin"`, `"${ID}.5.editor.editor"`, `"${ID}.editor"`, `"${ID}.5editor"`, `"${ID}.5.Editor"`]) {
      expect({ header, precondition: preconditionFromIfMatch(header, ID) }).toEqual({
        header,
        precondition: { version: UNMATCHABLE_VERSION, access: 'owner' },
      });
    }
  });

  it('reads the version an If-Match demands', () => {
    expect(versionOf(undefined, ID)).toBeUndefined();
    expect(versionOf('*', ID)).toBeUndefined();
    expect(versionOf(taskEtag(ID, 7), ID)).toBe(7);
    expect(versionOf(`"other", ${taskEtag(ID, 2)}`, ID)).toBe(2);
    expect(versionOf(`${taskEtag(ID, 4)}, ${taskEtag(ID, 5)}`, ID)).toBe(4);
    expect(versionOf(`"other", *`, ID)).toBeUndefined();
  });

  it('reads every version a task can have, up to the largest PostgreSQL integer', () => {
    for (const version of [1, 9, 10, 99, 100, 12_345, 1_000_000_000, 2_147_483_647]) {
      expect(versionOf(taskEtag(ID, version), ID)).toBe(version);
    }
  });

  it('turns anything that cannot match into a version no task has', () => {
    for (const header of [
      `W/${taskEtag(ID, 7)}`,
      taskEtag('0193a1f0-0000-7def-8123-456789abcdef', 7),
      'garbage',
      `"${ID}.0"`,
      `"${ID}.x"`,
      '""',
      `"${ID}.2147483648"`,
      `"${ID}.99999999999"`,
      `"${ID}.07"`,
      `"${ID}.1e3"`,
      `"${ID}.7x"`,
      `"${ID}.-7"`,
      `"${ID}.77`,
      `"x${ID}.7"`,
    ]) {
      expect(versionOf(header, ID)).toBe(UNMATCHABLE_VERSION);
    }
  });
});
