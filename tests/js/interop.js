// Confluent's JavaScript serializers (@confluentinc/schemaregistry from npm) against a live
// Schemata, for client/tests/it/js.rs.
//
//   node interop.js URL encode              -> {"avro": HEX, "avro-rule": HEX, "refused": MESSAGE, "latest": {...}}
//   node interop.js URL decode CASE=HEX ... -> {"CASE": {"id": .., "name": ..}, ...}
//   node interop.js URL encode-guid         -> {"header": HEX, "payload": HEX}: the schema's GUID
//                                              in the __value_schema_id header (Confluent 8.x)
//   node interop.js URL decode-guid [HEADERHEX]:PAYLOADHEX ...
//                                           -> [{"id": .., "name": ..}, ...], read with the header
//                                              (none when HEADERHEX is empty)
//
// avro: the schema registered as is, written with use.latest.version. avro-rule: the same
// schema with metadata and a CEL CONDITION rule (id > 0), registered twice (major=1, then
// major=2 with the rule disabled), written with use.latest.with.metadata major=1: a record that
// breaks the rule is refused by the serializer.
'use strict';

// Subpaths: the package's index also loads every KMS driver of field encryption.
const { SchemaRegistryClient } = require('@confluentinc/schemaregistry/dist/schemaregistry-client');
const { AvroSerializer, AvroDeserializer } = require('@confluentinc/schemaregistry/dist/serde/avro');
const { SerdeType, HeaderSchemaIdSerializer } = require('@confluentinc/schemaregistry/dist/serde/serde');
const { CelExecutor } = require('@confluentinc/schemaregistry/dist/rules/cel/cel-executor');

const AVRO = '{"type":"record","name":"Interop","namespace":"schemata","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"}]}';
const RECORD = { id: 42, name: 'schemata' };

CelExecutor.register();

function rule(disabled) {
  return {
    name: 'idPositive', kind: 'CONDITION', mode: 'WRITE', type: 'CEL',
    expr: 'message.id > 0', onFailure: 'ERROR', disabled,
  };
}

function config(c) {
  return c === 'avro'
    ? { useLatestVersion: true }
    : { useLatestWithMetadata: { major: '1' } };
}

async function encode(client) {
  await client.register('js-avro-value', { schema: AVRO });
  for (const major of ['1', '2']) {
    await client.register('js-avro-rule-value', {
      schema: AVRO,
      metadata: { properties: { owner: 'js', major } },
      ruleSet: { domainRules: [rule(major === '2')] },
    });
  }
  const out = {};
  for (const c of ['avro', 'avro-rule']) {
    const s = new AvroSerializer(client, SerdeType.VALUE, { autoRegisterSchemas: false, ...config(c) });
    out[c] = (await s.serialize(`js-${c}`, RECORD)).toString('hex');
  }
  const s = new AvroSerializer(client, SerdeType.VALUE, { autoRegisterSchemas: false, ...config('avro-rule') });
  try {
    await s.serialize('js-avro-rule', { id: -1, name: 'negative' });
    out.refused = null;
  } catch (e) {
    out.refused = `${e.name}: ${e.message}`;
  }
  const latest = await client.getLatestWithMetadata('js-avro-rule-value', { major: '1' });
  out.latest = { version: latest.version, id: latest.id, metadata: latest.metadata, ruleSet: latest.ruleSet };
  return out;
}

async function decode(client, args) {
  const out = {};
  for (const arg of args) {
    const [c, hex] = arg.split('=');
    const d = new AvroDeserializer(client, SerdeType.VALUE, config(c));
    const value = await d.deserialize(`js-${c}`, Buffer.from(hex, 'hex'));
    out[c] = { id: Number(value.id), name: value.name };
  }
  return out;
}

// The record under js-guid-value, its GUID in the header (HeaderSchemaIdSerializer).
async function encodeGuid(client) {
  await client.register('js-guid-value', { schema: AVRO });
  const s = new AvroSerializer(client, SerdeType.VALUE, {
    autoRegisterSchemas: false, useLatestVersion: true, schemaIdSerializer: HeaderSchemaIdSerializer,
  });
  const headers = {};
  const payload = await s.serialize('js-guid', RECORD, headers);
  return { header: headers.__value_schema_id.toString('hex'), payload: payload.toString('hex') };
}

async function decodeGuid(client, args) {
  const out = [];
  for (const arg of args) {
    const [header, payload] = arg.split(':');
    const headers = header ? { __value_schema_id: Buffer.from(header, 'hex') } : {};
    const d = new AvroDeserializer(client, SerdeType.VALUE, {});
    const value = await d.deserialize('js-guid', Buffer.from(payload, 'hex'), headers);
    out.push({ id: Number(value.id), name: value.name });
  }
  return out;
}

async function main() {
  const [url, action, ...rest] = process.argv.slice(2);
  const client = new SchemaRegistryClient({ baseURLs: [url] });
  const actions = {
    encode: () => encode(client),
    decode: () => decode(client, rest),
    'encode-guid': () => encodeGuid(client),
    'decode-guid': () => decodeGuid(client, rest),
  };
  const out = await actions[action]();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
