-- Settles one request: its window entry takes the real token count (and the window's total
-- with it), and its usage and cost are added to the key's counters. Atomic.
-- KEYS[1]: the key's window; KEYS[2]: the window's token total; KEYS[3]: the key's usage
-- hash; KEYS[4..]: spend counters
-- ARGV: reserved entry, settled entry, input tokens, output tokens, cost (micro-dollars),
--       cache-read tokens, then one lifetime (seconds) per spend counter
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and ARGV[1] ~= ARGV[2] then
  -- Added before the old entry goes, so that the window is never empty: an emptied sorted
  -- set is deleted, and would come back without its lifetime.
  redis.call('ZADD', KEYS[1], score, ARGV[2])
  redis.call('ZREM', KEYS[1], ARGV[1])
  -- Without a total (a window from before totals were kept), the next reserve counts it.
  if redis.call('EXISTS', KEYS[2]) == 1 then
    local reserved = tonumber(string.match(ARGV[1], ':(%d+)$'))
    local used = tonumber(string.match(ARGV[2], ':(%d+)$'))
    redis.call('INCRBY', KEYS[2], string.format('%d', used - reserved))
  end
end
redis.call('HINCRBY', KEYS[3], 'requests', 1)
redis.call('HINCRBY', KEYS[3], 'input_tokens', ARGV[3])
redis.call('HINCRBY', KEYS[3], 'output_tokens', ARGV[4])
redis.call('HINCRBY', KEYS[3], 'cost_micros', ARGV[5])
redis.call('HINCRBY', KEYS[3], 'cache_read_tokens', ARGV[6])
for i = 4, #KEYS do
  redis.call('INCRBY', KEYS[i], ARGV[5])
  redis.call('EXPIRE', KEYS[i], ARGV[3 + i])
end
return 1
