// Confluent's Go serializers (confluent-kafka-go's schemaregistry packages) against a live
// Schemata, for tests/api/go_client.rs.
//
//	go run . URL encode               -> prints {"CASE": "HEX", ...}: the example record framed
//	go run . URL decode CASE=HEX ...  -> prints {"CASE": {"id": .., "name": ..}, ...}
//	go run . URL encode-guid          -> prints {"FORMAT": {"headers": {NAME: HEX}, "payload": HEX}}:
//	                                     the schema's GUID in the record header (Confluent 8.x)
//	go run . URL decode-guid FORMAT=[HEADERHEX]:PAYLOADHEX ...
//	                                  -> the records decoded with their __value_schema_id
//	                                     header (none when HEADERHEX is empty)
//
// Each format has two cases: FORMAT (the plain schema under go-FORMAT-value) and FORMAT-meta
// (two versions of go-FORMAT-meta-value that differ only in their metadata, the serializer
// pinned to the first with use.latest.with.metadata major=1).
package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde/avrov2"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde/jsonschema"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde/protobuf"
	"github.com/hamba/avro/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// The record, schemas and topics of client/tests/it/python.rs and tests/api/go_client.rs.
const (
	avroText  = `{"type":"record","name":"Interop","namespace":"schemata","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"}]}`
	jsonText  = `{"type":"object","title":"Interop","properties":{"id":{"type":"integer"},"name":{"type":"string"}},"required":["id","name"]}`
	protoText = "syntax = \"proto3\";\npackage schemata;\n\nmessage Interop {\n  int64 id = 1;\n  string name = 2;\n}\n"
)

// Interop is the record as a Go type; its Avro schema is the text above, not one derived from
// the struct.
type Interop struct {
	ID   int64  `avro:"id" json:"id"`
	Name string `avro:"name" json:"name"`
}

var avroSchema = avro.MustParse(avroText)

// Schema makes the Avro serializer register avroText.
func (*Interop) Schema() avro.Schema { return avroSchema }

var record = Interop{ID: 42, Name: "schemata"}

// pinned is what the serializers and deserializers of the -meta cases select.
var pinned = map[string]string{"major": "1"}

func interopDescriptor() protoreflect.MessageDescriptor {
	optional := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL
	file := &descriptorpb.FileDescriptorProto{
		Name:    proto.String("interop.proto"),
		Package: proto.String("schemata"),
		Syntax:  proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{
			Name: proto.String("Interop"),
			Field: []*descriptorpb.FieldDescriptorProto{
				{Name: proto.String("id"), Number: proto.Int32(1), Label: &optional,
					Type: descriptorpb.FieldDescriptorProto_TYPE_INT64.Enum(), JsonName: proto.String("id")},
				{Name: proto.String("name"), Number: proto.Int32(2), Label: &optional,
					Type: descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(), JsonName: proto.String("name")},
			},
		}},
	}
	fd, err := protodesc.NewFile(file, nil)
	check(err)
	return fd.Messages().ByName("Interop")
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// topic of a case: go-avro, go-avro-meta, ...
func topic(c string) string { return "go-" + c }

func format(c string) string { return strings.TrimSuffix(c, "-meta") }

func schemaOf(f string) schemaregistry.SchemaInfo {
	switch f {
	case "avro":
		return schemaregistry.SchemaInfo{Schema: avroText}
	case "json":
		return schemaregistry.SchemaInfo{Schema: jsonText, SchemaType: "JSON"}
	default:
		return schemaregistry.SchemaInfo{Schema: protoText, SchemaType: "PROTOBUF"}
	}
}

// registerPinned registers the format's schema twice under the -meta subject, with major=1
// then major=2: the same text, so only the metadata tells the versions apart.
func registerPinned(client schemaregistry.Client, f string) {
	for _, major := range []string{"1", "2"} {
		info := schemaOf(f)
		info.Metadata = &schemaregistry.Metadata{
			Properties: map[string]string{"owner": "go", "major": major},
		}
		_, err := client.Register(topic(f+"-meta")+"-value", info, false)
		check(err)
	}
}

func serializerConfig(c string) serde.SerializerConfig {
	conf := *serde.NewSerializerConfig()
	if strings.HasSuffix(c, "-meta") {
		conf.AutoRegisterSchemas = false
		conf.UseLatestWithMetadata = pinned
	} else if format(c) == "json" {
		// The JSON serializer would register a schema reflected from the Go type; it writes with
		// jsonText, registered beforehand, instead.
		conf.AutoRegisterSchemas = false
		conf.UseLatestVersion = true
	}
	return conf
}

func deserializerConfig(c string) serde.DeserializerConfig {
	conf := *serde.NewDeserializerConfig()
	if strings.HasSuffix(c, "-meta") {
		conf.UseLatestWithMetadata = pinned
	}
	return conf
}

