# shellcheck shell=bash
# PostgreSQL from Debian's packages, as our own cluster on 127.0.0.1:15432 (trust auth on loopback
# for the test user; this instance is for local tests only).

postgres_bindir() {
  local d
  for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r); do
    [ -x "$d/postgres" ] && { printf '%s' "$d"; return 0; }
  done
  return 1
}

postgres_install() {
  postgres_bindir >/dev/null || apt_install postgresql
  postgres_bindir >/dev/null || die "PostgreSQL server binaries not found after install"
}

postgres_start() {
  local bin dir
  bin=$(postgres_bindir); dir=$(svc_dir postgres)
  mkdir -p "$dir/data" "$dir/socket"
  chown_service_user "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_service_user "$bin/initdb" -D "$dir/data" -U tributary --auth=trust -E UTF8 --locale=C.UTF-8 >>"$dir/log" 2>&1 \
      || die "initdb failed; see $dir/log"
  fi
  # shellcheck disable=SC2046
  svc_spawn postgres $(service_user_prefix) "$bin/postgres" -D "$dir/data" \
    -c listen_addresses="$TRIBUTARY_HOST" -c port="$PORT_POSTGRES" -c unix_socket_directories="$dir/socket" \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 \
    -c shared_buffers=256MB
}

postgres_healthy() {
  "$(postgres_bindir)/pg_isready" -q -h "$TRIBUTARY_HOST" -p "$PORT_POSTGRES" -d postgres -U tributary
}

postgres_stop() {
  # SIGINT is PostgreSQL's "fast shutdown": roll back clients, checkpoint, exit.
  local pid; pid=$(svc_pid postgres) || return 0
  kill -INT "$pid" 2>/dev/null || true
  svc_kill_group postgres 30
}

postgres_env() {
  echo "export TRIBUTARY_POSTGRES_URL=postgres://tributary@$TRIBUTARY_HOST:$PORT_POSTGRES/postgres"
}
