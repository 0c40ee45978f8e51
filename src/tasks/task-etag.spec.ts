import { expectedVersionFromIfMatch, taskEtag, UNMATCHABLE_VERSION } from './task-etag';

const ID = '0193a1f0-7b8c-7def-8123-456789abcdef';

describe('task ETags and If-Match', () => {
  it('is a strong, quoted validator of id and version', () => {
    expect(taskEtag(ID, 3)).toBe(`"${ID}.3"`);
    expect(taskEtag(ID, 3)).not.toBe(taskEtag(ID, 4));
  });

  it('reads the version an If-Match demands', () => {
    expect(expectedVersionFromIfMatch(undefined, ID)).toBeUndefined();
    expect(expectedVersionFromIfMatch('*', ID)).toBeUndefined();
    expect(expectedVersionFromIfMatch(taskEtag(ID, 7), ID)).toBe(7);
    expect(expectedVersionFromIfMatch(`"other", ${taskEtag(ID, 2)}`, ID)).toBe(2);
  });

  it('turns anything that cannot match into a version no task has', () => {
    for (const header of [`W/${taskEtag(ID, 7)}`, taskEtag('0193a1f0-0000-7def-8123-456789abcdef', 7), 'garbage', `"${ID}.0"`, `"${ID}.x"`, '""']) {
      expect(expectedVersionFromIfMatch(header, ID)).toBe(UNMATCHABLE_VERSION);
    }
  });
});
