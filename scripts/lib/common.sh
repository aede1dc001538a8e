# shellcheck shell=bash disable=SC2034 # the PORT_* values are used by the service files that source this one
# Shared helpers for scripts/services and the per-service files in scripts/services.d/.
#
# Layout (all overridable through the environment):
#   TRIBUTARY_CACHE_DIR     downloads and builds, kept between runs  (~/.cache/tributary)
#   TRIBUTARY_SERVICES_DIR  one directory per running service         (~/.local/state/tributary/services;
#                           /var/lib/tributary/services for root)
#                             <svc>/data  the service's data
#                             <svc>/log   its stdout+stderr
#                             <svc>/pid   the process group leader `up` started
#
# A service file scripts/services.d/<svc>.sh defines:
#   <svc>_install   make the binaries available (idempotent, cached); may be empty
#   <svc>_start     start the server in the background with `svc_spawn <svc> cmd...`
#   <svc>_healthy   exit 0 when the server answers (called repeatedly until the timeout)
#   <svc>_env       print `export NAME=value` lines a client needs
# and may define <svc>_stop (default: SIGTERM the process group, then SIGKILL) and
# <svc>_timeout (seconds to wait for health, default 120).

# Debian installs server binaries (mariadbd) in /usr/sbin, which a non-login PATH may lack.
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin ;; esac

: "${TRIBUTARY_CACHE_DIR:=${XDG_CACHE_HOME:-$HOME/.cache}/tributary}"
if [ -z "${TRIBUTARY_SERVICES_DIR:-}" ]; then
  # As root, PostgreSQL runs as an unprivileged user that cannot enter a private /root.
  if [ "$(id -u)" -eq 0 ]; then TRIBUTARY_SERVICES_DIR=/var/lib/tributary/services
  else TRIBUTARY_SERVICES_DIR=${XDG_STATE_HOME:-$HOME/.local/state}/tributary/services; fi
fi
export TRIBUTARY_CACHE_DIR TRIBUTARY_SERVICES_DIR

# Every server listens on loopback only, on ports away from each engine's default. Each port can be
# overridden (e.g. PORT_POSTGRES=25432 with another TRIBUTARY_SERVICES_DIR), so a second, private set of
# services can run beside the shared one: the fault-injection suite stops and starts its own.
: "${TRIBUTARY_HOST:=127.0.0.1}"
: "${PORT_KAFKA:=19092}"
: "${PORT_KAFKA_CONTROLLER:=19093}"
: "${PORT_MINIO:=19000}"
: "${PORT_MINIO_CONSOLE:=19001}"
: "${PORT_CASSANDRA:=19042}"
: "${PORT_CASSANDRA_STORAGE:=17000}"
: "${PORT_POSTGRES:=15432}"
: "${PORT_REDIS:=16379}"
: "${PORT_MARIADB:=13306}"
: "${PORT_PROMETHEUS:=19090}"

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

svc_dir() { printf '%s/%s' "$TRIBUTARY_SERVICES_DIR" "$1"; }
svc_pidfile() { printf '%s/%s/pid' "$TRIBUTARY_SERVICES_DIR" "$1"; }
svc_logfile() { printf '%s/%s/log' "$TRIBUTARY_SERVICES_DIR" "$1"; }

# The pid `up` recorded, if that process is still alive.
svc_pid() {
  local f pid
  f=$(svc_pidfile "$1")
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && printf '%s' "$pid"
}

# Start a command detached, in its own session (so `down` can stop its whole process group),
# logging to <svc>/log and recording the leader's pid in <svc>/pid.
svc_spawn() {
  local svc=$1; shift
  local dir; dir=$(svc_dir "$svc")
  mkdir -p "$dir"
  setsid "$@" >>"$dir/log" 2>&1 </dev/null &
  echo $! >"$dir/pid"
}

# Stop what `up` started for this service: SIGTERM to the process group, SIGKILL after a grace period.
svc_kill_group() {
  local svc=$1 grace=${2:-30} pid i
  pid=$(svc_pid "$svc") || { rm -f "$(svc_pidfile "$svc")"; return 0; }
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < grace * 4; i++)); do
    kill -0 -- "-$pid" 2>/dev/null || break
    sleep 0.25
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$(svc_pidfile "$svc")"
}

# Is something already listening on this loopback TCP port?
port_open() { (exec 3<>"/dev/tcp/$TRIBUTARY_HOST/$1") 2>/dev/null; }

have() { command -v "$1" >/dev/null 2>&1; }

