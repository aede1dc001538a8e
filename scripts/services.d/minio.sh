# shellcheck shell=bash
# MinIO (S3) built from source with `go install` via the Go module proxy, as a single-drive server
# on 127.0.0.1:19000 (console on :19001). The root credentials are generated at random once and
# kept in <svc>/credentials (mode 600), unless TRIBUTARY_S3_ACCESS_KEY_ID/_SECRET_ACCESS_KEY are set.

# minio/minio tags its releases RELEASE.<date>, which are not semver, so the proxy only offers
# pseudo-versions and @latest means "tip of master". Pin the one @latest resolved to (2026-11-21)
# so every machine builds the same server; bump deliberately.
MINIO_MODULE=github.com/minio/minio
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c

minio_bin() { printf '%s/bin/minio-%s/minio' "$TRIBUTARY_CACHE_DIR" "$MINIO_VERSION"; }

minio_build() { go_run GOBIN="$1" install -trimpath "$MINIO_MODULE@$MINIO_VERSION"; }

minio_install() {
  [ -x "$(minio_bin)" ] || log "building minio $MINIO_VERSION with go install (first run only, takes minutes)"
  go_build_once "$(minio_bin)" minio_build
}

# Sets MINIO_USER and MINIO_PASSWORD. The credentials file always holds what the server runs (or
# will next run) with: credentials from the environment replace it only while MinIO is stopped.
minio_credentials() {
  local f tmp
  f=$(svc_dir minio)/credentials
  mkdir -p "$(dirname "$f")"
  tmp=$f.tmp.$$
  if [ -n "${TRIBUTARY_S3_ACCESS_KEY_ID:-}" ] && [ -n "${TRIBUTARY_S3_SECRET_ACCESS_KEY:-}" ] &&
    ! svc_pid minio >/dev/null; then
    # MinIO's own limits; fail here rather than with a server that exits at startup.
    if [ ${#TRIBUTARY_S3_ACCESS_KEY_ID} -lt 3 ] || [ ${#TRIBUTARY_S3_SECRET_ACCESS_KEY} -lt 8 ]; then
      die "MinIO needs TRIBUTARY_S3_ACCESS_KEY_ID of >= 3 and TRIBUTARY_S3_SECRET_ACCESS_KEY of >= 8 characters"
    fi
    (umask 077 && printf 'MINIO_ROOT_USER=%s\nMINIO_ROOT_PASSWORD=%s\n' \
      "$TRIBUTARY_S3_ACCESS_KEY_ID" "$TRIBUTARY_S3_SECRET_ACCESS_KEY" >"$tmp")
    mv -f "$tmp" "$f"
  elif [ ! -s "$f" ]; then
    (umask 077 && printf 'MINIO_ROOT_USER=tributary-%s\nMINIO_ROOT_PASSWORD=%s\n' \
      "$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')" \
      "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" >"$tmp")
    # ln fails if a concurrent `env`/`up` created the file first; then use theirs.
    ln "$tmp" "$f" 2>/dev/null || true
    rm -f "$tmp"
  fi
  MINIO_USER=$(sed -n 's/^MINIO_ROOT_USER=//p' "$f")
  MINIO_PASSWORD=$(sed -n 's/^MINIO_ROOT_PASSWORD=//p' "$f")
}

minio_start() {
  local dir
  dir=$(svc_dir minio)
  # Otherwise a stranger on the port would answer our health check while our server exits.
  port_open "$PORT_MINIO" && die "port $PORT_MINIO is taken by a process we did not start"
  minio_credentials
  mkdir -p "$dir/data"
  # Exported in a subshell rather than passed via `env NAME=value` so the secret never appears in
  # a process's argv (visible to every user in ps). svc_spawn still records the server's pid.
  # MINIO_UPDATE/MINIO_CALLHOME_ENABLE: no calls home to dl.min.io or SUBNET.
  # --config-dir (deprecated, still honoured) and --certs-dir: MinIO would create ~/.minio/certs.
  (
    export MINIO_ROOT_USER=$MINIO_USER MINIO_ROOT_PASSWORD=$MINIO_PASSWORD
    export MINIO_UPDATE=off MINIO_CALLHOME_ENABLE=off
    svc_spawn minio "$(minio_bin)" server "$dir/data" \
      --address "$TRIBUTARY_HOST:$PORT_MINIO" --console-address "$TRIBUTARY_HOST:$PORT_MINIO_CONSOLE" \
      --config-dir "$dir/config" --certs-dir "$dir/certs"
  )
}

minio_healthy() {
  # /minio/health/live answers 200 before the object layer and IAM are initialised (S3 calls
  # still get 503 then); /cluster waits for both and is still a local, cheap check.
  curl -fsS --max-time 2 -o /dev/null "http://$TRIBUTARY_HOST:$PORT_MINIO/minio/health/cluster"
}

minio_env() {
  minio_credentials
  echo "export TRIBUTARY_S3_ENDPOINT=http://$TRIBUTARY_HOST:$PORT_MINIO"
  echo "export TRIBUTARY_S3_REGION=us-east-1"
  printf 'export TRIBUTARY_S3_ACCESS_KEY_ID=%q\n' "$MINIO_USER"
  printf 'export TRIBUTARY_S3_SECRET_ACCESS_KEY=%q\n' "$MINIO_PASSWORD"
}
