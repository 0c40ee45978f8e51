// @ts-check
/**
 * Mutation testing (issue 18): `npm run test:mutation`. The unit specs only (the e2e specs boot
 * PostgreSQL and take minutes), over the modules that decide who sees what and what is stored.
 * Incremental: the committed incremental file lets a run re-mutate only what changed since it was
 * written; `npm run test:mutation:full` ignores it. test/mutation/check-scores.mjs then holds every
 * listed file to 90 %.
 */

/** The one list of files under mutation (check-scores.mjs reads it from here too). */
export const MUTATED_FILES = [
  'src/common/cache/user-cache.service.ts',
  'src/common/cache/http-caching.interceptor.ts',
  'src/common/cache/user-cache-invalidation.interceptor.ts',
  'src/tasks/task-cursor.ts',
  'src/users/user-cursor.ts',
  'src/common/cursor/signed-token.ts',
  'src/tasks/changes/change-token.ts',
  'src/common/http/etag.ts',
  'src/tasks/task-etag.ts',
  'src/common/idempotency/idempotency.service.ts',
  'src/common/idempotency/idempotency-key.decorator.ts',
  'src/common/idempotency/canonical-json.ts',
  'src/common/uuid.ts',
  'src/auth/rate-limit/rate-limit-keys.ts',
  'src/auth/rate-limit/fixed-window-counters.ts',
  'src/auth/rate-limit/redis-throttler.storage.ts',
  'src/auth/rate-limit/login-failure-limit.interceptor.ts',
  'src/users/canonical-email.ts',
  'src/sessions/refresh-token.ts',
  'src/sessions/access-token.service.ts',
  'src/common/problem/problem-details.filter.ts',
  'src/tasks/access/task-access.policy.ts',
];

/** The score every listed file must reach (check-scores.mjs); Stryker's own break applies to the total. */
export const MIN_FILE_SCORE = 90;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  mutate: MUTATED_FILES,
  testRunner: 'jest',
  jest: { projectType: 'custom', configFile: 'test/mutation/jest.config.js' },
  coverageAnalysis: 'perTest',
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  incremental: true,
  incrementalFile: 'test/mutation/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 95, low: MIN_FILE_SCORE, break: MIN_FILE_SCORE },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  timeoutMS: 10000,
};
