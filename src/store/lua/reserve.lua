-- Admits one request for a key, or says which limit refuses it. Atomic.
-- KEYS[1]: the key's window (a sorted set of "id:tokens" scored by admission time, ms)
-- KEYS[2..]: spend counters that must stay below their caps
-- ARGV: rpm (0: none), tpm (0: none), tokens, id, window_ms, then one cap per spend counter
-- Returns {"ok"} | {"spend", index (0-based), spent} | {"requests", limit, 0, retry_ms}
--       | {"tokens", limit, remaining, retry_ms}
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local rpm, tpm, tokens = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local id, window = ARGV[4], tonumber(ARGV[5])
for i = 2, #KEYS do
  local spent = tonumber(redis.call('GET', KEYS[i]) or '0')
  if spent >= tonumber(ARGV[4 + i]) then
    return {'spend', i - 2, spent}
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local entries = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local count = #entries / 2
if rpm > 0 and count >= rpm then
  return {'requests', rpm, 0, tonumber(entries[2]) + window - now}
end
if tpm > 0 then
  local used = 0
  for j = 1, #entries, 2 do
    used = used + tonumber(string.match(entries[j], ':(%d+)$'))
  end
  if used + tokens > tpm then
    local need, freed, retry = used + tokens - tpm, 0, window
    for j = 1, #entries, 2 do
      freed = freed + tonumber(string.match(entries[j], ':(%d+)$'))
      if freed >= need then
        retry = tonumber(entries[j + 1]) + window - now
        break
      end
    end
    local remaining = tpm - used
    if remaining < 0 then remaining = 0 end
    return {'tokens', tpm, remaining, retry}
  end
end
redis.call('ZADD', KEYS[1], now, id .. ':' .. tokens)
redis.call('PEXPIRE', KEYS[1], window + 1000)
return {'ok'}
