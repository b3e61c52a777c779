-- Admits one request for a key, or says which limit refuses it. Atomic.
-- KEYS[1]: the key's window (a sorted set of "id:tokens" scored by admission time, ms)
-- KEYS[2]: the window's token total (the sum of its entries' tokens, kept beside it so that
--          admitting costs the same however full the window is)
-- KEYS[3..]: spend counters that must stay below their caps
-- ARGV: rpm (0: none), tpm (0: none), tokens, id, window_ms, then one cap per spend counter
-- Returns {"ok"} | {"spend", index (0-based), spent} | {"requests", limit, 0, retry_ms}
--       | {"tokens", limit, remaining, retry_ms}
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local rpm, tpm, tokens = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local id, window = ARGV[4], tonumber(ARGV[5])
for i = 3, #KEYS do
  local spent = tonumber(redis.call('GET', KEYS[i]) or '0')
  if spent >= tonumber(ARGV[3 + i]) then
    return {'spend', i - 3, spent}
  end
end
local function tokens_of(entry)
  return tonumber(string.match(entry, ':(%d+)$'))
end
local function sum(entries)
  local total = 0
  for _, entry in ipairs(entries) do
    total = total + tokens_of(entry)
  end
  return total
end
-- Entries leave the window once each: their tokens leave the total with them.
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - window)
if #gone > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
end
local count = redis.call('ZCARD', KEYS[1])
local stored = redis.call('GET', KEYS[2])
local used
if count == 0 then
  used = 0
  redis.call('DEL', KEYS[2])
elseif stored then
  used = tonumber(stored) - sum(gone)
else
  -- A window without its total (written before totals were kept): counted once.
  used = sum(redis.call('ZRANGE', KEYS[1], 0, -1))
end
if count > 0 and (#gone > 0 or not stored) then
  -- The total lives exactly as long as its window.
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then
    redis.call('SET', KEYS[2], string.format('%d', used), 'PX', ttl)
  else
    redis.call('SET', KEYS[2], string.format('%d', used))
  end
end
if rpm > 0 and count >= rpm then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {'requests', rpm, 0, tonumber(oldest[2]) + window - now}
end
if tpm > 0 and used + tokens > tpm then
  local need, freed, retry = used + tokens - tpm, 0, window
  local entries = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
  for j = 1, #entries, 2 do
    freed = freed + tokens_of(entries[j])
    if freed >= need then
      retry = tonumber(entries[j + 1]) + window - now
      break
    end
  end
  local remaining = tpm - used
  if remaining < 0 then remaining = 0 end
  return {'tokens', tpm, remaining, retry}
end
redis.call('ZADD', KEYS[1], now, id .. ':' .. tokens)
redis.call('PEXPIRE', KEYS[1], window + 1000)
redis.call('SET', KEYS[2], string.format('%d', used + tokens), 'PX', window + 1000)
return {'ok'}
