// The Redis side of the rate-limit counters, in a file of their own (no framework imports) so the
// benchmark's bare baseline server runs exactly this script too.

/**
 * One round trip, atomically: while the block key lives the request is refused without counting;
 * otherwise the hit is counted in a fixed window (INCR, PEXPIRE on the first hit), and going over
 * the limit starts a block of `blockDuration` and a fresh window after it.
 * KEYS: hits, block. ARGV: ttl ms, limit, block ms. Returns { hits, window ms left, block ms left }.
 */
export const INCREMENT_SCRIPT = `
local blockTtl = redis.call('PTTL', KEYS[2])
if blockTtl > 0 then
  return { tonumber(ARGV[2]) + 1, blockTtl, blockTtl }
end
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  redis.call('DEL', KEYS[1])
  return { hits, tonumber(ARGV[3]), tonumber(ARGV[3]) }
end
return { hits, ttl, 0 }
`;

/** One hit given back, never below zero, and only while the window lives (KEYS: hits). */
export const REFUND_SCRIPT = `
local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
if hits > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0
`;
