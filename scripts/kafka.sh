#!/usr/bin/env bash
# Starts a local Apache Kafka broker for the tests and benchmarks of the Kafka storage, and prints
# its bootstrap address (export KAFKA_BOOTSTRAP=...). Only that line goes to stdout; every note
# goes to stderr.
#
# The broker is Apache Kafka 4.x (`org.apache.kafka:kafka_2.13`) with its runtime dependencies,
# fetched once from Maven Central by Maven (scripts/kafka/pom.xml) into a cache folder outside
# the checkout, and run by Java 17 in KRaft mode: one process that is both broker and controller,
# listening on 127.0.0.1 only. Its storage is formatted once, with a random cluster id. Safe to
# run again: a broker that already answers is left alone.
#
# Usage: scripts/kafka.sh              then  export KAFKA_BOOTSTRAP=127.0.0.1:9092
#        scripts/kafka.sh stop         stops the broker this script started
# Environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), SCHEMATA_KAFKA_HOME (the cache,
# ~/.cache/schemata/kafka), KAFKA_HEAP_OPTS (-Xms128m -Xmx512m).
#
# KAFKA_SASL=1 makes a secured broker instead (the SASL tests use one on 19094, see .ci/run):
# clients authenticate with SASL on KAFKA_PORT, user `schemata`, password `schemata-secret`,
# by PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; the broker talks to itself on KAFKA_PORT + 2.
# KAFKA_TLS=1 makes a broker that speaks only TLS on KAFKA_PORT and wants a client
# certificate (the TLS tests use one on 19097): the script makes a test CA, the broker's
# certificate and a client's in $SCHEMATA_KAFKA_HOME/tls-$KAFKA_PORT (ca.pem, client.pem,
# client.key) once; the broker talks to itself on KAFKA_PORT + 2.
set -euo pipefail

PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
HOME_DIR="${SCHEMATA_KAFKA_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/schemata/kafka}"
VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$(dirname "$0")/kafka/pom.xml")"
LIBS="$HOME_DIR/libs-$VERSION"
DATA="$HOME_DIR/data-$PORT"
PIDFILE="$HOME_DIR/broker-$PORT.pid"
LOG="$HOME_DIR/broker-$PORT.log"
BOOTSTRAP="127.0.0.1:$PORT"

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

if [ "${1:-}" = stop ]; then
  if running; then
    pid="$(cat "$PIDFILE")"
    kill "$pid"
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    echo "stopped the broker on $BOOTSTRAP" >&2
  fi
  rm -f "$PIDFILE"
  exit 0
fi

if answers "$PORT"; then
  echo "$BOOTSTRAP"
  exit 0
fi

for tool in java mvn; do
  command -v "$tool" >/dev/null || { echo "scripts/kafka.sh needs $tool (Java 17 or later, Maven)" >&2; exit 1; }
done
mkdir -p "$HOME_DIR"

if [ ! -f "$LIBS/kafka_2.13-$VERSION.jar" ]; then
  echo "fetching Apache Kafka $VERSION and its dependencies from Maven Central into $LIBS" >&2
  mvn -q -B -f "$(dirname "$0")/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$LIBS.partial" >&2
  rm -rf "$LIBS" && mv "$LIBS.partial" "$LIBS"
fi

CONFIG="$HOME_DIR/server-$PORT.properties"
if [ "${KAFKA_SASL:-}" = 1 ]; then
  INTERNAL_PORT=$((PORT + 2))
  LISTENERS="listeners=SASL_PLAINTEXT://127.0.0.1:$PORT,INTERNAL://127.0.0.1:$INTERNAL_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=SASL_PLAINTEXT://127.0.0.1:$PORT,INTERNAL://127.0.0.1:$INTERNAL_PORT
