# shellcheck shell=bash
# Apache Cassandra 5.0 as a single-node test cluster on 127.0.0.1:19042 (storage port 17000, JMX on
# 127.0.0.1:17199). The server is the cassandra-all artifact and its dependencies from Maven Central,
# run directly as org.apache.cassandra.service.CassandraDaemon with config files this script writes.
# Local tests only: no authentication, no fsync.

CASSANDRA_VERSION=5.0.9
CASSANDRA_JMX_PORT=17199

cassandra_home() { printf '%s/cassandra/%s' "$TRIBUTARY_CACHE_DIR" "$CASSANDRA_VERSION"; }

# A Java 17 binary: Cassandra 5.0 runs on 11 and 17 only, and the flags below are the Java 17 set.
cassandra_java() {
  local j
  for j in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} /usr/lib/jvm/java-17-openjdk-*/bin/java "$(command -v java)"; do
    [ -x "$j" ] && "$j" -version 2>&1 | grep -q 'version "17[."]' && { printf '%s' "$j"; return 0; }
  done
  return 1
}

cassandra_install() {
  cassandra_java >/dev/null || apt_install openjdk-17-jre-headless
  cassandra_java >/dev/null || die "no Java 17 found (Cassandra $CASSANDRA_VERSION needs 11 or 17)"
  maven_fetch "$(cassandra_home)" cassandra "$CASSANDRA_VERSION" <<EOF
    <dependency>
      <groupId>org.apache.cassandra</groupId><artifactId>cassandra-all</artifactId><version>$CASSANDRA_VERSION</version>
    </dependency>
EOF
  [ -f "$(cassandra_home)/lib/cassandra-all-$CASSANDRA_VERSION.jar" ] || die "cassandra-all jar missing after mvn"
}

cassandra_write_config() {
  local dir=$1 conf=$1/conf data=$1/data
  mkdir -p "$conf/triggers" "$data" "$dir/logs" "$dir/tmp"
  cat >"$conf/cassandra.yaml" <<EOF
# Written by scripts/services.d/cassandra.sh on every start; edits here are lost.
cluster_name: tributary-test
num_tokens: 1
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
# A fresh 5.0-only cluster, as cassandra_latest.yaml would make (no 4.x nodes to stay compatible with).
storage_compatibility_mode: NONE
auto_bootstrap: false
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "$TRIBUTARY_HOST:$PORT_CASSANDRA_STORAGE"
listen_address: $TRIBUTARY_HOST
broadcast_address: $TRIBUTARY_HOST
rpc_address: $TRIBUTARY_HOST
broadcast_rpc_address: $TRIBUTARY_HOST
storage_port: $PORT_CASSANDRA_STORAGE
native_transport_port: $PORT_CASSANDRA
start_native_transport: true
endpoint_snitch: SimpleSnitch
authenticator: AllowAllAuthenticator
authorizer: AllowAllAuthorizer
role_manager: CassandraRoleManager
network_authorizer: AllowAllNetworkAuthorizer
data_file_directories:
  - $data/data
commitlog_directory: $data/commitlog
saved_caches_directory: $data/saved_caches
hints_directory: $data/hints
cdc_raw_directory: $data/cdc_raw
commitlog_sync: periodic
commitlog_sync_period: 10000ms
disk_failure_policy: stop
commit_failure_policy: stop
# Keep off-heap use small: the machine runs every other service too.
file_cache_size: 64MiB
networking_cache_size: 32MiB
EOF
  cat >"$conf/logback.xml" <<'EOF'
<configuration scan="false">
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%date{ISO8601} %-5level [%thread] %logger{0} - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="STDOUT"/></root>
</configuration>
EOF
}

