"""Data contracts through Confluent's Python client: register a schema with metadata and a CEL
rule, find it by its metadata and by lookup, serialize with the registered version (its rule
run by the client's CEL executor: one record kept, one refused), and print what the client read
back (and what the REST API answers for the version) as JSON.
Usage: contracts.py REGISTRY_URL SUBJECT (a subject ending in -value)."""
import json
import sys
import urllib.request

from confluent_kafka.schema_registry import (Metadata, MetadataProperties, MetadataTags, Rule,
                                             RuleKind, RuleMode, RuleSet, Schema,
                                             SchemaRegistryClient)
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.rules.cel.cel_executor import CelExecutor
from confluent_kafka.serialization import MessageField, SerializationContext

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
    CelExecutor.register()
    serializer = AvroSerializer(client, None, conf={"auto.register.schemas": False,
                                                    "use.latest.version": True})
    ctx = SerializationContext(subject[:-len("-value")], MessageField.VALUE)
    kept = serializer({"id": 7, "ssn": "000"}, ctx).hex()
    try:
        serializer({"id": -7, "ssn": "000"}, ctx)
        refused = None
    except Exception as e:  # the client's own error, and the rule's error it carries
        refused = f"{type(e).__name__} from {type(e.__cause__).__name__}: {e.__cause__}"
    print(json.dumps({
        "id": schema_id,
        "latest": {"version": latest.version, "id": latest.schema_id,
                   "metadata": latest.schema.metadata.to_dict(),
                   "ruleSet": latest.schema.rule_set.to_dict()},
        "lookup": {"version": found.version, "id": found.schema_id},
        "kept": kept,
        "refused": refused,
        "rest": json.load(urllib.request.urlopen(f"{url}/subjects/{subject}/versions/1")),
    }))


main()
