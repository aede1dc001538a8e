# shellcheck shell=bash
# Apache Kafka in KRaft combined mode (one JVM is both broker and controller, no ZooKeeper) on
# 127.0.0.1:19092, controller on :19093. Assembled from Maven Central jars with `mvn`, because
# Maven Central is the only place this machine can download from (no Apache mirror, no Docker).

# The newest Kafka line our client, @platformatic/kafka 2.x, supports (3.5.0 to 4.2.x); bump both
# together.
KAFKA_VERSION=4.2.1
# Kafka's poms name slf4j 1.7 but no logging backend (the release tarball adds one); without this
# binding the broker logs nothing and kafka_healthy never sees its "started" line. Keep it at the
# log4j-core version the Kafka release depends on.
KAFKA_LOG4J_VERSION=2.25.4
# A fixed cluster id (base64url of "tributary-kafka1") spares a JVM run of `StorageTool random-uuid`.
KAFKA_CLUSTER_ID=dHJpYnV0YXJ5LWthZmthMQ

kafka_home() { printf '%s/kafka/%s' "$TRIBUTARY_CACHE_DIR" "$KAFKA_VERSION"; }

kafka_install() {
  have java || die "Java 17+ is needed to run Kafka $KAFKA_VERSION"
  # kafka-tools brings the CLI classes tests and humans use (TopicCommand, ConsoleProducer,
  # consumer.ConsoleConsumer); its connect-runtime dependency (Jetty, Jersey) is only for the
  # Connect plugin tool.
  maven_fetch "$(kafka_home)" kafka "$KAFKA_VERSION" <<EOF
    <dependency>
      <groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version>
      <exclusions>
        <exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId></exclusion>
      </exclusions>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$KAFKA_LOG4J_VERSION</version>
    </dependency>
EOF
}

kafka_write_config() {
  local dir=$1
  cat >"$dir/server.properties" <<EOF
# Written by scripts/services on every start; edits here are lost.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$TRIBUTARY_HOST:$PORT_KAFKA_CONTROLLER
listeners=PLAINTEXT://$TRIBUTARY_HOST:$PORT_KAFKA,CONTROLLER://$TRIBUTARY_HOST:$PORT_KAFKA_CONTROLLER
advertised.listeners=PLAINTEXT://$TRIBUTARY_HOST:$PORT_KAFKA
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data

# One node: every internal topic gets a single replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
# Fewer partitions than the default 50 make the first consumer group / transaction much faster.
offsets.topic.num.partitions=8
transaction.state.log.num.partitions=8
share.coordinator.state.topic.num.partitions=8

auto.create.topics.enable=true
num.partitions=3
group.initial.rebalance.delay.ms=0

# Sized for a 2-core machine shared with the other engines.
num.network.threads=2
num.io.threads=4
log.cleaner.dedupe.buffer.size=33554432
EOF
  # The health check needs kafka.server.KafkaRaftServer's INFO line "Kafka Server started".
  # AbstractConfig would otherwise dump ~200 lines of effective config per component.
  cat >"$dir/log4j2.properties" <<'EOF'
appender.stdout.type=Console
appender.stdout.name=STDOUT
appender.stdout.layout.type=PatternLayout
appender.stdout.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=INFO
rootLogger.appenderRef.stdout.ref=STDOUT
logger.config.name=org.apache.kafka.common.config.AbstractConfig
logger.config.level=WARN
EOF
}

kafka_start() {
  local dir cp
  dir=$(svc_dir kafka); cp="$(kafka_home)/lib/*"
  port_open "$PORT_KAFKA" && die "port $PORT_KAFKA is taken by a process we did not start"
  port_open "$PORT_KAFKA_CONTROLLER" && die "port $PORT_KAFKA_CONTROLLER is taken by a process we did not start"
  mkdir -p "$dir/data"
  kafka_write_config "$dir"
  local jvm=(-Dlog4j2.configurationFile="$dir/log4j2.properties" -Djava.awt.headless=true
    -XX:ErrorFile="$dir/hs_err_pid%p.log")
  if [ ! -f "$dir/data/meta.properties" ]; then
    java -Xmx256m "${jvm[@]}" -cp "$cp" kafka.tools.StorageTool format --standalone \
      --cluster-id "$KAFKA_CLUSTER_ID" --config "$dir/server.properties" >>"$dir/log" 2>&1 \
      || die "formatting Kafka's storage failed; see $dir/log"
  fi
  # The log is appended to across restarts: remember where this run starts so an old
  # "Kafka Server started" line cannot make a dying server look healthy.
  touch "$dir/log"
  wc -c <"$dir/log" >"$dir/log.offset"
  svc_spawn kafka java -Xms256m -Xmx768m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError \
    "${jvm[@]}" -cp "$cp" kafka.Kafka "$dir/server.properties"
}

kafka_healthy() {
  local dir offset
  dir=$(svc_dir kafka)
  offset=$(cat "$dir/log.offset" 2>/dev/null) || offset=0
  # Not a pipe: grep -q stops reading early, and under pipefail tail's SIGPIPE would fail the check.
  port_open "$PORT_KAFKA" && grep -q 'Kafka Server started' < <(tail -c "+$((offset + 1))" "$dir/log")
}

kafka_timeout() { echo 120; }

kafka_env() {
  echo "export TRIBUTARY_KAFKA_BROKERS=$TRIBUTARY_HOST:$PORT_KAFKA"
}
