-- Adds a developer key unless its name is taken. Atomic.
-- KEYS[1]: the hash of keys by name; KEYS[2]: the key's record by its hash
-- ARGV[1]: the name; ARGV[2]: the record (JSON)
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return 0
end
redis.call('SET', KEYS[2], ARGV[2])
return 1
