# shellcheck shell=bash
# MariaDB from Debian's packages, as our own server on 127.0.0.1:13306 with its own data directory.
# The test user `tributary` has no password and is reachable from 127.0.0.1 only.

mariadb_install() { have mariadbd || apt_install mariadb-server; }

mariadb_start() {
  local dir user; dir=$(svc_dir mariadb)
  mkdir -p "$dir/data" "$dir/run"
  user=$(id -un)
  if [ ! -d "$dir/data/mysql" ]; then
    mariadb-install-db --no-defaults --user="$user" --datadir="$dir/data" --auth-root-authentication-method=socket \
      --skip-test-db >>"$dir/log" 2>&1 || die "mariadb-install-db failed; see $dir/log"
    # First start bootstraps the test user through the init file, then the file is no longer passed.
    cat >"$dir/init.sql" <<SQL
CREATE USER IF NOT EXISTS 'tributary'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO 'tributary'@'127.0.0.1' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS tributary;
SQL
  fi
  local init=()
  [ -f "$dir/init.sql" ] && init=(--init-file="$dir/init.sql")
  svc_spawn mariadb mariadbd --no-defaults --user="$user" --datadir="$dir/data" \
    --bind-address="$TRIBUTARY_HOST" --port="$PORT_MARIADB" --socket="$dir/run/mysqld.sock" \
    --pid-file="$dir/run/mysqld.pid" --skip-name-resolve --innodb-buffer-pool-size=128M \
    --innodb-flush-log-at-trx-commit=2 --log-error="" "${init[@]}"
}

mariadb_healthy() {
  local dir; dir=$(svc_dir mariadb)
  mariadb-admin --no-defaults -h "$TRIBUTARY_HOST" -P "$PORT_MARIADB" -u tributary --connect-timeout=2 ping >/dev/null 2>&1 || return 1
  # The test user exists now: later starts do not need the bootstrap file.
  rm -f "$dir/init.sql"
}

mariadb_env() { echo "export TRIBUTARY_MYSQL_URL=mysql://tributary@$TRIBUTARY_HOST:$PORT_MARIADB/tributary"; }