cassandra_start() {
  local home dir java lib
  home=$(cassandra_home); dir=$(svc_dir cassandra); lib=$home/lib
  java=$(cassandra_java) || die "no Java 17 found"
  cassandra_write_config "$dir"
  chown_service_user "$dir"

  # Cassandra is not meant to run as root: use the service user, unless it cannot reach our files
  # (e.g. a cache directory under a private /root), in which case root is the only option. As root it
  # would mlockall() its whole heap; without CAP_IPC_LOCK the memlock limit stops that.
  local runas=()
  if [ "$(id -u)" -eq 0 ]; then
    if as_service_user test -r "$lib/cassandra-all-$CASSANDRA_VERSION.jar" -a -w "$dir/data"; then
      read -ra runas <<<"$(service_user_prefix)"
    else
      log "cassandra: user 'tributary' cannot read $lib or write $dir; running Cassandra as root"
      runas=(setpriv --bounding-set=-ipc_lock --)
    fi
  fi

  local jamm=("$lib"/jamm-*.jar)
  local opts=(
    -Xms512m -Xmx1g -Xss256k -XX:MaxDirectMemorySize=512m
    -XX:+UseG1GC -XX:+ParallelRefProcEnabled -XX:MaxTenuringThreshold=1 -XX:MaxGCPauseMillis=300
    -XX:+UseThreadPriorities -XX:+PerfDisableSharedMem -XX:+ExitOnOutOfMemoryError
    -ea -da:net.openhft...
    -Djava.net.preferIPv4Stack=true
    # Java 17 module access Cassandra needs (its conf/jvm17-server.options).
    -Djdk.attach.allowAttachSelf=true
    --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED
    --add-exports=java.base/java.lang.ref=ALL-UNNAMED
    --add-exports=java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
    --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
    --add-exports=java.rmi/sun.rmi.server=ALL-UNNAMED
    --add-exports=java.sql/java.sql=ALL-UNNAMED
    --add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED
    --add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
    --add-exports=jdk.attach/sun.tools.attach=ALL-UNNAMED
    --add-opens=java.base/java.lang=ALL-UNNAMED
    --add-opens=java.base/java.lang.module=ALL-UNNAMED
    --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
    --add-opens=java.base/java.io=ALL-UNNAMED
    --add-opens=java.base/java.util=ALL-UNNAMED
    --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
    --add-opens=java.base/jdk.internal.loader=ALL-UNNAMED
    --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
    --add-opens=java.base/jdk.internal.reflect=ALL-UNNAMED
    --add-opens=java.base/jdk.internal.math=ALL-UNNAMED
    --add-opens=java.base/jdk.internal.module=ALL-UNNAMED
    --add-opens=java.base/jdk.internal.util.jar=ALL-UNNAMED
    --add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED
    --add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED
    -Dio.netty.tryReflectionSetAccessible=true
    -Dio.netty.allocator.useCacheForAllThreads=true -Dio.netty.allocator.maxOrder=11
    # jamm measures object sizes (memtable accounting) through the instrumentation agent.
    "-javaagent:${jamm[0]}"
    -Dcassandra-foreground=yes
    "-Dcassandra.config=file://$dir/conf/cassandra.yaml"
    "-Dlogback.configurationFile=$dir/conf/logback.xml"
    "-Dcassandra.logdir=$dir/logs" "-Dcassandra.storagedir=$dir/data" "-Dcassandra.triggers_dir=$dir/conf/triggers"
    "-Djava.io.tmpdir=$dir/tmp" "-Djna.tmpdir=$dir/tmp"
    "-Dcassandra.jmx.local.port=$CASSANDRA_JMX_PORT" "-Dcom.sun.management.jmxremote.rmi.port=$CASSANDRA_JMX_PORT"
    -Dcom.sun.management.jmxremote.authenticate=false "-Djava.rmi.server.hostname=$TRIBUTARY_HOST"
    # Single-node speed-ups: nobody to gossip with, nothing to wait for, no fsync.
    -Dcassandra.skip_wait_for_gossip_to_settle=0 -Dcassandra.ring_delay_ms=1000
    -Dcassandra.superuser_setup_delay_ms=0 -Dcassandra.unsafesystem=true -Dcassandra.skip_sync=true
  )
  svc_spawn cassandra "${runas[@]}" "$java" "${opts[@]}" -cp "$lib/*" org.apache.cassandra.service.CassandraDaemon
}

# The native transport is the last thing Cassandra opens, once the node is ready for clients.
cassandra_healthy() { port_open "$PORT_CASSANDRA"; }

cassandra_timeout() { echo 180; }

cassandra_env() {
  echo "export TRIBUTARY_CASSANDRA_CONTACT_POINTS=$TRIBUTARY_HOST:$PORT_CASSANDRA"
  # SimpleSnitch puts every node in this data center.
  echo "export TRIBUTARY_CASSANDRA_DATACENTER=datacenter1"
}
