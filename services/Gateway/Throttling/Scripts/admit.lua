-- Admits one request against every limit at once, or none: N gateway replicas share one truth.
-- KEYS: 1 rpm:key  2 rpm:tenant  3 tpm:key  4 tpm:tenant  5 con:key  6 con:tenant  7 consumer pool  8 sessions:tenant
--       9 consumer demand (tenants refused by the pool recently, i.e. waiting)  10 consumer weights (tenant → plan weight)
-- ARGV: 1 now_ms  2 lease_id  3 tenant_id
--       4 rpm_key  5 rpm_tenant  6 tpm_key  7 tpm_tenant  8 con_key  9 con_tenant
--       10 tokens (estimate to reserve)  11 lease_ms  12 pool_limit (-1: not consumer traffic)
--       13 session_id ('' for none)  14 max_sessions  15 session_idle_ms  16 queue_weight (the tenant's plan)
-- Returns {allowed, reason, retry_ms, rpm_limit, rpm_remaining, rpm_reset_ms, tpm_limit, tpm_remaining, tpm_reset_ms}
local now = tonumber(ARGV[1])
local lease = ARGV[2]
local tenant = ARGV[3]
local tokens = tonumber(ARGV[10])
local lease_ms = tonumber(ARGV[11])
local pool_limit = tonumber(ARGV[12])
local window = 60000

-- Requests per minute: a sliding log of admissions (exact: never more than the limit in any 60 s).
local function rpm(key, limit)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local n = redis.call('ZCARD', key)
  local retry = 0
  if n >= limit then
    local nth = redis.call('ZRANGE', key, n - limit, n - limit, 'WITHSCORES')
    retry = tonumber(nth[2]) + window - now
  end
  local reset = 0
  if n > 0 then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    reset = tonumber(oldest[2]) + window - now
  end
  return n, retry, reset
end

-- Tokens per minute: a token bucket of `cap` refilled at cap per minute; reconcile may drive it negative.
local function bucket(key, cap)
  local state = redis.call('HMGET', key, 'l', 't')
  local level = cap
  if state[1] then
    level = math.min(cap, tonumber(state[1]) + (now - tonumber(state[2])) * cap / window)
  end
  return level
end

local function leases(key)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  return redis.call('ZCARD', key)
end

local rpm_limit_k = tonumber(ARGV[4])
local rpm_t_limit = tonumber(ARGV[5])
local tpm_k_cap, tpm_t_cap = tonumber(ARGV[6]), tonumber(ARGV[7])
local nk, retry_k, reset_k = rpm(KEYS[1], rpm_limit_k)
local nt, retry_t, reset_t = rpm(KEYS[2], rpm_t_limit)
local level_k = bucket(KEYS[3], tpm_k_cap)
local level_t = bucket(KEYS[4], tpm_t_cap)

-- The binding (least remaining) limit is what the x-ratelimit-* headers report.
local function report(allowed, reason, retry, taken)
  local rl, rr, rs = rpm_limit_k, rpm_limit_k - nk - taken, reset_k
  if rpm_t_limit - nt < rpm_limit_k - nk then rl, rr, rs = rpm_t_limit, rpm_t_limit - nt - taken, reset_t end
  if taken == 1 and rs == 0 then rs = window end
  local tl, tr = tpm_k_cap, level_k - taken * tokens
  if level_t < level_k then tl, tr = tpm_t_cap, level_t - taken * tokens end
  local ts = math.ceil((tl - tr) * window / tl)
  return {allowed, reason, math.ceil(retry), rl, math.max(0, rr), math.ceil(rs), tl, math.max(0, math.floor(tr)), math.max(0, ts)}
end

if nk >= rpm_limit_k then return report(0, 'requests', retry_k, 0) end
if nt >= rpm_t_limit then return report(0, 'requests', retry_t, 0) end
if tokens > 0 then
  -- The caller clamps tokens to both caps, so a wait always ends.
  if level_k < tokens then return report(0, 'tokens', (tokens - level_k) * window / tpm_k_cap, 0) end
  if level_t < tokens then return report(0, 'tokens', (tokens - level_t) * window / tpm_t_cap, 0) end
end
if leases(KEYS[5]) >= tonumber(ARGV[8]) then return report(0, 'concurrency', 1000, 0) end
if leases(KEYS[6]) >= tonumber(ARGV[9]) then return report(0, 'concurrency', 1000, 0) end

-- Open chat sessions (consumer tenants): a new session_id needs a free slot; known ones are touched.
local session = ARGV[13]
if session ~= '' then
  redis.call('ZREMRANGEBYSCORE', KEYS[8], '-inf', now)
  if not redis.call('ZSCORE', KEYS[8], session) and redis.call('ZCARD', KEYS[8]) >= tonumber(ARGV[14]) then
    local first = redis.call('ZRANGE', KEYS[8], 0, 0, 'WITHSCORES')
    return report(0, 'sessions', tonumber(first[2]) - now, 0)
  end
end

-- Consumer traffic as a whole stays within the published share, split between the consumer tenants
-- that are active now (holding a slot, or refused by the pool within the last 500 ms, i.e. waiting in
-- some replica's queue) in proportion to their plans' weights: nobody holds more than
-- limit × weight / (sum of active weights) while another tenant waits; a tenant alone may use the whole share.
if pool_limit >= 0 then
  local weight = tonumber(ARGV[16])
  redis.call('HSET', KEYS[10], tenant, weight)
  redis.call('PEXPIRE', KEYS[10], lease_ms * 2)
  redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', now)
  redis.call('ZREMRANGEBYSCORE', KEYS[9], '-inf', now)
  local members = redis.call('ZRANGE', KEYS[7], 0, -1)
  local total, mine, seen, active = #members, 0, {}, {}
  for _, m in ipairs(members) do
    local t = string.sub(m, 1, 36)
    if not seen[t] then seen[t] = true; active[#active + 1] = t end
    if t == tenant then mine = mine + 1 end
  end
  for _, t in ipairs(redis.call('ZRANGE', KEYS[9], 0, -1)) do
    if not seen[t] then seen[t] = true; active[#active + 1] = t end
  end
  local weights = weight
  if #active > 0 then
    local known = redis.call('HMGET', KEYS[10], (unpack or table.unpack)(active))
    for i, t in ipairs(active) do
      if t ~= tenant then weights = weights + (tonumber(known[i]) or 1) end
    end
  end
  local fair = math.ceil(pool_limit * weight / weights)
  if total >= pool_limit or mine >= fair then
    redis.call('ZADD', KEYS[9], now + 500, tenant)
    redis.call('PEXPIRE', KEYS[9], 1000)
    return report(0, 'pool', 1000, 0)
  end
  redis.call('ZREM', KEYS[9], tenant)
  redis.call('ZADD', KEYS[7], now + lease_ms, tenant .. '|' .. lease)
  redis.call('PEXPIRE', KEYS[7], lease_ms * 2)
end

redis.call('ZADD', KEYS[1], now, lease)
redis.call('PEXPIRE', KEYS[1], window)
redis.call('ZADD', KEYS[2], now, lease)
redis.call('PEXPIRE', KEYS[2], window)
if tokens > 0 then
  redis.call('HSET', KEYS[3], 'l', level_k - tokens, 't', now)
  redis.call('PEXPIRE', KEYS[3], window * 2)
  redis.call('HSET', KEYS[4], 'l', level_t - tokens, 't', now)
  redis.call('PEXPIRE', KEYS[4], window * 2)
end
redis.call('ZADD', KEYS[5], now + lease_ms, lease)
redis.call('PEXPIRE', KEYS[5], lease_ms * 2)
redis.call('ZADD', KEYS[6], now + lease_ms, lease)
redis.call('PEXPIRE', KEYS[6], lease_ms * 2)
if session ~= '' then
  redis.call('ZADD', KEYS[8], now + tonumber(ARGV[15]), session)
  redis.call('PEXPIRE', KEYS[8], tonumber(ARGV[15]) * 2)
end
return report(1, 'ok', 0, 1)
