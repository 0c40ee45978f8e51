#!/usr/bin/env node
/**
 * Holds each mutated file to its own score: Stryker's `thresholds.break` judges the total only, so a
 * weak file could hide behind strong ones. Reads Stryker's JSON report, prints one row per listed
 * file and exits 1 when any is below MIN_FILE_SCORE (or missing from the report).
 * Usage: node test/mutation/check-scores.mjs [report.json]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MIN_FILE_SCORE, MUTATED_FILES } from '../../stryker.config.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const reportPath = path.resolve(root, process.argv[2] ?? 'reports/mutation/mutation.json');

/** Stryker's definition: detected (killed, timed out) over valid (detected, survived, no coverage). */
function tally(mutants) {
  const count = (status) => mutants.filter((mutant) => mutant.status === status).length;
  const killed = count('Killed');
  const survived = count('Survived');
  const timeout = count('Timeout');
  const noCoverage = count('NoCoverage');
  const valid = killed + survived + timeout + noCoverage;
  return { killed, survived, timeout, noCoverage, score: valid === 0 ? 100 : ((killed + timeout) / valid) * 100 };
}

let report;
try {
  report = JSON.parse(readFileSync(reportPath, 'utf8'));
} catch (error) {
  console.error(`cannot read the mutation report ${reportPath}: ${error.message}`);
  process.exit(1);
}
const files = new Map(Object.entries(report.files ?? {}).map(([name, file]) => [path.relative(root, path.resolve(root, name)), file]));

const rows = [];
const failures = [];
for (const name of MUTATED_FILES) {
  const file = files.get(name);
  if (file === undefined) {
    failures.push(`${name}: not in the report`);
    continue;
  }
  const row = { name, ...tally(file.mutants) };
  rows.push(row);
  if (row.score < MIN_FILE_SCORE) failures.push(`${name}: ${row.score.toFixed(1)} % < ${MIN_FILE_SCORE} %`);
}

const total = tally(rows.length === 0 ? [] : MUTATED_FILES.flatMap((name) => files.get(name)?.mutants ?? []));
const line = (cells) => `| ${cells.join(' | ')} |`;
console.log(line(['File', 'Killed', 'Survived', 'Timeout', 'No coverage', 'Score']));
console.log(line(['---', '---:', '---:', '---:', '---:', '---:']));
for (const row of [...rows, { name: '**Total**', ...total }]) {
  console.log(line([row.name, row.killed, row.survived, row.timeout, row.noCoverage, `${row.score.toFixed(1)} %`]));
}
if (failures.length > 0) {
  console.error(`\nBelow the per-file minimum of ${MIN_FILE_SCORE} %:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log(`\nEvery listed file scores at least ${MIN_FILE_SCORE} %.`);
