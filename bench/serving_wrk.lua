-- wrk script of the serving benchmark: POSTs applicant bodies (one JSON per line of the file given after --),
-- counts responses by status, writes the request id of every 200 answer to the file named by $WRK_IDS, and prints
-- one JSON summary line at the end.
local bodies = {}
local next_body = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    table.insert(bodies, line)
  end
  statuses = {}
  ids = {}
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[next_body])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 200 then
    ids[#ids + 1] = string.match(body, '"request_id":"([^"]+)"')
  end
end

function done(summary, latency, requests)
  local totals = {}
  local out = io.open(os.getenv("WRK_IDS") or "/dev/null", "w")
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + n
    end
    for _, id in ipairs(thread:get("ids")) do
      out:write(id, "\n")
    end
  end
  out:close()
  local counts = {}
  for status, n in pairs(totals) do
    counts[#counts + 1] = string.format('"%d": %d', status, n)
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"socket_errors": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, e.connect + e.read + e.write + e.timeout, table.concat(counts, ", ")))
end
