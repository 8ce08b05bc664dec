-- Ends a lease and reconciles the token reservation with the real usage.
-- KEYS: 1 con:key  2 con:tenant  3 consumer pool  4 tpm:key  5 tpm:tenant
-- ARGV: 1 now_ms  2 lease_id  3 tenant_id  4 refund (reserved - used; negative when more was used)  5 tpm_key  6 tpm_tenant
local now = tonumber(ARGV[1])
local refund = tonumber(ARGV[4])
local removed = redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[3] .. '|' .. ARGV[2])
local function reconcile(key, cap)
  local state = redis.call('HMGET', key, 'l', 't')
  local level = cap
  if state[1] then
    level = math.min(cap, tonumber(state[1]) + (now - tonumber(state[2])) * cap / 60000)
  end
  redis.call('HSET', key, 'l', math.min(cap, level + refund), 't', now)
  redis.call('PEXPIRE', key, 120000)
end
if refund ~= 0 then
  reconcile(KEYS[4], tonumber(ARGV[5]))
  reconcile(KEYS[5], tonumber(ARGV[6]))
end
return removed
