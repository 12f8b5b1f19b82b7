-- wrk: registers schemas 1..COUNT of examples/gen_log's shape, each under its own subject, split
-- over THREADS wrk threads (both from the environment), then stops.
local count = tonumber(os.getenv("COUNT"))
local step = tonumber(os.getenv("THREADS"))
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
local next_id = nil
function request()
  next_id = next_id and next_id + step or tid + 1
  if next_id > count then
    wrk.thread:stop()
    return wrk.format("GET", "/")
  end
  local body = '{"schema":"{\\"type\\":\\"record\\",\\"name\\":\\"Event' .. next_id ..
    '\\",\\"namespace\\":\\"com.example.events\\",\\"fields\\":[' ..
    '{\\"name\\":\\"id\\",\\"type\\":\\"long\\"},{\\"name\\":\\"name\\",\\"type\\":\\"string\\"},' ..
    '{\\"name\\":\\"amount\\",\\"type\\":\\"double\\",\\"default\\":0.0},' ..
    '{\\"name\\":\\"tags\\",\\"type\\":{\\"type\\":\\"array\\",\\"items\\":\\"string\\"},\\"default\\":[]},' ..
    '{\\"name\\":\\"note\\",\\"type\\":[\\"null\\",\\"string\\"],\\"default\\":null}]}"}'
  return wrk.format("POST", "/subjects/topic-" .. next_id .. "-value/versions",
    {["Content-Type"] = "application/vnd.schemaregistry.v1+json"}, body)
end
function response(status, headers, body)
  if status ~= 200 then error("unexpected status " .. status .. ": " .. body) end
end
