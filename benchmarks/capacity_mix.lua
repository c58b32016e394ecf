-- The capacity benchmark's mixed load for wrk (benchmarks/bench_capacity.py runs it):
--   wrk -t2 -cN -dS -s capacity_mix.lua URL -- KEY1,KEY2,... flood|honour
-- Each thread cycles through GET /v1/health, GET /v1/portfolios, GET /v1/optimizations?limit=20
-- and POST /v1/monte-carlo/analyze, the API key moving to the next owner after each round.
-- `flood`: a connection sends its next request as soon as the last is answered, whatever it was.
-- `honour`: after a 503 or 429 with Retry-After, the thread's next request waits that long (at
-- most 1 s). wrk's script state is per thread, not per connection, so the wait goes to the next
-- request the thread sends on any of its connections: the number and length of the waits are
-- those of clients that honour Retry-After, not always on the connection that was refused.
-- At the end it prints one line: STRATIGOS_WRK {json} with the counts of all threads.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local mix = {
  { "GET", "/v1/health", nil },
  { "GET", "/v1/portfolios", nil },
  { "GET", "/v1/optimizations?limit=20", nil },
  {
    "POST",
    "/v1/monte-carlo/analyze",
    '{"assets": ["AAPL", "JNJ", "KO", "XOM"], "n_paths": 200, "horizon_days": 126, '
      .. '"scenarios": ["bear", "base"]}',
  },
}
local keys = {}
local honour = false
local turn = 0
local waits = {}

admitted = 0
shed = 0
throttled = 0
other = 0

function init(args)
  for key in string.gmatch(args[1] or "", "[^,]+") do
    table.insert(keys, key)
  end
  honour = args[2] == "honour"
end

function request()
  turn = turn + 1
  local entry = mix[(turn % #mix) + 1]
  local key = keys[(math.floor(turn / #mix) % #keys) + 1]
  local headers = { ["x-api-key"] = key }
  if entry[3] then
    headers["Content-Type"] = "application/json"
  end
  return wrk.format(entry[1], entry[2], headers, entry[3])
end

local function retry_after(headers)
  return headers["retry-after"] or headers["Retry-After"]
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    admitted = admitted + 1
  elseif (status == 503 or status == 429) and retry_after(headers) then
    if status == 503 then
      shed = shed + 1
    else
      throttled = throttled + 1
    end
    if honour then
      table.insert(waits, math.min(1000, 1000 * tonumber(retry_after(headers))))
    end
  else
    other = other + 1
  end
end

function delay()
  if #waits > 0 then
    return table.remove(waits, 1)
  end
  return 0
end

function done(summary, latency, requests)
  local totals = { admitted = 0, shed = 0, throttled = 0, other = 0 }
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + thread:get(name)
    end
  end
  local errors = summary.errors
  io.write(string.format(
    'STRATIGOS_WRK {"admitted": %d, "shed": %d, "throttled": %d, "other": %d, '
      .. '"requests": %d, "seconds": %f, "connect_errors": %d, "read_errors": %d, '
      .. '"write_errors": %d, "timeouts": %d, "p50_ms": %f, "p95_ms": %f, "p99_ms": %f}\n',
    totals.admitted, totals.shed, totals.throttled, totals.other, summary.requests,
    summary.duration / 1e6, errors.connect, errors.read, errors.write, errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000
  ))
end
