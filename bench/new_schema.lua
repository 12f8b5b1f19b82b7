-- wrk: every request registers a schema never seen before, under its own subject.
-- PREFIX (default R) keeps the names of two wrk processes run side by side apart.
local prefix = os.getenv("PREFIX") or "R"
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
local n = 0
function request()
  n = n + 1
  local name = prefix .. tid .. "x" .. n
  local body = '{"schema":"{\\"type\\":\\"record\\",\\"name\\":\\"' .. name ..
    '\\",\\"fields\\":[{\\"name\\":\\"id\\",\\"type\\":\\"long\\"},{\\"name\\":\\"note\\",\\"type\\":[\\"null\\",\\"string\\"],\\"default\\":null}]}"}'
  return wrk.format("POST", "/subjects/" .. name .. "-value/versions",
    {["Content-Type"] = "application/vnd.schemaregistry.v1+json"}, body)
end
function response(status, headers, body)
  if status ~= 200 then error("unexpected status " .. status .. ": " .. body) end
end
