-- wrk script: HTTP pipelining. Each connection sends DEPTH requests for
-- PATH in one write and waits for all DEPTH responses before the next batch.
-- wrk counts every response as a request; latency is per batch.
--
-- usage: wrk -s scripts/http-pipeline.lua URL -- PATH DEPTH
--
-- wrk's 99th percentile reads 0.00us when pipelining (seen with wrk 4.x;
-- its coordinated-omission correction assumes one response per request
-- sent), so bench-http.sh reports it as n/a there.

local path, depth = "/", 16

function init(args)
   path = args[1] or path
   depth = tonumber(args[2]) or depth
   local batch = {}
   for i = 1, depth do
      batch[i] = wrk.format("GET", path)
   end
   req = table.concat(batch)
end

function request()
   return req
end