# Install Debian packages that are missing, without letting their maintainer scripts start the
# system-wide service (we run our own instance on our own port instead).
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  log "installing Debian packages: ${missing[*]}"
  (
    # Services install in parallel; dpkg takes one at a time.
    flock 9
    local policy=/usr/sbin/policy-rc.d created=0 rc=0
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
      "${sudo[@]}" chmod +x "$policy"
      created=1
    fi
    # The package lists may be stale on a fresh machine; refresh them before installing.
    "${sudo[@]}" apt-get update -qq >/dev/null &&
      DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
      rc=$?
    [ $created -eq 0 ] || "${sudo[@]}" rm -f "$policy"
    exit $rc
  ) 9>"$TRIBUTARY_CACHE_DIR/.apt.lock"
}

# The command prefix that runs a program as an unprivileged user when we are root (PostgreSQL and
# Cassandra refuse to run as root); empty otherwise. Use as: svc_spawn x $(service_user_prefix) cmd...
service_user_prefix() {
  [ "$(id -u)" -eq 0 ] || return 0
  id tributary >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin tributary
  printf 'setpriv --reuid=tributary --regid=%s --init-groups --' "$(id -g tributary)"
}

as_service_user() {
  # shellcheck disable=SC2046
  $(service_user_prefix) "$@"
}

# Hand a directory to the service user when we are root.
chown_service_user() {
  [ "$(id -u)" -eq 0 ] || return 0
  id tributary >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin tributary
  chown -R tributary: "$@"
}

mkdir -p "$TRIBUTARY_CACHE_DIR" "$TRIBUTARY_SERVICES_DIR"

# Fetch Maven Central artifacts and their runtime dependencies into <home>/lib, once:
#   maven_fetch <home> <name> <version> <<'XML'  ...<dependency> elements...  XML
# A marker file makes later calls free; the jars are renamed into place at the end, so an interrupted
# fetch is never taken for a finished one.
maven_fetch() {
  local home=$1 name=$2 version=$3 deps
  deps=$(cat)
  [ -f "$home/.installed" ] && [ -d "$home/lib" ] && return 0
  have mvn || apt_install maven
  mkdir -p "$home"
  cat >"$home/pom.xml" <<XML
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.tributary.services</groupId>
  <artifactId>$name</artifactId>
  <version>$version</version>
  <packaging>pom</packaging>
  <dependencies>
$deps
  </dependencies>
</project>
XML
  rm -rf "$home/lib.partial"
  log "fetching $name $version from Maven Central (first run only)"
  # `up` installs services in parallel into one local repository, which Maven 3.8 does not lock.
  (
    flock 9
    mvn -q -B -Dmaven.repo.local="$TRIBUTARY_CACHE_DIR/m2" -f "$home/pom.xml" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$home/lib.partial"
  ) 9>"$TRIBUTARY_CACHE_DIR/.m2.lock" || die "mvn could not fetch $name $version"
  rm -rf "${home:?}/lib"
  mv "$home/lib.partial" "$home/lib"
  touch "$home/.installed"
}

# The Go toolchain with its module and build caches under $TRIBUTARY_CACHE_DIR/go (-modcacherw keeps
# them deletable). Extra environment may precede the arguments: go_run GOBIN=/x install pkg@v
go_run() {
  local go=go
  have go || go=/usr/local/go/bin/go
  [ -x "$(command -v "$go")" ] || die "Go is needed to build the Go-based services"
  local vars=()
  while [[ ${1:-} == *=* ]]; do vars+=("$1"); shift; done
  env GOPATH="$TRIBUTARY_CACHE_DIR/go" GOMODCACHE="$TRIBUTARY_CACHE_DIR/go/pkg/mod" \
    GOCACHE="$TRIBUTARY_CACHE_DIR/go/build" GOFLAGS=-modcacherw GOWORK=off CGO_ENABLED=0 \
    "${vars[@]}" "$go" "$@"
}

# Build a Go binary into <dest> only if it is not there yet: `build` is called with a scratch
# directory to write <name> into, which is renamed into place at the end, so an interrupted build
# never leaves a half-written binary that would be taken for a finished one.
go_build_once() {
  local dest=$1 build=$2 stage
  [ -x "$dest" ] && return 0
  stage=$(dirname "$dest")/.build.$$
  rm -rf "$stage"; mkdir -p "$stage"
  "$build" "$stage"
  mv -f "$stage/$(basename "$dest")" "$dest"
  rm -rf "$stage"
}
