-- Removes a developer key: its record by name and by hash. Atomic.
-- KEYS[1]: the hash of keys by name; ARGV[1]: the name; ARGV[2]: the prefix of records by hash
local record = redis.call('HGET', KEYS[1], ARGV[1])
if not record then
  return 0
end
local hash = cjson.decode(record)['hash']
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('DEL', ARGV[2] .. hash)
return 1
