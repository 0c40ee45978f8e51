/**
 * How the production image runs Node: the Dockerfile sets exactly these (test/deploy/
 * runtime-env.spec.ts checks it), and `npm run bench` starts Taskwright with them, so the
 * benchmark measures what ships. Measured with `npm run bench` (README, Performance):
 *
 * - `--max-old-space-size=160`: V8 otherwise lets the old generation grow lazily towards its
 *   default limit (a quarter of the machine's memory); capped, it collects sooner instead, at
 *   no measurable cost in req/s. Taskwright's heap stays far below it: request bodies are
 *   capped at 100 KiB and the in-process cache at CACHE_MEMORY_MAX_MB (32).
 * - `MALLOC_ARENA_MAX=2`: glibc otherwise gives each libuv worker thread (argon2 hashing) its
 *   own malloc arena, each keeping what it once held.
 * - `MALLOC_MMAP_THRESHOLD_=131072`: a fixed threshold, so argon2's 19 MiB blocks are always
 *   mmapped and returned to the system when freed; the dynamic default raises the threshold
 *   after the first free and then keeps such blocks in the heap for good.
 */
export const PRODUCTION_RUNTIME_ENV: Readonly<Record<string, string>> = {
  NODE_OPTIONS: '--max-old-space-size=160',
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
};