// encode frames the record for case c; with guids, the schema's GUID goes in a header
// (HeaderSchemaIDSerializer) instead of the id before the payload.
func encode(client schemaregistry.Client, c string, guids bool) ([]kafka.Header, []byte) {
	conf := serializerConfig(c)
	var s serde.Serializer
	var msg interface{}
	idSerializer := serde.PrefixSchemaIDSerializer
	if guids {
		idSerializer = serde.HeaderSchemaIDSerializer
	}
	switch format(c) {
	case "avro":
		a, err := avrov2.NewSerializer(client, serde.ValueSerde, &avrov2.SerializerConfig{SerializerConfig: conf})
		check(err)
		a.SchemaIDSerializer = idSerializer
		s = a
		r := record
		msg = &r
	case "json":
		j, err := jsonschema.NewSerializer(client, serde.ValueSerde, &jsonschema.SerializerConfig{SerializerConfig: conf})
		check(err)
		j.SchemaIDSerializer = idSerializer
		s = j
		r := record
		msg = &r
	default:
		p, err := protobuf.NewSerializer(client, serde.ValueSerde, &protobuf.SerializerConfig{SerializerConfig: conf})
		check(err)
		p.SchemaIDSerializer = idSerializer
		s = p
		m := dynamicpb.NewMessage(interopDescriptor())
		m.Set(m.Descriptor().Fields().ByName("id"), protoreflect.ValueOfInt64(record.ID))
		m.Set(m.Descriptor().Fields().ByName("name"), protoreflect.ValueOfString(record.Name))
		msg = m
	}
	headers, bytes, err := s.SerializeWithHeaders(topic(c), msg)
	check(err)
	return headers, bytes
}

// decode reads the record of case c from its headers (the default DualSchemaIDDeserializer: the
// id header when there is one, else the payload's prefix) and payload.
func decode(client schemaregistry.Client, c string, headers []kafka.Header, bytes []byte) Interop {
	conf := deserializerConfig(c)
	var out Interop
	switch format(c) {
	case "avro":
		d, err := avrov2.NewDeserializer(client, serde.ValueSerde, &avrov2.DeserializerConfig{DeserializerConfig: conf})
		check(err)
		check(d.DeserializeWithHeadersInto(topic(c), headers, bytes, &out))
	case "json":
		d, err := jsonschema.NewDeserializer(client, serde.ValueSerde, &jsonschema.DeserializerConfig{DeserializerConfig: conf})
		check(err)
		check(d.DeserializeWithHeadersInto(topic(c), headers, bytes, &out))
	default:
		d, err := protobuf.NewDeserializer(client, serde.ValueSerde, &protobuf.DeserializerConfig{DeserializerConfig: conf})
		check(err)
		check(d.ProtoRegistry.RegisterMessage(dynamicpb.NewMessageType(interopDescriptor())))
		msg, err := d.DeserializeWithHeaders(topic(c), headers, bytes)
		check(err)
		m := msg.(proto.Message).ProtoReflect()
		out.ID = m.Get(m.Descriptor().Fields().ByName("id")).Int()
		out.Name = m.Get(m.Descriptor().Fields().ByName("name")).String()
	}
	return out
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: URL encode | URL decode CASE=HEX...")
		os.Exit(2)
	}
	client, err := schemaregistry.NewClient(schemaregistry.NewConfig(os.Args[1]))
	check(err)
	out := map[string]interface{}{}
	switch os.Args[2] {
	case "encode":
		_, err := client.Register(topic("json")+"-value", schemaOf("json"), false)
		check(err)
		for _, f := range []string{"avro", "json", "protobuf"} {
			registerPinned(client, f)
			for _, c := range []string{f, f + "-meta"} {
				_, bytes := encode(client, c, false)
				out[c] = hex.EncodeToString(bytes)
			}
		}
	case "decode":
		for _, arg := range os.Args[3:] {
			c, h, _ := strings.Cut(arg, "=")
			bytes, err := hex.DecodeString(h)
			check(err)
			out[c] = decode(client, c, nil, bytes)
		}
	case "encode-guid":
		_, err := client.Register(topic("json")+"-value", schemaOf("json"), false)
		check(err)
		for _, f := range []string{"avro", "json", "protobuf"} {
			headers, bytes := encode(client, f, true)
			named := map[string]string{}
			for _, h := range headers {
				named[h.Key] = hex.EncodeToString(h.Value)
			}
			out[f] = map[string]interface{}{"headers": named, "payload": hex.EncodeToString(bytes)}
		}
	case "decode-guid":
		for _, arg := range os.Args[3:] {
			c, framed, _ := strings.Cut(arg, "=")
			h, p, _ := strings.Cut(framed, ":")
			var headers []kafka.Header
			if h != "" {
				value, err := hex.DecodeString(h)
				check(err)
				headers = []kafka.Header{{Key: serde.ValueSchemaIDHeader, Value: value}}
			}
			bytes, err := hex.DecodeString(p)
			check(err)
			out[c] = decode(client, c, headers, bytes)
		}
	}
	text, err := json.Marshal(out)
	check(err)
	fmt.Println(string(text))
}
