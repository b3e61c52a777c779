-- Settles one request: its window entry takes the real token count, and its usage and cost
-- are added to the key's counters. Atomic.
-- KEYS[1]: the key's window; KEYS[2]: the key's usage hash; KEYS[3..]: spend counters
-- ARGV: reserved entry, settled entry, input tokens, output tokens, cost (micro-dollars),
--       cache-read tokens, then one lifetime (seconds) per spend counter
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('ZADD', KEYS[1], score, ARGV[2])
end
redis.call('HINCRBY', KEYS[2], 'requests', 1)
redis.call('HINCRBY', KEYS[2], 'input_tokens', ARGV[3])
redis.call('HINCRBY', KEYS[2], 'output_tokens', ARGV[4])
redis.call('HINCRBY', KEYS[2], 'cost_micros', ARGV[5])
redis.call('HINCRBY', KEYS[2], 'cache_read_tokens', ARGV[6])
for i = 3, #KEYS do
  redis.call('INCRBY', KEYS[i], ARGV[5])
  redis.call('EXPIRE', KEYS[i], ARGV[4 + i])
end
return 1
