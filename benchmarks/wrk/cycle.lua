-- wrk script for benchmarks/serve.py: cycle through a file of GET requests and report as JSON.
--
-- Usage: wrk -t2 -c16 -d60s --latency -s benchmarks/wrk/cycle.lua http://127.0.0.1:PORT -- REQUESTS THREADS
--
-- REQUESTS has one request a line, "Accept<TAB>path" (an empty Accept sends none). Each thread
-- starts at its own offset (thread i of n at i/n of the list), so the threads do not send the same
-- request at the same moment. Answers are counted by status and by X-Cache (certgraph's cache
-- header); done() prints one line "WRK-JSON {...}" with the counts and the latency percentiles in
-- microseconds, which serve.py reads (wrk's own text summary is printed too, for a reader).

local threads = {}
local next_id = 0

function setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

function init(args)
   local file = assert(io.open(args[1]), "cannot open the requests file " .. tostring(args[1]))
   local count = tonumber(args[2]) or 1
   requests = {}
   for line in file:lines() do
      local accept, path = line:match("^([^\t]*)\t(.+)$")
      if path then
         local headers = {}
         if accept ~= "" then headers["Accept"] = accept end
         requests[#requests + 1] = wrk.format("GET", path, headers)
      end
   end
   file:close()
   assert(#requests > 0, "no request in " .. args[1])
   position = math.floor(id * #requests / count)
   statuses = {}
   hits, misses = 0, 0
end

function request()
   position = position % #requests + 1
   return requests[position]
end

function response(status, headers, body)
   local code = tostring(status)
   statuses[code] = (statuses[code] or 0) + 1
   local cache = headers["x-cache"] or headers["X-Cache"]
   if cache == "hit" then
      hits = hits + 1
   elseif cache == "miss" then
      misses = misses + 1
   end
end

function done(summary, latency, requests)
   local statuses, hits, misses = {}, 0, 0
   for _, thread in ipairs(threads) do
      for code, n in pairs(thread:get("statuses") or {}) do
         statuses[code] = (statuses[code] or 0) + n
      end
      hits = hits + (thread:get("hits") or 0)
      misses = misses + (thread:get("misses") or 0)
   end
   local codes = {}
   for code, n in pairs(statuses) do
      codes[#codes + 1] = string.format('"%s": %d', code, n)
   end
   local errors = summary.errors
   io.write(string.format(
      'WRK-JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
      '"latency_us": {"min": %d, "mean": %.1f, "max": %d, "p50": %d, "p90": %d, "p95": %d, "p99": %d, "p99.9": %d}, ' ..
      '"statuses": {%s}, "cache": {"hit": %d, "miss": %d}}\n',
      summary.requests, summary.duration, summary.bytes,
      errors.connect, errors.read, errors.write, errors.status, errors.timeout,
      latency.min, latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
      latency:percentile(95), latency:percentile(99), latency:percentile(99.9),
      table.concat(codes, ", "), hits, misses))
end
