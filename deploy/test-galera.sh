#!/usr/bin/env bash
# Galera test (issue 15): target/alipay-notify.war on a 3-node MariaDB Galera cluster, all on loopback. Three
# mariadbd nodes (deploy/galera/galera.cnf rendered for each), three instances of the WAR in Jetty 12, each pointed
# at its own node, a receiver for the event relay, and a client that delivers signed notifications the way Alipay
# does (redelivering whatever is not answered success). It checks what a cluster changes:
#   - the schema migrations run once when three instances start together (and when their claims are made to
#     collide at certification);
#   a. duplicate storms of the same notifications sent to all three instances at once;
#   b. racing TRADE_SUCCESS / TRADE_FINISHED pairs of the same orders on different nodes;
#   c. a node killed with SIGKILL in the middle of a storm and brought back (it rejoins by IST or SST);
# and then: every notification acknowledged in the end, none acknowledged without its record, exactly one record per
# notify_id, every order in its final state, the same data on all three nodes after the rejoin (checksums), failures
# answered 503 within their bounds (never 500, never a hang), each event delivered (and duplicates counted).
# Run as root on Debian 12 with galera-4, rsync and socat, after `./mvnw -B verify`:  deploy/test-galera.sh
# With --bench it measures throughput instead (one plain MariaDB beside the cluster; BENCHMARKS.md, "Galera"); with
# --repro it runs the reproducer of the lost-abort problem of server-side prepared statements (RELIABILITY.md).
# Every process it starts is stopped on exit (trap), every wait is bounded, only loopback addresses are used, and
# the machine's own MariaDB (3306) is never touched.
set -Eeuo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$ROOT/target/galera-test            # under target/: ./mvnw clean removes it
WAR=$ROOT/target/alipay-notify.war
SAMPLE=$ROOT/deploy/galera/galera.cnf

MODE=test
case "${1:-}" in
  "") ;;
  --bench) MODE=bench ;;
  --repro) MODE=repro ;;
  *) echo "usage: deploy/test-galera.sh [--bench | --repro]" >&2; exit 2 ;;
esac

NODES=3
NODE_PORT=(0 3311 3312 3313)             # index = node number
GCOMM_PORT=(0 4517 4527 4537)
IST_PORT=(0 4518 4528 4538)
SST_PORT=(0 4414 4424 4434)
APP_PORT=(0 28181 28182 28183)
RECEIVER_PORT=28180
SINGLE_PORT=3314 SINGLE_APP_PORT=28184   # --bench only: a plain MariaDB (no wsrep) and an instance on it
DB=alipay_notify
APP_ID=2021000000000001 SELLER_ID=2088000000000001
# Shorter than the defaults (5000 ms, 10 s), so failures come sooner; the bounds below are derived from them.
CONNECTION_TIMEOUT_MS=2000 LOCK_WAIT_S=3
# Galera's own pause when a node vanishes: commits on the others wait until the view excludes it
# (evs.suspect_timeout, PT5S by default, plus the view change). Measured in phase c, bounded here.
VIEW_CHANGE_S=8
SLACK_S=2                                # a loaded 2-core machine: scheduling, GC
BOUND_MS=$(( CONNECTION_TIMEOUT_MS + (LOCK_WAIT_S + SLACK_S) * 1000 ))           # any answer, phases a and b
KILL_BOUND_MS=$(( BOUND_MS + VIEW_CHANGE_S * 1000 ))                             # any answer, phase c
JOIN_TIMEOUT=${JOIN_TIMEOUT:-300}        # seconds for a node to reach Synced (SST included)
READY_TIMEOUT=${READY_TIMEOUT:-180}      # seconds for the three instances to start
DRAIN_TIMEOUT=${DRAIN_TIMEOUT:-180}      # seconds for the relay to deliver every event (an orphaned lease: 90 s)
# The storms (kept light: the machine is small and shared).
DUP_ORDERS=150 DUP_COPIES=6              # a: 900 first deliveries, 6 at once per notification, 2 per instance
RACE_ORDERS=120                          # b: 480 first deliveries, 4 at once per order
STEADY_ORDERS=500 STEADY_RATE=20         # c: 25 s at 20 orders/s, each notification twice at once to one instance
KILL_AFTER_S=8 DOWN_S=5                  # c: node 2 killed 8 s into the storm, started again 5 s later
KILLED=2

# The webapp reads ALIPAY_NOTIFY_* environment variables before its settings file: drop any from the caller's
# environment so the test's files are what the instances see.
for v in $(compgen -e | grep -E '^ALIPAY_NOTIFY_' || true); do unset "$v"; done

STARTED=$(date +%s%3N)
PASS=0 FAIL=0
declare -a FAILED=() PHASES=() FIGURES=()

PHASE_WIDTH=44
# shellcheck source=deploy/harness.sh
. "$ROOT/deploy/harness.sh"
pass() { PASS=$((PASS + 1)); printf '  PASS  %s\n' "$*"; }
fail() { FAIL=$((FAIL + 1)); FAILED+=("$*"); printf '  FAIL  %s\n' "$*" >&2; }
figure() { FIGURES+=("$(printf '%-58s %s' "$1" "$2")"); printf '  figure  %-58s %s\n' "$1" "$2"; }
secs() { if [ "$1" -lt 0 ]; then printf -- '-%s' "$(bc_div $(( -$1 )))"; else bc_div "$1"; fi; }   # ms as seconds
sum() { awk '{ s += $1 } END { print s + 0 }'; }

# ---------------------------------------------------------------------------------------------------------------
stop_all() { # [why]: the JVMs first, then the database nodes, all of a kind at once
  local f pids=() names=() i
  for kind in app receiver storm node single; do
    pids=() names=()
    for f in "$WORK"/run/"$kind"*.pid; do
      [ -s "$f" ] || continue
      if [ -n "${1:-}" ] && kill -0 "$(cat "$f")" 2>/dev/null; then log "stopping $(basename "$f" .pid) (pid $(cat "$f")): $1"; fi
      pids+=("$(cat "$f")") names+=("$(basename "$f" .pid)")
      rm -f "$f"
    done
    # in parallel, waiting only for these stoppers (a bare wait would also wait for the nodes and JVMs still running)
    local stoppers=()
    for i in "${!pids[@]}"; do stop_pid "${names[$i]}" "${pids[$i]}" 90 & stoppers+=($!); done
    for i in "${stoppers[@]}"; do wait "$i" || true; done
  done
}

