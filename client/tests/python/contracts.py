"""Data contracts through Confluent's Python client: register a schema with metadata and a CEL
rule, find it by its metadata and by lookup, and print what the client read back (and what the
REST API answers for the version) as JSON.
Usage: contracts.py REGISTRY_URL SUBJECT."""
import json
import sys
import urllib.request

from confluent_kafka.schema_registry import (Metadata, MetadataProperties, MetadataTags, Rule,
                                             RuleKind, RuleMode, RuleSet, Schema,
                                             SchemaRegistryClient)

AVRO = ('{"type":"record","name":"Contract","namespace":"schemata","fields":'
        '[{"name":"id","type":"long"},{"name":"ssn","type":"string"}]}')


def main():
    url, subject = sys.argv[1], sys.argv[2]
    client = SchemaRegistryClient({"url": url})
    metadata = Metadata(
        tags=MetadataTags({"schemata.Contract.ssn": ["PII"]}),
        properties=MetadataProperties({"owner": "payments", "major": "1"}),
        sensitive=["ssn"])
    rule = Rule("idPositive", None, RuleKind.CONDITION, RuleMode.WRITE, "CEL", None, None,
                "message.id > 0", None, "ERROR", False)
    schema = Schema(AVRO, "AVRO", [], metadata, RuleSet(None, [rule]))
    schema_id = client.register_schema(subject, schema)
    latest = client.get_latest_with_metadata(subject, {"major": "1"})
    found = client.lookup_schema(subject, schema)
    print(json.dumps({
        "id": schema_id,
        "latest": {"version": latest.version, "id": latest.schema_id,
                   "metadata": latest.schema.metadata.to_dict(),
                   "ruleSet": latest.schema.rule_set.to_dict()},
        "lookup": {"version": found.version, "id": found.schema_id},
        "rest": json.load(urllib.request.urlopen(f"{url}/subjects/{subject}/versions/1")),
    }))


main()
