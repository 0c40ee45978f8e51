import { Column, Entity, PrimaryColumn } from 'typeorm';
import { selectList } from './select-list';

@Entity('widgets')
class Widget {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId: string;

  @Column({ name: 'Display Name', type: 'text' })
  displayName: string;

  @Column({ type: 'integer' })
  count: number;

  /** Not a column: a property TypeORM knows nothing about. */
  note?: string;
}

describe('selectList', () => {
  it('names each column as the entity names its property, in the order asked', () => {
    expect(selectList(Widget, ['ownerId', 'id', 'count'])).toBe('owner_id AS "ownerId", id, count');
  });

  it('quotes a column name that is not a plain lower-case identifier', () => {
    expect(selectList(Widget, ['displayName'])).toBe('"Display Name" AS "displayName"');
  });

  it('refuses a property that is not a column, instead of writing SQL that fails later', () => {
    expect(() => selectList(Widget, ['note'])).toThrow('Widget.note is not a column');
  });
});