inter.broker.listener.name=INTERNAL
listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_schemata=\"schemata-secret\";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;"
  # SCRAM credentials live in the cluster's metadata: written when the storage is formatted.
  FORMAT_ARGS=(--add-scram "SCRAM-SHA-256=[name=schemata,password=schemata-secret]"
    --add-scram "SCRAM-SHA-512=[name=schemata,password=schemata-secret]")
elif [ "${KAFKA_TLS:-}" = 1 ]; then
  INTERNAL_PORT=$((PORT + 2))
  TLS="$HOME_DIR/tls-$PORT"
  if [ ! -f "$TLS/client.pem" ]; then
    mkdir -p "$TLS.partial"
    (
      cd "$TLS.partial"
      openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=schemata test CA" \
        -keyout ca.key -out ca.pem
      for name in broker client; do
        openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" -keyout "$name.key" -out "$name.csr"
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$name.ext"
        openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 \
          -extfile "$name.ext" -out "$name.pem"
      done
      # Kafka reads a PEM key store as the key (PKCS#8) followed by its certificate.
      openssl pkcs8 -topk8 -nocrypt -in broker.key -out broker.pk8
      cat broker.pk8 broker.pem >broker-keystore.pem
    ) >"$HOME_DIR/tls.log" 2>&1 || { echo "making the test certificates failed:" >&2; cat "$HOME_DIR/tls.log" >&2; exit 1; }
    rm -rf "$TLS" && mv "$TLS.partial" "$TLS"
  fi
  LISTENERS="listeners=SSL://127.0.0.1:$PORT,INTERNAL://127.0.0.1:$INTERNAL_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=SSL://127.0.0.1:$PORT,INTERNAL://127.0.0.1:$INTERNAL_PORT
inter.broker.listener.name=INTERNAL
listener.security.protocol.map=SSL:SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT
ssl.keystore.type=PEM
ssl.keystore.location=$TLS/broker-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$TLS/ca.pem
ssl.client.auth=required"
  FORMAT_ARGS=()
else
  LISTENERS="listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  FORMAT_ARGS=()
fi
cat >"$CONFIG" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
$LISTENERS
controller.listener.names=CONTROLLER
log.dirs=$DATA
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# One partition each: a test broker creates these internal topics at the first transaction or
# group, and fifty partitions take seconds to create.
transaction.state.log.num.partitions=1
offsets.topic.num.partitions=1
group.initial.rebalance.delay.ms=0
EOF

CP="$LIBS/*"
if [ ! -f "$DATA/meta.properties" ]; then
  CLUSTER_ID="$(java -cp "$CP" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
  java -cp "$CP" kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$CONFIG" "${FORMAT_ARGS[@]}" >"$HOME_DIR/format.log" 2>&1 \
    || { echo "formatting the broker's storage failed:" >&2; cat "$HOME_DIR/format.log" >&2; exit 1; }
fi

echo "starting Apache Kafka $VERSION on $BOOTSTRAP (log: $LOG)" >&2
# setsid: the broker outlives this script and is not stopped by the caller's terminal signals.
# shellcheck disable=SC2086
setsid java ${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m} -XX:+UseG1GC -Djava.awt.headless=true \
  -Dorg.slf4j.simpleLogger.defaultLogLevel="${KAFKA_LOG_LEVEL:-info}" \
  -Dorg.slf4j.simpleLogger.showDateTime=true \
  -cp "$CP" kafka.Kafka "$CONFIG" >"$LOG" 2>&1 </dev/null &
echo $! >"$PIDFILE"

# The port opens before the broker has joined its own quorum: wait for the line that says it has.
for _ in $(seq 1 300); do
  if ! running; then
    echo "the broker exited; the end of $LOG:" >&2
    tail -n 30 "$LOG" >&2
    exit 1
  fi
  if answers "$PORT" && grep -q "Kafka Server started" "$LOG"; then
    echo "$BOOTSTRAP"
    exit 0
  fi
  sleep 0.2
done
echo "the broker did not answer on $BOOTSTRAP within 60 s; see $LOG" >&2
exit 1
