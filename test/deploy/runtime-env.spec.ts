import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PRODUCTION_RUNTIME_ENV } from '../../deploy/runtime-env';
import { ROOT } from './config-vars';

/** `ENV` instructions of the runtime stage (the last FROM), continuation lines joined. */
function runtimeStageEnv(dockerfile: string): Map<string, string> {
  const stages = dockerfile.replace(/\\\n/g, ' ').split(/^FROM\s/m);
  const runtime = stages[stages.length - 1] ?? '';
  const env = new Map<string, string>();
  for (const line of runtime.split('\n')) {
    const instruction = /^ENV\s+(.*)$/.exec(line.trim());
    if (!instruction?.[1]) continue;
    for (const pair of instruction[1].matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) {
      env.set(pair[1] ?? '', (pair[2] ?? '').replace(/^"(.*)"$/, '$1'));
    }
  }
  return env;
}

describe('the runtime settings the benchmark measures are the ones the image ships', () => {
  it('sets every PRODUCTION_RUNTIME_ENV variable in the Dockerfile’s runtime stage, with the same value', () => {
    const env = runtimeStageEnv(readFileSync(resolve(ROOT, 'Dockerfile'), 'utf8'));
    expect(env.get('NODE_ENV')).toBe('production');
    for (const [name, value] of Object.entries(PRODUCTION_RUNTIME_ENV)) expect([name, env.get(name)]).toEqual([name, value]);
  });

  it('is read by the benchmark when it starts Taskwright', () => {
    expect(readFileSync(resolve(ROOT, 'bench/run.ts'), 'utf8')).toMatch(/PRODUCTION_RUNTIME_ENV/);
  });
});