# mariadb client against node N (0: the --bench single server), with causal reads: a read waits until the node has
# applied every write set the cluster had committed before it (wsrep_sync_wait=1), so checks see other nodes' commits.
nsql() { # node sql...
  local n=$1 port; shift
  if [ "$n" = 0 ]; then port=$SINGLE_PORT; else port=${NODE_PORT[$n]}; fi
  timeout 60 mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$port" -uroot --connect-timeout=5 -N -B "$@"
}
qsql() { local n=$1; shift; nsql "$n" -e "SET SESSION wsrep_sync_wait = 1; $*"; }
status_of() { nsql "$1" -e "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null | cut -f2; }
node_state() { status_of "$1" wsrep_local_state_comment || true; }
node_pid() { cat "$WORK/node$1/mysqld.pid" 2>/dev/null || true; }

cleanup() {
  local rc=$?
  set +e
  trap - ERR
  phase_end
  printf '\n== cleanup\n'
  stop_all
  [ -d "$WORK" ] && log "logs kept in ${WORK#"$ROOT"/}/ (the next run or ./mvnw clean removes them)"
  printf '\n== phase timings\n'; printf '  %s\n' "${PHASES[@]}"
  printf '  %-44s %7.1f s\n' total "$(bc_div $(( $(now_ms) - STARTED )))"
  if [ ${#FIGURES[@]} -gt 0 ]; then printf '\n== figures\n'; printf '  %s\n' "${FIGURES[@]}"; fi
  if [ ${#FAILED[@]} -gt 0 ]; then printf '\nfailed:\n' >&2; printf '  - %s\n' "${FAILED[@]}" >&2; fi
  if [ "$rc" != 0 ] && [ "$FAIL" = 0 ]; then FAIL=1; printf 'aborted (exit %s)\n' "$rc" >&2; fi
  printf '\n%d passed, %d failed\n' "$PASS" "$FAIL"
  [ "$FAIL" = 0 ] && exit 0 || exit 1
}
[ "$(id -u)" = 0 ] || { echo "run as root (the nodes run as the mysql user)" >&2; echo "0 passed, 1 failed"; exit 1; }
mkdir -p "$ROOT/target"
# One run at a time (same ports, same work dir). Processes we start do not inherit fd 9 (9>&-), so a node or JVM
# left behind by a killed run does not hold the lock; the next run stops it (pid files in $WORK/run).
exec 9>"$ROOT/target/.galera-test.lock"
flock -n 9 || { echo "another Galera test is running (lock target/.galera-test.lock)" >&2; echo "0 passed, 1 failed"; exit 1; }

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'echo "unexpected error: line $LINENO: $BASH_COMMAND" >&2' ERR

# ---------------------------------------------------------------------------------------------------------------
phase "prepare"
if [ -d "$WORK/run" ]; then stop_all "left running by an earlier run"; fi
rm -rf "$WORK"
mkdir -p "$WORK"/{run,keys,conf,out,local}

missing=()
[ -f /usr/lib/galera/libgalera_smm.so ] || missing+=("galera-4 (/usr/lib/galera/libgalera_smm.so)")
for cmd in mariadbd:mariadb-server mariadb-install-db:mariadb-server mariadb:mariadb-client rsync:rsync \
           socat:socat wsrep_sst_rsync:mariadb-server openssl:openssl java:openjdk-17-jdk runuser:util-linux \
           flock:util-linux; do
  command -v "${cmd%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${cmd%%:*}" ] || missing+=("${cmd%%:*} (Debian package ${cmd##*:})")
done
id mysql >/dev/null 2>&1 || missing+=("the mysql user (Debian package mariadb-server)")
if [ ${#missing[@]} -gt 0 ]; then
  die "missing on this machine: ${missing[*]}; install them with apt-get install galera-4 rsync socat mariadb-server"
fi
MARIADBD=$(command -v mariadbd || echo /usr/sbin/mariadbd)
log "$("$MARIADBD" --version), $(dpkg-query -W -f='galera-4 ${Version}' galera-4 2>/dev/null || echo 'galera-4')"

ports=("$RECEIVER_PORT")
for ((n = 1; n <= NODES; n++)); do ports+=("${NODE_PORT[$n]}" "${GCOMM_PORT[$n]}" "${IST_PORT[$n]}" "${SST_PORT[$n]}" "${APP_PORT[$n]}"); done
[ "$MODE" = bench ] && ports+=("$SINGLE_PORT" "$SINGLE_APP_PORT")
for p in "${ports[@]}"; do
  # A connection that succeeds means something listens there already (also a listener on 0.0.0.0).
  if timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$p" 2>/dev/null; then die "port $p is already in use on this machine"; fi
done

# The nodes run as mysql (mariadbd refuses root, and rsync SST drops to the server's user): every directory on the
# way to $WORK must be searchable by it, and $WORK readable.
chmod 755 "$ROOT/target" "$WORK"
runuser -u mysql -- test -r "$WORK" -a -x "$WORK" \
  || die "the mysql user cannot reach $WORK: make every parent directory searchable (chmod o+x), or clone elsewhere"

if [ ! -f "$WAR" ]; then
  log "no $WAR: building it (./mvnw -B -q -DskipTests package)"
  timeout 900 "$ROOT/mvnw" -B -q -Dstyle.color=never -f "$ROOT/pom.xml" -DskipTests package >"$WORK/out/mvn-package.log" 2>&1 \
    || { tail -30 "$WORK/out/mvn-package.log"; die "./mvnw package failed"; }
fi
[ -f "$WAR" ] || die "no WAR at $WAR"

# The Java side (the storm client, the migration race, the event receiver, Jetty for the WAR) runs from the test
# class path, built by bin/dev-java the first time (it compiles src/dev and writes target/simulate.classpath).
export ALIPAY_NOTIFY_LOCAL_DIR=$WORK/local   # bin/dev-java passes it on: every JVM's command line names $WORK
dev_java() { "$ROOT/bin/dev-java" "$@"; }
timeout 600 "$ROOT/bin/dev-java" org.alipaynotify.dev.Simulate --help >"$WORK/out/dev-java-build.log" 2>&1 || true
[ -s "$ROOT/target/simulate.classpath" ] || { tail -20 "$WORK/out/dev-java-build.log"; die "bin/dev-java could not build the test class path"; }
CLASSPATH_DEV="$ROOT/target/test-classes:$ROOT/target/classes:$(cat "$ROOT/target/simulate.classpath")"

# ---------------------------------------------------------------------------------------------------------------
phase "keys and settings"
K=$WORK/keys
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -keyout "$K/alipay-key.raw.pem" \
  -out "$K/alipayCertPublicKey_RSA2.crt" -subj "/C=CN/O=galera test/OU=Alipay/CN=Test Alipay-$SELLER_ID" \
  2>"$WORK/out/openssl.log" || die "openssl: Alipay sandbox certificate"
openssl pkcs8 -topk8 -nocrypt -in "$K/alipay-key.raw.pem" -out "$K/alipay-key.pem" || die "openssl pkcs8"
chmod 600 "$K"/*.pem
EVENTS_SECRET=$(openssl rand -hex 32)
instance_config() { # file port [relay]
  cat >"$1" <<EOF
# Written by deploy/test-galera.sh: one instance, its own database node.
alipay.app-id=$APP_ID
alipay.seller-id=$SELLER_ID
alipay.cert-path=$K/alipayCertPublicKey_RSA2.crt
db.url=jdbc:mysql://127.0.0.1:$2/$DB
db.user=root
db.password=
# Shorter than the defaults (5000, 10) so that failures come sooner; the test's answer bounds are derived from them.
db.connection-timeout-ms=$CONNECTION_TIMEOUT_MS
db.lock-wait-timeout-seconds=$LOCK_WAIT_S
EOF
  if [ "${3:-}" = relay ]; then
    cat >>"$1" <<EOF
events.forward-url=http://127.0.0.1:$RECEIVER_PORT/events
events.secret=$EVENTS_SECRET
events.retry-schedule=1s,2s,5s,10s,20s
# 3 s: with 1 s a cold, busy receiver answered the first events too late and the relay sent them again
# (at least once, as documented, but noise here). The lease is 2 x 3 s x 10 + 30 s = 90 s.
events.timeout-ms=3000
EOF
  fi
  chmod 600 "$1"
}
relay=relay; [ "$MODE" = bench ] && relay=""
for ((n = 1; n <= NODES; n++)); do instance_config "$WORK/conf/instance$n.properties" "${NODE_PORT[$n]}" $relay; done
log "keys in $K, settings in $WORK/conf (connection timeout $CONNECTION_TIMEOUT_MS ms, lock wait $LOCK_WAIT_S s)"

# ---------------------------------------------------------------------------------------------------------------
# A node: this test's own server settings (paths, ports, small memory) followed by deploy/galera/galera.cnf rendered
# with the node's values. Nothing of /etc/mysql is read (--defaults-file).
render_node() { # n
  local n=$1 d=$WORK/node$1 addr="" i
  for ((i = 1; i <= NODES; i++)); do addr+="${addr:+,}127.0.0.1:${GCOMM_PORT[$i]}"; done
  mkdir -p "$d/data"
  cat >"$d/my.cnf" <<EOF
# deploy/test-galera.sh, node $n: test-only settings, then deploy/galera/galera.cnf rendered below.
[mysqld]
user=mysql
datadir=$d/data
socket=$d/mysqld.sock
pid-file=$d/mysqld.pid
log-error=$d/error.log
port=${NODE_PORT[$n]}
bind-address=127.0.0.1
innodb_buffer_pool_size=64M
innodb_log_file_size=32M
performance_schema=OFF
max_connections=200
# every certification conflict and brute-force abort, with the locks involved, in error.log
wsrep_log_conflicts=ON
EOF
  sed -e "s|@CLUSTER_NAME@|alipay-notify-galera-test|" -e "s|@CLUSTER_ADDRESS@|$addr|" \
      -e "s|@NODE_NAME@|node$n|" -e "s|@NODE_ADDRESS@|127.0.0.1|" -e "s|@SST_ADDRESS@|127.0.0.1:${SST_PORT[$n]}|" \
      -e "s|@PROVIDER_OPTIONS@|gmcast.listen_addr=tcp://127.0.0.1:${GCOMM_PORT[$n]};ist.recv_addr=127.0.0.1:${IST_PORT[$n]};gcache.size=64M|" \
      "$SAMPLE" >>"$d/my.cnf"
  if grep -v '^\s*#' "$d/my.cnf" | grep -q '@[A-Z_]*@'; then die "placeholder left in $d/my.cnf"; fi
  chown -R mysql:mysql "$d"
  chmod 755 "$d"
}
start_node() { # n [extra mariadbd args]
  local n=$1; shift
  (exec "$MARIADBD" --defaults-file="$WORK/node$n/my.cnf" "$@" >>"$WORK/node$n/stdout.log" 2>&1 9>&-) &
  echo $! >"$WORK/run/node$n.pid"
}
wait_synced() { # n timeout-seconds -> 0 when Synced
  local n=$1 deadline=$(( $(date +%s) + $2 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    [ "$(node_state "$n")" = Synced ] && return 0
    kill -0 "$(cat "$WORK/run/node$n.pid" 2>/dev/null || echo 0)" 2>/dev/null || { tail -20 "$WORK/node$n/error.log" >&2; return 1; }
    sleep 0.2
  done
  tail -20 "$WORK/node$n/error.log" >&2
  return 1
}

phase "cluster: 3 nodes"
for ((n = 1; n <= NODES; n++)); do render_node "$n"; done
timeout 120 mariadb-install-db --defaults-file="$WORK/node1/my.cnf" --auth-root-authentication-method=normal \
  --skip-test-db >"$WORK/out/install-db.log" 2>&1 || { tail -20 "$WORK/out/install-db.log"; die "mariadb-install-db failed"; }
t0=$(now_ms)
start_node 1 --wsrep-new-cluster
wait_synced 1 "$JOIN_TIMEOUT" || die "node 1 did not reach Synced (log: $WORK/node1/error.log)"
log "node 1 bootstrapped the cluster in $(( $(now_ms) - t0 )) ms"
t0=$(now_ms)
for ((n = 2; n <= NODES; n++)); do start_node "$n"; done   # empty data directories: each receives a full SST
for ((n = 2; n <= NODES; n++)); do
  wait_synced "$n" "$JOIN_TIMEOUT" || die "node $n did not reach Synced (log: $WORK/node$n/error.log)"
done
JOIN_MS=$(( $(now_ms) - t0 ))
for ((n = 1; n <= NODES; n++)); do
  check "node $n: Synced, cluster size 3, wsrep_ready ON" \
    test "$(node_state "$n") $(status_of "$n" wsrep_cluster_size) $(status_of "$n" wsrep_ready)" = "Synced 3 ON"
done
figure "cluster: nodes 2 and 3 joined by SST (s)" "$(secs "$JOIN_MS")"
check "the nodes use the sample's settings (binlog_format ROW, autoinc lock mode 2, sync wait 0)" \
  test "$(nsql 1 -e 'SELECT CONCAT_WS(" ", @@binlog_format, @@innodb_autoinc_lock_mode, @@wsrep_sync_wait, @@wsrep_retry_autocommit)')" = "ROW 2 0 1"

# ---------------------------------------------------------------------------------------------------------------
if [ "$MODE" = repro ]; then
phase "repro: a conflict's lost abort, by driver settings"
servers=""; for ((n = 1; n <= NODES; n++)); do servers+="${servers:+,}jdbc:mysql://127.0.0.1:${NODE_PORT[$n]}/"; done
for spec in "server-side, not cached|useServerPrepStmts=true&cachePrepStmts=false" \
            "server-side, cached (the pool's settings for one server)|useServerPrepStmts=true&cachePrepStmts=true&prepStmtCacheSize=32&prepStmtCacheSqlLimit=2048&useLocalSessionState=true" \
            "client-side (the pool's settings on Galera)|useServerPrepStmts=false&cachePrepStmts=true&prepStmtCacheSize=32&prepStmtCacheSqlLimit=2048&useLocalSessionState=true"; do
  label=${spec%%|*} driver=${spec#*|}
  timeout 900 java -cp "$CLASSPATH_DEV" -Dgalera-test="$WORK" org.alipaynotify.bench.GaleraAbortRepro --nodes "$servers" \
    --rounds "${REPRO_ROUNDS:-400}" --driver "$driver" >"$WORK/out/repro.log" 2>&1 9>&- \
    || { tail -20 "$WORK/out/repro.log"; die "the reproducer failed"; }
  sed 's/^/  /' "$WORK/out/repro.log"
  r() { grep -m1 "^$1=" "$WORK/out/repro.log" | cut -d= -f2; }
  figure "repro, $label" "$(r rounds) rounds: $(r partly_committed) partly committed, $(r rows_with_two_or_more_events) rows with 2+ events"
done
phase_end
exit 0
fi

if [ "$MODE" = test ]; then
phase "migrations: claims collide at certification"
# Three threads, one per node, claim every version at the same instant (each claim waits for the next whole second);
# the losers' sessions have wsrep_retry_autocommit=0, so they see the certification failure (1213) itself.
servers=""; for ((n = 1; n <= NODES; n++)); do servers+="${servers:+,}jdbc:mysql://127.0.0.1:${NODE_PORT[$n]}/"; done
timeout 300 java -cp "$CLASSPATH_DEV" -Dgalera-test="$WORK" org.alipaynotify.boot.MigrationRace --servers "$servers" \
  --database alipay_notify_race --retry-autocommit 0 >"$WORK/out/migration-race.log" 2>&1 9>&- \
  || { tail -20 "$WORK/out/migration-race.log"; die "the migration race did not run"; }
race() { grep -m1 "^$1=" "$WORK/out/migration-race.log" | cut -d= -f2-; }
grep -E '^(versions|applied_per_node|claims_tried|claims_lost|lost_1213|lost_1062|waited|error)=' "$WORK/out/migration-race.log" | sed 's/^/  /'
check "race: no instance failed ($(race error))" test -z "$(race error)"
check "race: each of the $(race versions) versions applied by exactly one of the three ($(race applied_per_node))" test "$(race applied_once)" = yes
check "race: claims collided: $(race claims_lost) lost, $(race lost_1213) of them with error 1213 (certification)" \
  test "$(race lost_1213)" -ge 1
for ((n = 1; n <= NODES; n++)); do
  check "race: node $n's history holds V1..V$(race versions), each once, 'success'" \
    test "$(qsql "$n" "SELECT CONCAT(COUNT(*), ' ', COUNT(DISTINCT version), ' ', SUM(status = 'success'), ' ', MAX(version)) FROM alipay_notify_race.alipay_notify_schema_history")" \
         = "$(race versions) $(race versions) $(race versions) $(race versions)"
done
figure "migration race: claims tried / lost (1213, 1062)" "$(race claims_tried) / $(race claims_lost) ($(race lost_1213), $(race lost_1062))"
nsql 1 -e "DROP DATABASE alipay_notify_race"
fi

# ---------------------------------------------------------------------------------------------------------------
start_app() { # n port config db-port
  local n=$1
  (ALIPAY_NOTIFY_CONFIG=$3 exec java -Xms128m -Xmx256m -XX:+UseSerialGC \
     -Dlog4j2.configurationFile="$ROOT/target/classes/log4j2.xml" -cp "$CLASSPATH_DEV" \
     org.alipaynotify.bench.BenchServer war "$WAR" "$2" "$K/alipayCertPublicKey_RSA2.crt" "jdbc:mysql://127.0.0.1:$4/$DB" \
     >"$WORK/out/instance$n.log" 2>&1 9>&-) &
  echo $! >"$WORK/run/app$n.pid"
}
wait_ready() { # n port -> sets READY_MS
  local n=$1 port=$2 t0=$3 code deadline=$(( $(date +%s) + READY_TIMEOUT ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/alipay/health") || true
    if [ "$code" = 200 ]; then READY_MS=$(( $(now_ms) - t0 )); return 0; fi
    kill -0 "$(cat "$WORK/run/app$n.pid")" 2>/dev/null || { tail -30 "$WORK/out/instance$n.log" >&2; return 1; }
    if grep -q 'alipay-notify cannot start' "$WORK/out/instance$n.log"; then
      grep -m1 -o 'alipay-notify cannot start.*' "$WORK/out/instance$n.log" | cut -c1-400 >&2; return 1
    fi
    sleep 0.25
  done
  return 1
}

phase "three instances start together"
nsql 1 -e "CREATE DATABASE $DB CHARACTER SET utf8mb4"
if [ "$MODE" = test ]; then
  (exec "$ROOT/bin/dev-java" org.alipaynotify.dev.ReceiveEvents --port "$RECEIVER_PORT" --secret "$EVENTS_SECRET" \
     >"$WORK/out/events.log" 2>&1 9>&-) &
  echo $! >"$WORK/run/receiver.pid"
fi
t0=$(now_ms)
for ((n = 1; n <= NODES; n++)); do start_app "$n" "${APP_PORT[$n]}" "$WORK/conf/instance$n.properties" "${NODE_PORT[$n]}"; done
READY=()
for ((n = 1; n <= NODES; n++)); do
  wait_ready "$n" "${APP_PORT[$n]}" "$t0" || die "instance $n did not start (log: $WORK/out/instance$n.log)"
  READY+=("$READY_MS")
done
pass "the three instances answer /alipay/health 200 (after ${READY[*]} ms)"
for ((n = 1; n <= NODES; n++)); do
  check "instance $n saw a Galera node and uses client-side prepared statements (its log says so)" \
    grep -q 'The database is a Galera node (wsrep_on=ON): client-side prepared statements' "$WORK/out/instance$n.log"
done
if [ "$MODE" = test ]; then
  for _ in $(seq 1 100); do grep -q 'Receiving events' "$WORK/out/events.log" && break; sleep 0.2; done
  grep -q 'Receiving events' "$WORK/out/events.log" || die "the event receiver did not start (log: $WORK/out/events.log)"
  # Warm the receiver up (unsigned posts it refuses): a cold JVM answers its first requests slowly.
  for _ in 1 2 3 4 5; do curl -s -o /dev/null --max-time 5 -d '{}' "http://127.0.0.1:$RECEIVER_PORT/events" || true; done
fi
versions=$(ls "$ROOT"/src/main/resources/db/migration/V*__*.sql | wc -l)
applied_lines=$(cat "$WORK"/out/instance{1,2,3}.log | grep -oE 'Schema migration V[0-9]+ \([^)]*\) applied in' | sort)
check "each of the $versions migrations was applied by exactly one instance (log lines: $(grep -c . <<<"$applied_lines"))" \
  test "$(grep -c . <<<"$applied_lines")/$(sort -u <<<"$applied_lines" | grep -c .)" = "$versions/$versions"
for ((n = 1; n <= NODES; n++)); do
  check "node $n: the history holds V1..V$versions once each, 'success'" \
    test "$(qsql "$n" "SELECT CONCAT(COUNT(*), ' ', SUM(status = 'success'), ' ', MAX(version)) FROM $DB.alipay_notify_schema_history")" \
         = "$versions $versions $versions"
done
waits=$(cat "$WORK"/out/instance{1,2,3}.log | grep -c 'is being applied by' || true)
lost=$(cat "$WORK"/out/instance{1,2,3}.log | grep -c 'claimed it first' || true)
figure "simultaneous start: instances waited for another's migration / lost claims" "$waits / $lost"
figure "simultaneous start: ready after (ms)" "${READY[*]}"

# ---------------------------------------------------------------------------------------------------------------
TARGETS=""; DBS=""
for ((n = 1; n <= NODES; n++)); do
  TARGETS+="${TARGETS:+,}http://127.0.0.1:${APP_PORT[$n]}/alipay/notify"
  DBS+="${DBS:+,}jdbc:mysql://127.0.0.1:${NODE_PORT[$n]}/$DB"
done
RUN_ID=$(date +%H%M%S)
storm() { # name scenario prefix args... (foreground)
  local name=$1 scenario=$2 prefix=$3; shift 3
  timeout 600 java -Xmx512m -cp "$CLASSPATH_DEV" org.alipaynotify.bench.ClusterStorm --scenario "$scenario" \
    --targets "$TARGETS" --db "$DBS" --key "$K/alipay-key.pem" --prefix "$prefix" --out "$WORK/out/$name" "$@" \
    >"$WORK/out/$name.log" 2>&1 9>&-
}
val() { grep -m1 "^$2=" "$WORK/out/$1/summary.txt" | cut -d= -f2-; }

# What must hold after each storm, from the client's summary and from every node.
storm_checks() { # name prefix final-state bound-ms records-per-order events-per-order
  local name=$1 prefix=$2 state=$3 bound=$4 per=$5 events=$6 n f=$WORK/out/$1
  local notes; notes=$(val "$name" notifications)
  check "$name: every notification acknowledged in the end ($(val "$name" acked_notifications)/$notes; $(val "$name" chains_acked)/$(val "$name" chains) delivery chains)" \
    test "$(val "$name" finished) $(val "$name" acked_notifications) $(val "$name" chains_acked) $(val "$name" chains_exhausted)" = "yes $notes $(val "$name" chains) 0"
  check "$name: failures were 503 only: none 500 ($(val "$name" answered_500)), none other ($(val "$name" answered_other)), no hang ($(val "$name" timeouts)), no connection error ($(val "$name" io_errors))" \
    test "$(val "$name" answered_500)$(val "$name" answered_other)$(val "$name" timeouts)$(val "$name" io_errors)" = 0000
  check "$name: every answer within $bound ms (slowest success $(val "$name" max_ms_success) ms, slowest failure $(val "$name" max_ms_failure) ms)" \
    test "$(val "$name" max_ms_success)" -le "$bound" -a "$(val "$name" max_ms_failure)" -le "$bound"
  for ((n = 1; n <= NODES; n++)); do
    qsql "$n" "SELECT notify_id FROM $DB.alipay_notify WHERE out_trade_no LIKE '$prefix-%'" | LC_ALL=C sort >"$f/records-node$n.txt"
    LC_ALL=C sort "$f/acked.txt" >"$f/acked.sorted"
    LC_ALL=C sort "$f/sent.txt" >"$f/sent.sorted"
    check "$name: node $n has exactly one record per notification ($(grep -c . "$f/records-node$n.txt") records, $notes sent, $(LC_ALL=C sort -u "$f/records-node$n.txt" | grep -c .) distinct)" \
      cmp -s "$f/records-node$n.txt" "$f/sent.sorted"
    check "$name: node $n: none acknowledged without its record ($(LC_ALL=C comm -23 "$f/acked.sorted" "$f/records-node$n.txt" | grep -c . || true) missing)" \
      test -z "$(LC_ALL=C comm -23 "$f/acked.sorted" "$f/records-node$n.txt")"
    check "$name: node $n: every order $state, paid, with $per notification record(s)" \
      test "$(qsql "$n" "SELECT CONCAT(COUNT(*), ' ', SUM(o.trade_status = '$state' AND o.paid = 1 AND o.last_notify_id IS NOT NULL AND o.needs_attention = 0), ' ', SUM((SELECT COUNT(*) FROM $DB.alipay_notify r WHERE r.out_trade_no = o.out_trade_no) = $per)) FROM $DB.alipay_order o WHERE o.out_trade_no LIKE '$prefix-%'")" \
           = "$(( notes / per )) $(( notes / per )) $(( notes / per ))"
    # A transaction that lost a conflict must leave nothing: one event of each kind per order, never two.
    check "$name: node $n: every order has exactly $events event(s), none of a kind twice" \
      test "$(qsql "$n" "SELECT CONCAT(COUNT(*), ' ', SUM(kinds = n)) FROM (SELECT aggregateid, COUNT(*) n, COUNT(DISTINCT type) kinds FROM $DB.alipay_notify_event WHERE aggregateid LIKE '$prefix-%' GROUP BY aggregateid) e WHERE n = $events")" \
           = "$(( notes / per )) $(( notes / per ))"
  done
}

if [ "$MODE" = test ]; then
phase "a: duplicate storm on all three instances"
cert_before=$(for ((n = 1; n <= NODES; n++)); do status_of "$n" wsrep_local_cert_failures; done | sum)
bf_before=$(for ((n = 1; n <= NODES; n++)); do status_of "$n" wsrep_local_bf_aborts; done | sum)
storm a-duplicates duplicates "dup$RUN_ID" --orders "$DUP_ORDERS" --copies "$DUP_COPIES" --in-flight 4 \
  || { tail -20 "$WORK/out/a-duplicates.log"; die "the storm client failed (log: $WORK/out/a-duplicates.log)"; }
storm_checks a-duplicates "dup$RUN_ID" TRADE_SUCCESS "$BOUND_MS" 1 1
cert_a=$(( $(for ((n = 1; n <= NODES; n++)); do status_of "$n" wsrep_local_cert_failures; done | sum) - cert_before ))
bf_a=$(( $(for ((n = 1; n <= NODES; n++)); do status_of "$n" wsrep_local_bf_aborts; done | sum) - bf_before ))
figure "a: first deliveries answered 503 / all first deliveries" "$(val a-duplicates first_failed) / $(val a-duplicates first_deliveries)"
figure "a: redeliveries until all acknowledged; most tries of one" "$(val a-duplicates redeliveries); $(val a-duplicates max_attempts)"
figure "a: Galera: certification failures / brute-force aborts" "$cert_a / $bf_a"
figure "a: p50 / p99 / slowest failure (ms)" "$(val a-duplicates p50_ms) / $(val a-duplicates p99_ms) / $(val a-duplicates max_ms_failure)"

phase "b: racing TRADE_SUCCESS / TRADE_FINISHED pairs"
cert_before=$(for ((n = 1; n <= NODES; n++)); do status_of "$n" wsrep_local_cert_failures; done | sum)
bf_before=$(for ((n = 1; n <= NODES; n++)); do status_of "$n" wsrep_local_bf_aborts; done | sum)
storm b-race race "race$RUN_ID" --orders "$RACE_ORDERS" --in-flight 6 \
  || { tail -20 "$WORK/out/b-race.log"; die "the storm client failed (log: $WORK/out/b-race.log)"; }
storm_checks b-race "race$RUN_ID" TRADE_FINISHED "$BOUND_MS" 2 2
cert_b=$(( $(for ((n = 1; n <= NODES; n++)); do status_of "$n" wsrep_local_cert_failures; done | sum) - cert_before ))
bf_b=$(( $(for ((n = 1; n <= NODES; n++)); do status_of "$n" wsrep_local_bf_aborts; done | sum) - bf_before ))
figure "b: first deliveries answered 503 / all first deliveries" "$(val b-race first_failed) / $(val b-race first_deliveries)"
figure "b: redeliveries until all acknowledged; most tries of one" "$(val b-race redeliveries); $(val b-race max_attempts)"
figure "b: Galera: certification failures / brute-force aborts" "$cert_b / $bf_b"

phase "c: node $KILLED killed (SIGKILL) mid-storm, brought back"
storm_pid=""
( exec timeout 600 java -Xmx512m -cp "$CLASSPATH_DEV" org.alipaynotify.bench.ClusterStorm --scenario steady \
    --targets "$TARGETS" --db "$DBS" --key "$K/alipay-key.pem" --prefix "kill$RUN_ID" --out "$WORK/out/c-kill" \
    --orders "$STEADY_ORDERS" --rate "$STEADY_RATE" --copies 2 --same-instance true >"$WORK/out/c-kill.log" 2>&1 9>&- ) &
storm_pid=$!
echo "$storm_pid" >"$WORK/run/storm.pid"
for _ in $(seq 1 600); do [ -s "$WORK/out/c-kill/started" ] && break; sleep 0.1; done
[ -s "$WORK/out/c-kill/started" ] || die "the steady storm did not start (log: $WORK/out/c-kill.log)"
storm_started=$(cat "$WORK/out/c-kill/started")
wait_ms=$(( KILL_AFTER_S * 1000 - ( $(now_ms) - storm_started ) ))
[ "$wait_ms" -le 0 ] || sleep "$(secs "$wait_ms")"
victim=$(node_pid "$KILLED")
ours "$victim" || die "node $KILLED's pid $victim is not ours"
kill_ms=$(now_ms); kill -KILL "$victim"
log "node $KILLED (pid $victim) killed with SIGKILL $(( kill_ms - storm_started )) ms into the storm"
size_ms=""
for _ in $(seq 1 300); do
  if [ "$(status_of 1 wsrep_cluster_size)" = 2 ]; then size_ms=$(now_ms); break; fi
  sleep 0.1
done
[ -n "$size_ms" ] && log "the cluster saw 2 members $(( size_ms - kill_ms )) ms after the kill"
sleep "$DOWN_S"
rm -f "$WORK/run/node$KILLED.pid"
restart_ms=$(now_ms)
start_node "$KILLED"                          # same --defaults-file: it recovers, then asks the others for IST/SST
wait_synced "$KILLED" "$JOIN_TIMEOUT" || die "node $KILLED did not rejoin (log: $WORK/node$KILLED/error.log)"
synced_ms=$(now_ms)
log "node $KILLED Synced again $(( synced_ms - restart_ms )) ms after its restart"
deadline=$(( $(date +%s) + 400 ))
while kill -0 "$storm_pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.5; done
wait "$storm_pid" || { tail -20 "$WORK/out/c-kill.log"; die "the storm client failed (log: $WORK/out/c-kill.log)"; }
rm -f "$WORK/run/storm.pid"
if grep -q 'IST received' "$WORK/node$KILLED/error.log"; then transfer=IST; else transfer=SST; fi
check "node $KILLED rejoined: Synced, cluster size 3 on every node (state transfer: $transfer)" \
  test "$(for ((n = 1; n <= NODES; n++)); do printf '%s%s ' "$(node_state "$n")" "$(status_of "$n" wsrep_cluster_size)"; done)" = "Synced3 Synced3 Synced3 "
storm_checks c-kill "kill$RUN_ID" TRADE_SUCCESS "$KILL_BOUND_MS" 1 1
figure "c: first deliveries answered 503 / all first deliveries" "$(val c-kill first_failed) / $(val c-kill first_deliveries)"
# How long the node loss was felt, per instance, from its own log lines: the answers 503 that were not a lost
# conflict (a pool that timed out, a connection lost, a node not ready), first and last, relative to the kill. The
# conflicts are counted apart: a delivery that failed on node 2 is redelivered to node 3 while its twin may still
# be waiting on node 2.
for ((n = 1; n <= NODES; n++)); do
  grep -E 'notify_id=kill[^ ]* .*outcome=DATABASE_ERROR' "$WORK/out/instance$n.log" >"$WORK/out/c-errors-$n.log" || true
  loss=$(grep -vc 'reason="conflict: ' "$WORK/out/c-errors-$n.log" || true)
  conflicts=$(grep -c 'reason="conflict: ' "$WORK/out/c-errors-$n.log" || true)
  span=none
  if [ "$loss" -gt 0 ]; then
    t1=$(grep -v 'reason="conflict: ' "$WORK/out/c-errors-$n.log" | awk 'NR == 1 { print $1 }')
    t2=$(grep -v 'reason="conflict: ' "$WORK/out/c-errors-$n.log" | awk 'END { print $1 }')
    span="answered from $(secs $(( $(date -d "$t1" +%s%3N) - kill_ms ))) to $(secs $(( $(date -d "$t2" +%s%3N) - kill_ms ))) s after the kill"
  fi
  figure "c: instance $n: 503 for the node loss / conflicts / deliveries" \
    "$loss / $conflicts / $(val c-kill "instance${n}_deliveries"); $span; slowest answer $(val c-kill "instance${n}_max_ms") ms"
done
# Before the kill no order had deliveries on two nodes: conflicts then come from elsewhere (node error logs:
# wsrep_log_conflicts).
kill_hms=$(date -u -d "@$(( kill_ms / 1000 ))" +%H:%M:%S).$(printf '%03d' $(( kill_ms % 1000 )))
early=$(cat "$WORK"/out/c-errors-{1,2,3}.log | grep 'reason="conflict: ' | awk -v k="$kill_hms" 'substr($1, 12, 12) < k' | grep -c . || true)
figure "c: conflicts before the kill (no order on two nodes then)" "$early"
figure "c: cluster size 2 after the kill (s)" "${size_ms:+$(secs $(( size_ms - kill_ms )))}"
figure "c: node $KILLED down (s), Synced again after restart (s), by" "$(secs $(( restart_ms - kill_ms ))), $(secs $(( synced_ms - restart_ms ))), $transfer"
figure "c: redeliveries until all acknowledged; most tries of one" "$(val c-kill redeliveries); $(val c-kill max_attempts)"

phase "events: the relay of three instances"
events_expected=$(( DUP_ORDERS + 2 * RACE_ORDERS + STEADY_ORDERS ))
deadline=$(( $(date +%s) + DRAIN_TIMEOUT )); left=""
while [ "$(date +%s)" -lt "$deadline" ]; do
  left=$(qsql 1 "SELECT COUNT(*) FROM $DB.alipay_notify_event WHERE status <> 'DELIVERED'") || left=""
  [ "$left" = 0 ] && break
  sleep 1
done
drained_ms=$(( $(now_ms) - PHASE_START ))
check "every event delivered within $DRAIN_TIMEOUT s (undelivered: ${left:-?}, after $(secs "$drained_ms") s)" test "$left" = 0
sleep 1   # the receiver prints after answering
grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]* [A-Z]+ [0-9a-f-]{36} \(' "$WORK/out/events.log" >"$WORK/out/events.lines" || true
received=$(grep -c . "$WORK/out/events.lines" || true)
awk '{print $3}' "$WORK/out/events.lines" | LC_ALL=C sort >"$WORK/out/events.received"
LC_ALL=C sort -u "$WORK/out/events.received" >"$WORK/out/events.distinct"
qsql 1 "SELECT id FROM $DB.alipay_notify_event" | LC_ALL=C sort >"$WORK/out/events.table"
duplicates=$(( received - $(grep -c . "$WORK/out/events.distinct" || true) ))
check "the outbox holds the expected events: $events_expected (PAID for every order, FINISHED for the racing ones)" \
  test "$(qsql 1 "SELECT CONCAT(COUNT(*), ' ', SUM(type = 'PAID'), ' ', SUM(type = 'FINISHED')) FROM $DB.alipay_notify_event")" \
       = "$events_expected $(( DUP_ORDERS + RACE_ORDERS + STEADY_ORDERS )) $RACE_ORDERS"
check "every event in the outbox was received, and nothing else ($(grep -c . "$WORK/out/events.distinct" || true) distinct ids received)" \
  cmp -s "$WORK/out/events.distinct" "$WORK/out/events.table"
check "every event's signature held at the receiver" test "$(grep -vc '(signature OK)' "$WORK/out/events.lines" || true)" = 0
check "no event parked (DEAD)" test "$(qsql 1 "SELECT COUNT(*) FROM $DB.alipay_notify_event WHERE status = 'DEAD'")" = 0
uniq -d "$WORK/out/events.received" >"$WORK/out/events.duplicated"
figure "events: received / distinct / duplicates (at least once)" "$received / $(grep -c . "$WORK/out/events.distinct" || true) / $duplicates"
if [ "$duplicates" -gt 0 ]; then
  # Why each was delivered again: what the relays logged about it (a timed-out delivery the receiver did take, a
  # lease that ran out after its instance lost its node ...).
  while read -r id; do
    printf '  delivered more than once: %s; the relays logged:\n' "$id"
    grep -h "$id" "$WORK"/out/instance{1,2,3}.log | cut -c1-220 | sed 's/^/    /' || echo "    (nothing)"
  done < <(head -5 "$WORK/out/events.duplicated")
fi
relay_conflicts=$(cat "$WORK"/out/instance{1,2,3}.log | grep -c 'Event relay: another instance claimed the same events first' || true)
relay_warnings=$(cat "$WORK"/out/instance{1,2,3}.log | grep -c 'WARN .*Event relay' || true)
figure "events: relay claims lost to another instance / relay warnings" "$relay_conflicts / $relay_warnings"

phase "the three nodes agree"
deadline=$(( $(date +%s) + 120 ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  lc=$(for ((n = 1; n <= NODES; n++)); do status_of "$n" wsrep_last_committed; done | sort -u | grep -c .)
  [ "$lc" = 1 ] && break
  sleep 0.5
done
check "every node applied the same last write set (wsrep_last_committed $(status_of 1 wsrep_last_committed))" test "$lc" = 1
# The relevant columns of every table, in primary-key order, hashed per node.
declare -A SUMS=(
  [alipay_order]="out_trade_no, total_amount, trade_status, paid, trade_no, buyer_id, seller_id, gmt_payment, receipt_amount, buyer_pay_amount, refund_fee, gmt_refund, gmt_close, needs_attention, attention_reason, last_notify_id, app_id, created_at, updated_at|out_trade_no"
  [alipay_notify]="id, notify_id, out_trade_no, app_id, trade_no, trade_status, outcome, reason, notify_time, charset, remote_addr, MD5(raw_body), received_at|id"
  [alipay_notify_event]="seq, id, aggregatetype, aggregateid, type, MD5(payload), notify_id, created_at, status, attempts, delivered_at|seq"
  [alipay_notify_schema_history]="version, description, script, status, started_at, finished_at, applied_by|version"
  [alipay_notify_unmatched]="id, notify_id, deliveries|id"
  [alipay_notify_refused]="id, outcome, claimed_notify_id, deliveries|id"
  [alipay_trade]="out_trade_no, trade_status, paid, trade_no, refund_fee, last_notify_id|out_trade_no"
)
for table in alipay_order alipay_notify alipay_notify_event alipay_notify_schema_history alipay_notify_unmatched \
             alipay_notify_refused alipay_trade; do
  cols=${SUMS[$table]%|*} key=${SUMS[$table]#*|}
  sums=()
  for ((n = 1; n <= NODES; n++)); do
    sums+=("$(nsql "$n" -e "SET SESSION wsrep_sync_wait = 1; SET SESSION group_concat_max_len = 1073741824;
      SELECT CONCAT(COUNT(*), ' ', IFNULL(SHA2(GROUP_CONCAT(CONCAT_WS('|', $(sed -E 's/([^,]+)/IFNULL(\1, "~")/g' <<<"$cols")) ORDER BY $key SEPARATOR '\n'), 256), '-')) FROM $DB.$table")")
  done
  check "$table: rows and checksum identical on the three nodes (${sums[0]:0:24}...)" \
    test "${sums[0]}" = "${sums[1]}" -a "${sums[1]}" = "${sums[2]}" -a -n "${sums[0]}"
done
figure "rows on every node: orders / notification records / events" \
  "$(qsql 1 "SELECT CONCAT((SELECT COUNT(*) FROM $DB.alipay_order), ' / ', (SELECT COUNT(*) FROM $DB.alipay_notify), ' / ', (SELECT COUNT(*) FROM $DB.alipay_notify_event))")"
bytes=$(for ((n = 1; n <= NODES; n++)); do status_of "$n" wsrep_replicated_bytes; done | sum)
sets=$(for ((n = 1; n <= NODES; n++)); do status_of "$n" wsrep_replicated; done | sum)
[ "${sets:-0}" -gt 0 ] && figure "write sets replicated (since each node's start) / mean bytes" "$sets / $(( bytes / sets ))"

phase "instance logs"
cat "$WORK"/out/instance{1,2,3}.log >"$WORK/out/instances.log"
check "no 500: no INTERNAL_ERROR line and no 'Unexpected failure' in the three instances' logs" \
  test "$(grep -cE 'outcome=INTERNAL_ERROR|Unexpected failure' "$WORK/out/instances.log" || true)" = 0
grep -oE 'outcome=DATABASE_ERROR reason="[^"]*"' "$WORK/out/instances.log" \
  | sed -E 's/reason="(conflict: [^(]*|[^:(,]*).*/\1/' | sort | uniq -c | sort -rn >"$WORK/out/database-errors.txt" || true
echo "  DATABASE_ERROR answers by reason (all phases; out/database-errors.txt):"
sed 's/^/    /' "$WORK/out/database-errors.txt"
conflict_lines=$(grep -cE 'WARN .*outcome=DATABASE_ERROR reason="conflict: ' "$WORK/out/instances.log" || true)
check "certification conflicts are logged as WARN with a retryable reason ($conflict_lines lines)" \
  test "$(grep -cE 'ERROR .*outcome=DATABASE_ERROR reason="conflict: ' "$WORK/out/instances.log" || true)" = 0
fi

# ---------------------------------------------------------------------------------------------------------------
if [ "$MODE" = bench ]; then
bench() { # label targets dbs pids
  timeout 900 java -Xmx1g -cp "$CLASSPATH_DEV" -Dgalera-test="$WORK" org.alipaynotify.bench.ClusterBench --label "$1" \
    --targets "$2" --db "$3" --pids "$4" --key "$K/alipay-key.pem" --prefix "b$(date +%H%M%S)" \
    --warmup "${BENCH_WARMUP:-15000}" --count "${BENCH_COUNT:-10000}" --concurrency "${BENCH_CONCURRENCY:-32}" \
    >"$WORK/out/bench-$1.log" 2>&1 9>&- || { tail -20 "$WORK/out/bench-$1.log"; die "bench $1 failed"; }
  local per p99 cpu
  per=$(grep -m1 '^per_s=' "$WORK/out/bench-$1.log" | cut -d= -f2) p99=$(grep -m1 '^p99_ms=' "$WORK/out/bench-$1.log" | cut -d= -f2)
  p50=$(grep -m1 '^p50_ms=' "$WORK/out/bench-$1.log" | cut -d= -f2) cpu=$(grep -m1 '^cpu_us_per_notification=' "$WORK/out/bench-$1.log" | cut -d= -f2)
  figure "bench $1: per s, p50 / p99 ms, CPU µs per notification" "$per, $p50 / $p99, $cpu"
}
pids_of() { local p="" f; for f in "$@"; do p+="${p:+,}$(cat "$f")"; done; echo "$p"; }
nodepids() { local p="" n; for ((n = 1; n <= NODES; n++)); do p+="${p:+,}$(node_pid "$n")"; done; echo "$p"; }

phase "bench: one plain MariaDB (no wsrep), one instance"
d=$WORK/single
mkdir -p "$d/data"
cat >"$d/my.cnf" <<EOF
# deploy/test-galera.sh --bench: the same server settings as a node, without wsrep.
[mysqld]
user=mysql
datadir=$d/data
socket=$d/mysqld.sock
pid-file=$d/mysqld.pid
log-error=$d/error.log
port=$SINGLE_PORT
bind-address=127.0.0.1
innodb_buffer_pool_size=64M
innodb_log_file_size=32M
performance_schema=OFF
max_connections=200
binlog_format=ROW
innodb_autoinc_lock_mode=2
innodb_flush_log_at_trx_commit=1
EOF
chown -R mysql:mysql "$d"; chmod 755 "$d"
timeout 120 mariadb-install-db --defaults-file="$d/my.cnf" --auth-root-authentication-method=normal --skip-test-db \
  >"$WORK/out/install-db-single.log" 2>&1 || die "mariadb-install-db (single) failed"
(exec "$MARIADBD" --defaults-file="$d/my.cnf" >>"$d/stdout.log" 2>&1 9>&-) &
echo $! >"$WORK/run/single.pid"
for _ in $(seq 1 100); do nsql 0 -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.2; done
nsql 0 -e "CREATE DATABASE $DB CHARACTER SET utf8mb4"
instance_config "$WORK/conf/single.properties" "$SINGLE_PORT"
start_app 4 "$SINGLE_APP_PORT" "$WORK/conf/single.properties" "$SINGLE_PORT"
wait_ready 4 "$SINGLE_APP_PORT" "$(now_ms)" || die "the single-server instance did not start"
bench single-1 "http://127.0.0.1:$SINGLE_APP_PORT/alipay/notify" "jdbc:mysql://127.0.0.1:$SINGLE_PORT/$DB" \
  "$(cat "$WORK/run/single.pid"),$(cat "$WORK/run/app4.pid")"
stop_pid single-instance "$(cat "$WORK/run/app4.pid")" 30; rm -f "$WORK/run/app4.pid"
stop_pid single "$(cat "$WORK/run/single.pid")" 60; rm -f "$WORK/run/single.pid"

phase "bench: the cluster, one instance on node 1"
bench galera-1 "http://127.0.0.1:${APP_PORT[1]}/alipay/notify" "$DBS" "$(nodepids),$(pids_of "$WORK/run/app1.pid")"

phase "bench: the cluster, three instances, one per node"
bench galera-3 "$TARGETS" "$DBS" "$(nodepids),$(pids_of "$WORK"/run/app{1,2,3}.pid)"
fi
phase_end
