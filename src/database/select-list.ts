import { getMetadataArgsStorage } from 'typeorm';

const PLAIN_IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/**
 * The SELECT list of hand-written SQL, read from the entity: each property's column, named as the
 * entity names the property (`owner_id AS "ownerId"`). So the entity stays the one description of
 * the table: a raw row is typed `Pick<Entity, ...>` and no column name is written twice. Read from
 * the decorators, not from a DataSource, so it also serves code without one (the benchmark's
 * baseline); the column name is the one TypeORM's default naming strategy gives, which ours is.
 * With `alias`, every column is qualified by it (`t.owner_id AS "ownerId"`), for joins.
 */
export function selectList<T>(entity: abstract new () => T, properties: ReadonlyArray<keyof T & string>, alias?: string): string {
  const qualify = alias === undefined ? '' : `${alias}.`;
  const columns = getMetadataArgsStorage().columns.filter((column) => column.target === entity);
  return properties
    .map((property) => {
      const column = columns.find((candidate) => candidate.propertyName === property);
      if (column === undefined) throw new Error(`${entity.name}.${property} is not a column`);
      const name = column.options.name ?? property;
      const quoted = PLAIN_IDENTIFIER.test(name) ? name : `"${name}"`;
      return name === property ? `${qualify}${quoted}` : `${qualify}${quoted} AS "${property}"`;
    })
    .join(', ');
}
