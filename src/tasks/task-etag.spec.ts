import { expectedVersionFromIfMatch, taskEtag, UNMATCHABLE_VERSION } from './task-etag';

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

  it("accepts a grantee's ETag in If-Match for the version it names, whatever the access", () => {
    expect(expectedVersionFromIfMatch(taskEtag(ID, 12, 'editor'), ID)).toBe(12);
    expect(expectedVersionFromIfMatch(taskEtag(ID, 5, 'viewer'), ID)).toBe(5);
    for (const header of [`"${ID}.5.owner"`, `"${ID}.5.admin"`, `"${ID}.5.editor.editor"`, `"${ID}.editor"`, `"${ID}.5editor"`, `"${ID}.5.Editor"`]) {
      expect({ header, version: expectedVersionFromIfMatch(header, ID) }).toEqual({ header, version: UNMATCHABLE_VERSION });
    }
  });

  it('reads the version an If-Match demands', () => {
    expect(expectedVersionFromIfMatch(undefined, ID)).toBeUndefined();
    expect(expectedVersionFromIfMatch('*', ID)).toBeUndefined();
    expect(expectedVersionFromIfMatch(taskEtag(ID, 7), ID)).toBe(7);
    expect(expectedVersionFromIfMatch(`"other", ${taskEtag(ID, 2)}`, ID)).toBe(2);
    expect(expectedVersionFromIfMatch(`${taskEtag(ID, 4)}, ${taskEtag(ID, 5)}`, ID)).toBe(4);
    expect(expectedVersionFromIfMatch(`"other", *`, ID)).toBeUndefined();
  });

  it('reads every version a task can have, up to the largest PostgreSQL integer', () => {
    for (const version of [1, 9, 10, 99, 100, 12_345, 1_000_000_000, 2_147_483_647]) {
      expect(expectedVersionFromIfMatch(taskEtag(ID, version), ID)).toBe(version);
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
      expect(expectedVersionFromIfMatch(header, ID)).toBe(UNMATCHABLE_VERSION);
    }
  });
});
