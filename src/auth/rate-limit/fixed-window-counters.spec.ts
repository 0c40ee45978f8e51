import { FixedWindowCounters } from './fixed-window-counters';

describe('FixedWindowCounters (the in-process twin of the Redis rate-limit script)', () => {
  let now = 1_000_000;
  const clock = () => now;
  let counters: FixedWindowCounters;
  beforeEach(() => {
    now = 1_000_000;
    counters = new FixedWindowCounters(1000, clock);
  });
  afterEach(() => counters.stop());

  it('counts hits in a window that starts at the first hit, then starts a fresh one', () => {
    expect(counters.hit('k', 60_000, 3, 60_000)).toEqual([1, 60_000, 0]);
    now += 20_000;
    expect(counters.hit('k', 60_000, 3, 60_000)).toEqual([2, 40_000, 0]);
    now += 40_000;
    expect(counters.hit('k', 60_000, 3, 60_000)).toEqual([1, 60_000, 0]);
  });

  it('blocks at the hit that passes the limit, refuses without counting during the block, then starts over', () => {
    for (let i = 1; i <= 2; i += 1) expect(counters.hit('k', 60_000, 2, 30_000)[0]).toBe(i);
    expect(counters.hit('k', 60_000, 2, 30_000)).toEqual([3, 30_000, 30_000]);
    now += 10_000;
    for (let i = 0; i < 5; i += 1) expect(counters.hit('k', 60_000, 2, 30_000)).toEqual([3, 20_000, 20_000]);
    now += 20_000;
    expect(counters.hit('k', 60_000, 2, 30_000)).toEqual([1, 60_000, 0]);
  });

  it('gives back a hit of the current window, never below zero, and never shortens a block', () => {
    counters.hit('k', 60_000, 2, 30_000);
    counters.hit('k', 60_000, 2, 30_000);
    counters.refund('k');
    expect(counters.hit('k', 60_000, 2, 30_000)).toEqual([2, 60_000, 0]);
    counters.refund('k');
    counters.refund('k');
    counters.refund('k');
    expect(counters.hit('k', 60_000, 2, 30_000)).toEqual([1, 60_000, 0]);
    counters.hit('k', 60_000, 2, 30_000);
    expect(counters.hit('k', 60_000, 2, 30_000)[2]).toBe(30_000);
    counters.refund('k');
    expect(counters.hit('k', 60_000, 2, 30_000)).toEqual([3, 30_000, 30_000]);
    counters.refund('absent');
    expect(counters.hit('absent', 60_000, 2, 30_000)).toEqual([1, 60_000, 0]);
  });

  it('keeps keys apart', () => {
    counters.hit('a', 60_000, 1, 60_000);
    expect(counters.hit('a', 60_000, 1, 60_000)[2]).toBe(60_000);
    expect(counters.hit('b', 60_000, 1, 60_000)).toEqual([1, 60_000, 0]);
  });

  it('stays within its key budget: expired keys go first, then the oldest', () => {
    const small = new FixedWindowCounters(10, clock);
    try {
      for (let i = 0; i < 5; i += 1) small.hit(`short-${i}`, 1_000, 100, 1_000);
      for (let i = 0; i < 5; i += 1) small.hit(`long-${i}`, 60_000, 100, 60_000);
      now += 2_000;
      small.hit('new', 60_000, 100, 60_000);
      expect(small.size).toBe(6);
      // Every long-lived key survived the short ones' expiry: still counting.
      expect(small.hit('long-0', 60_000, 100, 60_000)[0]).toBe(2);
      for (let i = 0; i < 20; i += 1) small.hit(`flood-${i}`, 60_000, 100, 60_000);
      expect(small.size).toBeLessThanOrEqual(10);
      expect(small.hit('flood-19', 60_000, 100, 60_000)[0]).toBe(2);
    } finally {
      small.stop();
    }
  });

  it('ends a window exactly ttl after its first hit', () => {
    expect(counters.hit('k', 60_000, 3, 60_000)).toEqual([1, 60_000, 0]);
    now += 59_999;
    expect(counters.hit('k', 60_000, 3, 60_000)).toEqual([2, 1, 0]);
    now += 1;
    expect(counters.hit('k', 60_000, 3, 60_000)).toEqual([1, 60_000, 0]);
    counters.hit('b', 60_000, 1, 5_000);
    expect(counters.hit('b', 60_000, 1, 5_000)).toEqual([2, 5_000, 5_000]);
    now += 5_000;
    expect(counters.hit('b', 60_000, 1, 5_000)).toEqual([1, 60_000, 0]);
  });

  it('on overflow drops only the oldest tenth of the keys, never every counter or the newer blocks', () => {
    const small = new FixedWindowCounters(10, clock);
    try {
      for (let i = 0; i < 9; i += 1) small.hit(`key-${i}`, 60_000, 100, 60_000);
      small.hit('blocked', 60_000, 1, 60_000);
      expect(small.hit('blocked', 60_000, 1, 60_000)[2]).toBe(60_000);
      expect(small.size).toBe(10);
      small.hit('newest', 60_000, 100, 60_000);
      expect(small.size).toBe(9);
      expect(small.hit('blocked', 60_000, 1, 60_000)).toEqual([2, 60_000, 60_000]);
      for (let i = 2; i < 9; i += 1) expect(small.hit(`key-${i}`, 60_000, 100, 60_000)[0]).toBe(2);
      expect(small.hit('newest', 60_000, 100, 60_000)[0]).toBe(2);
      expect(small.hit('key-0', 60_000, 100, 60_000)[0]).toBe(1);
    } finally {
      small.stop();
    }
  });

  it('drops nothing live on overflow when sweeping the expired keys made room', () => {
    const small = new FixedWindowCounters(10, clock);
    try {
      small.hit('short', 1_000, 100, 1_000);
      for (let i = 0; i < 9; i += 1) small.hit(`key-${i}`, 60_000, 100, 60_000);
      now += 1_000;
      small.hit('newest', 60_000, 100, 60_000);
      expect(small.size).toBe(10);
      for (let i = 0; i < 9; i += 1) expect(small.hit(`key-${i}`, 60_000, 100, 60_000)[0]).toBe(2);
    } finally {
      small.stop();
    }
  });

  it('never keeps the process alive with its sweeper', () => {
    const setInterval = jest.spyOn(global, 'setInterval');
    const unkept = new FixedWindowCounters(10, clock, 5_000);
    try {
      const timer = setInterval.mock.results[0]?.value as NodeJS.Timeout;
      expect(timer.hasRef()).toBe(false);
    } finally {
      unkept.stop();
      setInterval.mockRestore();
    }
  });

  it('sweeps expired keys by itself, until stopped', () => {
    jest.useFakeTimers();
    try {
      const swept = new FixedWindowCounters(1000, clock, 5_000);
      swept.hit('k', 1_000, 10, 1_000);
      swept.hit('live', 60_000, 10, 60_000);
      now += 1_000;
      jest.advanceTimersByTime(4_999);
      expect(swept.size).toBe(2);
      jest.advanceTimersByTime(1);
      expect(swept.size).toBe(1);
      swept.stop();
      now += 60_000;
      jest.advanceTimersByTime(60_000);
      expect(swept.size).toBe(1);
    } finally {
      jest.useRealTimers();
    }
  });
});
