/** Every TypeORM entity, listed once for the app and the TypeORM CLI. */
export const entities: Function[] = [];
