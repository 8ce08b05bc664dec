-- Extends a live lease (a stream still running); a lease that already expired is not revived.
-- KEYS: 1 con:key  2 con:tenant  3 consumer pool   ARGV: 1 expiry_ms  2 lease_id  3 tenant_id  4 lease_ms
local n = redis.call('ZADD', KEYS[1], 'XX', 'CH', ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], 'XX', 'CH', ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], 'XX', 'CH', ARGV[1], ARGV[3] .. '|' .. ARGV[2])
local ttl = tonumber(ARGV[4]) * 2
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('PEXPIRE', KEYS[3], ttl) end
return n
