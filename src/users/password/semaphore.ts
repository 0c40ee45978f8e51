/**
 * Bounds how many async jobs run at once; the rest wait in FIFO order. Password hashing uses it so
 * a burst of logins queues here instead of filling libuv's thread pool (which file I/O and DNS
 * also need) and allocating ARGON2_MEMORY_KIB per concurrent hash.
 */
export class Semaphore {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  /** Jobs started and not yet settled. */
  get active(): number {
    return this.running;
  }

  /** Jobs waiting for a free slot. */
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await job();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.capacity) {
      this.running += 1;
      return Promise.resolve();
    }
    // The slot is handed over by release(), so `running` stays counted for the waiter.
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running -= 1;
  }
}
