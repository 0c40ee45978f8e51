import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const running = (globalThis as { __EMBEDDED_PG__?: { stop(): Promise<void>; root: string } }).__EMBEDDED_PG__;
  if (!running) return;
  await running.stop();
  rmSync(running.root, { recursive: true, force: true });
}
