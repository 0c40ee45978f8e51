import { isUuid } from './uuid';

const ID = '0193a1f0-7b8c-7def-8123-456789abcdef';

describe('isUuid, the check of every id that arrives from outside', () => {
  it.each([
    ['a UUIDv7', ID],
    ['the same id in upper case (PostgreSQL reads either)', ID.toUpperCase()],
    ['a UUIDv4', '3f2b8c1e-9d4a-4b6e-8f1a-2c3d4e5f6a7b'],
    ['the nil UUID', '00000000-0000-0000-0000-000000000000'],
  ])('accepts %s', (_what, value) => {
    expect(isUuid(value)).toBe(true);
  });

  it.each([
    ['an id with a prefix', `0${ID}`],
    ['an id with a suffix', `${ID}0`],
    ['an id inside other text', `x ${ID} x`],
    ['an id on a second line', `x\n${ID}`],
    ['an id followed by a new line', `${ID}\n`],
    ['an id without its dashes', ID.replaceAll('-', '')],
    ['an id with a non-hex digit', `g${ID.slice(1)}`],
    ['an id one digit short', ID.slice(1)],
    ['the empty string', ''],
    ['SQL', "x' OR 1=1"],
  ])('refuses %s', (_what, value) => {
    expect(isUuid(value)).toBe(false);
  });

  it.each([
    ['a number', 7],
    ['null', null],
    ['undefined', undefined],
    ['an array holding an id', [ID]],
    ['an object', { id: ID }],
  ])('refuses %s (not a string)', (_what, value) => {
    expect(isUuid(value)).toBe(false);
  });
});
