-- wrk: every request re-registers the same, already registered schema (a producer starting).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/vnd.schemaregistry.v1+json"
wrk.body = '{"schema":"{\\"type\\":\\"record\\",\\"name\\":\\"Order\\",\\"namespace\\":\\"bench\\",\\"fields\\":[{\\"name\\":\\"id\\",\\"type\\":\\"long\\"},{\\"name\\":\\"amount\\",\\"type\\":\\"double\\"}]}"}'
function response(status, headers, body)
  if status ~= 200 then error("unexpected status " .. status .. ": " .. body) end
end
