/**
 * Every migration, in order. A generated migration is added here by hand after review, so the
 * app, the CLI and the tests all run exactly the same list.
 */
export const migrations: Function[] = [];
