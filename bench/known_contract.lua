-- wrk: every request re-registers the same, already registered schema with its data contract
-- (metadata and a rule set), as a producer with Confluent's data-contract serializers starts.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/vnd.schemaregistry.v1+json"
wrk.body = '{"schema":"{\\"type\\":\\"record\\",\\"name\\":\\"Order\\",\\"namespace\\":\\"bench\\",\\"fields\\":[{\\"name\\":\\"id\\",\\"type\\":\\"long\\"},{\\"name\\":\\"amount\\",\\"type\\":\\"double\\"}]}","metadata":{"properties":{"owner":"payments","major":"1"},"tags":{"bench.Order.amount":["PII"]}},"ruleSet":{"domainRules":[{"name":"positiveAmount","kind":"CONDITION","mode":"WRITE","type":"CEL","expr":"message.amount > 0","onFailure":"ERROR"}]}}'
function response(status, headers, body)
  if status ~= 200 then error("unexpected status " .. status .. ": " .. body) end
end
