import { Accounts1763780000000 } from './1763780000000-accounts';
import { Tasks1763790000000 } from './1763790000000-tasks';
import { CanonicalEmails1764900000000 } from './1764900000000-canonical-emails';
import { SpentRefreshSecrets1764910000000 } from './1764910000000-spent-refresh-secrets';
import { IdempotentResponseJson1764920000000 } from './1764920000000-idempotent-response-json';
import { TaskShares1764930000000 } from './1764930000000-task-shares';
import { AccountRecovery1765000000000 } from './1765000000000-account-recovery';

/**
 * Every migration, in order. A generated migration is added here by hand after review, so the
 * app, the CLI and the tests all run exactly the same list.
 */
export const migrations: Function[] = [
  Accounts1763780000000,
  Tasks1763790000000,
  CanonicalEmails1764900000000,
  SpentRefreshSecrets1764910000000,
  IdempotentResponseJson1764920000000,
  TaskShares1764930000000,
  AccountRecovery1765000000000,
];
