/**
 * Specs that need something the machine may lack (Redis, Chromium, root) are skipped with a
 * reason instead of failing: the reason goes into the title, and test/setup/skipped-reporter.js
 * lists every such spec at the end of the run, so `npm test` says what it did not prove and why.
 */
const marker = (reason: string): string => ` [skipped: ${reason}]`;

/** `describe` when `condition` holds; otherwise a skipped block whose title carries `reason`. */
export function describeIf(condition: boolean, reason: string): (title: string, body: () => void) => void {
  return condition ? describe : (title, body) => describe.skip(title + marker(reason), body);
}

/** `it` when `condition` holds; otherwise a skipped test whose title carries `reason`. */
export function itIf(condition: boolean, reason: string): (title: string, body: () => Promise<void>, timeout?: number) => void {
  return condition ? it : (title, body, timeout) => it.skip(title + marker(reason), body, timeout);
}
