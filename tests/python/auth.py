"""Confluent's Python client against a registry that requires credentials, for
tests/api/python_auth.rs.

    python3 auth.py URL basic USER:PASSWORD   -> registers, serializes and reads back a record
    python3 auth.py URL bearer TOKEN          -> the same with a static bearer token

Prints one JSON line: {"id": ..., "decoded": ...} on success, or {"status": ..., "error_code":
..., "message": ...} when the registry refuses.
"""

import json
import sys

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

AVRO = '{"type":"record","name":"Auth","namespace":"schemata","fields":[{"name":"id","type":"long"}]}'
CTX = SerializationContext("orders", MessageField.VALUE)


def main():
    url, how, secret = sys.argv[1:4]
    conf = {"url": url}
    if how == "basic":
        conf["basic.auth.user.info"] = secret
    else:
        conf["bearer.auth.credentials.source"] = "STATIC_TOKEN"
        conf["bearer.auth.token"] = secret
        # Confluent Cloud's headers; Schemata ignores them.
        conf["bearer.auth.logical.cluster"] = "lsrc-schemata"
        conf["bearer.auth.identity.pool.id"] = "pool-schemata"
    client = SchemaRegistryClient(conf)
    try:
        data = AvroSerializer(client, AVRO)({"id": 7}, CTX)
        schema_id = int.from_bytes(data[1:5], "big")
        # A new client, so the schema is fetched by id rather than taken from a cache.
        decoded = AvroDeserializer(SchemaRegistryClient(conf))(data, CTX)
        print(json.dumps({"id": schema_id, "decoded": decoded}))
    except SchemaRegistryError as e:
        print(json.dumps({"status": e.http_status_code, "error_code": e.error_code, "message": e.error_message}))


main()
