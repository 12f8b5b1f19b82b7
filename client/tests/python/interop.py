"""Confluent's Python serializers, for the interop test (client/tests/it/python.rs).

    python3 interop.py URL FORMAT encode       -> prints the framed example record in hex
    python3 interop.py URL FORMAT decode HEX   -> prints the decoded value as JSON

FORMAT is avro, json or protobuf; the record, schemas and topic are the ones of
client/examples/interop.rs.
"""

import json
import sys

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.serialization import MessageField, SerializationContext

AVRO = '{"type":"record","name":"Interop","namespace":"schemata","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"}]}'
JSON = '{"type":"object","title":"Interop","properties":{"id":{"type":"integer"},"name":{"type":"string"}},"required":["id","name"]}'
RECORD = {"id": 42, "name": "schemata"}
CTX = SerializationContext("interop", MessageField.VALUE)


def interop_message_class():
    """schemata.Interop built from a FileDescriptorProto (no protoc needed)."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    proto = descriptor_pb2.FileDescriptorProto(name="interop.proto", package="schemata", syntax="proto3")
    message = proto.message_type.add(name="Interop")
    message.field.add(name="id", number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_INT64,
                      label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL, json_name="id")
    message.field.add(name="name", number=2, type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
                      label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL, json_name="name")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("schemata.Interop"))


def serializer(client, fmt):
    if fmt == "avro":
        from confluent_kafka.schema_registry.avro import AvroSerializer
        return lambda: AvroSerializer(client, AVRO)(RECORD, CTX)
    if fmt == "json":
        from confluent_kafka.schema_registry.json_schema import JSONSerializer
        return lambda: JSONSerializer(JSON, client)(RECORD, CTX)
    from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
    cls = interop_message_class()
    return lambda: ProtobufSerializer(cls, client, {"use.deprecated.format": False})(cls(**RECORD), CTX)


def deserialize(client, fmt, data):
    if fmt == "avro":
        from confluent_kafka.schema_registry.avro import AvroDeserializer
        return AvroDeserializer(client)(data, CTX)
    if fmt == "json":
        from confluent_kafka.schema_registry.json_schema import JSONDeserializer
        return JSONDeserializer(None, schema_registry_client=client)(data, CTX)
    from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer
    message = ProtobufDeserializer(interop_message_class(), {"use.deprecated.format": False})(data, CTX)
    return {"id": message.id, "name": message.name}


def main():
    url, fmt, action = sys.argv[1:4]
    client = SchemaRegistryClient({"url": url})
    if action == "encode":
        print(serializer(client, fmt)().hex())
    else:
        print(json.dumps(deserialize(client, fmt, bytes.fromhex(sys.argv[4])), sort_keys=True))


if __name__ == "__main__":
    main()
