# shellcheck shell=bash
# Redis from Debian's packages, as our own instance on 127.0.0.1:16379 with its data directory.

redis_install() { have redis-server || apt_install redis-server; }

redis_start() {
  local dir; dir=$(svc_dir redis)
  mkdir -p "$dir/data"
  # --daemonize no keeps the server as the process `down` stops; protected-mode stays on.
  svc_spawn redis redis-server --bind "$TRIBUTARY_HOST" --port "$PORT_REDIS" --dir "$dir/data" \
    --daemonize no --save "" --appendonly yes --logfile ""
}

redis_healthy() { [ "$(redis-cli -h "$TRIBUTARY_HOST" -p "$PORT_REDIS" ping 2>/dev/null)" = PONG ]; }

redis_env() { echo "export TRIBUTARY_REDIS_URL=redis://$TRIBUTARY_HOST:$PORT_REDIS"; }
