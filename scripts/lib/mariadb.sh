# Starts and stops a private MariaDB server: its own data directory, socket
# and a free loopback port, nothing else on the network. Sourced by
# scripts/test and scripts/run.
#
#   mariadb_start DIR     start (initializing DIR when empty); sets
#                         MARIADB_PORT (MARIADB_WANT_PORT, if set, else a
#                         free one), MARIADB_SOCKET, MARIADB_DIR, MARIADB_PID
#   mariadb_sql SQL       run SQL as the server's root (over the socket)
#   mariadb_stop          stop the server started by mariadb_start

# A port below the kernel's ephemeral range: one inside it can be taken by
# any socket bound to port 0 or any outgoing connection between this check
# and mysqld's bind (or a restart on the same port), which a connect test
# cannot see ("Bind on TCP/IP port ... Address already in use").
mariadb_free_port() {
  local port low
  low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  if [ "${low:-0}" -le 12000 ]; then low=32768; fi
  for _ in $(seq 1 50); do
    port=$((10000 + RANDOM % (low - 10000)))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  echo "no free loopback port found" >&2
  return 1
}

mariadb_start() {
  MARIADB_DIR=$1
  mkdir -p "$MARIADB_DIR"
  MARIADB_SOCKET=$MARIADB_DIR/mysqld.sock
  # A restart of the same server keeps its port when the caller asks.
  MARIADB_PORT=${MARIADB_WANT_PORT:-$(mariadb_free_port)}
  local user
  user=$(id -un)
  if [ ! -d "$MARIADB_DIR/data/mysql" ]; then
    mariadb-install-db --no-defaults --user="$user" --datadir="$MARIADB_DIR/data" \
      --auth-root-authentication-method=socket --skip-test-db \
      >"$MARIADB_DIR/install.log" 2>&1 ||
      { cat "$MARIADB_DIR/install.log" >&2; return 1; }
  fi
  # Durability settings suit a throw-away test server, not production.
  mariadbd --no-defaults --user="$user" --datadir="$MARIADB_DIR/data" \
    --socket="$MARIADB_SOCKET" --port="$MARIADB_PORT" --bind-address=127.0.0.1 \
    --pid-file="$MARIADB_DIR/mysqld.pid" --log-error="$MARIADB_DIR/error.log" \
    --skip-name-resolve --character-set-server=utf8mb4 \
    --collation-server=utf8mb4_unicode_ci --default-time-zone=+00:00 \
    --innodb-buffer-pool-size=512M --innodb-log-file-size=256M \
    --innodb-flush-log-at-trx-commit=2 --sync-binlog=0 --max-connections=500 \
    >/dev/null 2>&1 &
  MARIADB_PID=$!
  for _ in $(seq 1 100); do
    if mariadb-admin --no-defaults --socket="$MARIADB_SOCKET" -uroot ping >/dev/null 2>&1; then
      return 0
    fi
    if ! kill -0 "$MARIADB_PID" 2>/dev/null; then
      echo "MariaDB did not start; its log says:" >&2
      tail -20 "$MARIADB_DIR/error.log" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "MariaDB did not answer within 20 s; see $MARIADB_DIR/error.log" >&2
  return 1
}

mariadb_sql() {
  mariadb --no-defaults --socket="$MARIADB_SOCKET" -uroot -e "$1"
}

mariadb_stop() {
  if [ -n "${MARIADB_PID:-}" ] && kill -0 "$MARIADB_PID" 2>/dev/null; then
    mariadb-admin --no-defaults --socket="$MARIADB_SOCKET" -uroot shutdown >/dev/null 2>&1 ||
      kill "$MARIADB_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$MARIADB_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$MARIADB_PID" 2>/dev/null || true
  fi
  MARIADB_PID=
}
