/**
 * A Jest reporter: after the run, lists the specs skipped for a reason (test/helpers/skip.ts puts
 * `[skipped: <reason>]` into their titles), grouped by reason. Tests left out by -t or by a
 * plain it.skip are not listed: they carry no reason.
 */
const MARKER = / \[skipped: (.+)\]$/;

class SkippedReporter {
  onRunComplete(_contexts, results) {
    const byReason = new Map();
    for (const file of results.testResults) {
      for (const test of file.testResults) {
        if (test.status !== 'pending' && test.status !== 'skipped') continue;
        const reason = [...test.ancestorTitles, test.title].map((title) => MARKER.exec(title)?.[1]).find(Boolean);
        if (reason === undefined) continue;
        const name = file.testFilePath.replace(`${process.cwd()}/`, '');
        const list = byReason.get(reason) ?? new Map();
        list.set(name, (list.get(name) ?? 0) + 1);
        byReason.set(reason, list);
      }
    }
    if (byReason.size === 0) return;
    const lines = ['', 'Skipped, and why:'];
    for (const [reason, files] of byReason) {
      lines.push(`  ${reason}:`);
      for (const [name, count] of files) lines.push(`    ${name} (${count} test${count === 1 ? '' : 's'})`);
    }
    process.stderr.write(`${lines.join('\n')}\n`);
  }
}

module.exports = SkippedReporter;
