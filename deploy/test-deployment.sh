#!/usr/bin/env bash
# Deployment test: runs target/alipay-notify.war in real Tomcat 10.1, Tomcat 11 and Jetty 12 (ee10), one at a time,
# behind nginx (TLS on 127.0.0.1:8443), against this machine's MariaDB, and checks what only a real deployment
# shows: forwarded headers trusted from nginx only, signed and tampered notifications end to end, nginx's 404s,
# both ways to give the webapp its database (Tomcat 10.1: a HikariCP pool bound in JNDI by deploy/tomcat/context.xml;
# Tomcat 11 and Jetty: db.url in the settings file), and (Tomcat 11) that 5 redeploys leave no webapp class loader
# behind.
# Run as root on Debian 12 after `./mvnw -B verify`:  deploy/test-deployment.sh      (details: deploy/README.md)
# It also checks that only /alipay/notify is public: every spelling of /alipay/health and /alipay/metrics tried from a
# client address is refused by nginx, the webapp itself refuses them to an address ops.allowed-networks does not list,
# and no forwarding header a client sends is believed.
# Every process it starts is stopped on exit (trap), every wait is bounded, only loopback addresses are used.
set -Eeuo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEPLOY=$ROOT/deploy
WORK=$ROOT/target/deploy-test            # under target/: ./mvnw clean removes it
WAR=$ROOT/target/alipay-notify.war

TOMCAT10=10.1.59 TOMCAT11=11.0.24 JETTY=12.1.12
NGINX_PORT=${NGINX_PORT:-8443}
PORT_TOMCAT10=${PORT_TOMCAT10:-18081} PORT_TOMCAT11=${PORT_TOMCAT11:-18082} PORT_JETTY=${PORT_JETTY:-18083}
CLIENT_ADDR=127.0.0.2                    # curl's source address: differs from nginx's 127.0.0.1
MONITOR_ADDR=127.0.0.1                   # the monitoring's address (and nginx's): may see health and metrics
DB_HOST=127.0.0.1 DB_PORT=3306
APP_ID=2021000000000001 SELLER_ID=2088000000000001
REDEPLOYS=5
READY_TIMEOUT=${READY_TIMEOUT:-120}      # seconds for a container to deploy the WAR

# The webapp reads ALIPAY_NOTIFY_* environment variables before the settings file: drop any from the caller's
# environment so the test's file is what the webapp sees (generic names such as DB_URL are never read).
for v in $(compgen -e | grep -E '^ALIPAY_NOTIFY_' || true); do unset "$v"; done

STARTED=$(date +%s%3N)
PASS=0 FAIL=0
declare -a FAILED=() PHASES=() SUMMARY=()
CUR_PASS=0 CUR_TOTAL=0
DB="" STARTED_MARIADB=0 POLICY_RC_CREATED=0

PHASE_WIDTH=34
# shellcheck source=deploy/harness.sh
. "$ROOT/deploy/harness.sh"
pass() { PASS=$((PASS + 1)); CUR_PASS=$((CUR_PASS + 1)); CUR_TOTAL=$((CUR_TOTAL + 1)); printf '  PASS  %s\n' "$*"; }
fail() {
  FAIL=$((FAIL + 1)); CUR_TOTAL=$((CUR_TOTAL + 1)); FAILED+=("$*")
  printf '  FAIL  %s\n' "$*" >&2
}
stop_all() { # [why]
  local f
  for f in "$WORK"/run/*.pid; do
    [ -s "$f" ] || continue
    if [ -n "${1:-}" ] && kill -0 "$(cat "$f")" 2>/dev/null; then log "stopping $(basename "$f" .pid) (pid $(cat "$f")): $1"; fi
    stop_pid "$(basename "$f" .pid)" "$(cat "$f")"
    rm -f "$f"
  done
}

sql() { timeout 30 mysql --protocol=tcp -h"$DB_HOST" -P"$DB_PORT" -uroot --connect-timeout=5 -N -B "$@"; }
db_up() { timeout 10 mysqladmin --protocol=tcp -h"$DB_HOST" -P"$DB_PORT" -uroot --connect-timeout=3 ping >/dev/null 2>&1; }

cleanup() {
  local rc=$?
  set +e
  trap - ERR
  phase_end
  printf '\n== cleanup\n'
  stop_all
  if [ -n "$DB" ]; then sql -e "DROP DATABASE IF EXISTS \`$DB\`" && log "dropped database $DB"; rm -f "$WORK/database"; fi
  if [ "$STARTED_MARIADB" = 1 ]; then
    timeout 60 mysqladmin --protocol=tcp -h"$DB_HOST" -P"$DB_PORT" -uroot shutdown && log "stopped the MariaDB this test started"
  fi
  if [ "$POLICY_RC_CREATED" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
  [ -d "$WORK" ] && log "logs kept in ${WORK#"$ROOT"/}/ (the next run or ./mvnw clean removes them)"

  printf '\n== phase timings\n'; printf '  %s\n' "${PHASES[@]}"
  printf '  %-34s %7.1f s\n' total "$(bc_div $(( $(now_ms) - STARTED )))"
  if [ ${#SUMMARY[@]} -gt 0 ]; then
    printf '\n== summary\n  %-12s %-8s %-9s %10s %10s %8s\n' container version database 'deploy ms' 'ready ms' checks
    printf '  %s\n' "${SUMMARY[@]}"
  fi
  if [ ${#FAILED[@]} -gt 0 ]; then printf '\nfailed:\n' >&2; printf '  - %s\n' "${FAILED[@]}" >&2; fi
  if [ "$rc" != 0 ] && [ "$FAIL" = 0 ]; then FAIL=1; printf 'aborted (exit %s)\n' "$rc" >&2; fi
  printf '\n%d passed, %d failed\n' "$PASS" "$FAIL"
  [ "$FAIL" = 0 ] && exit 0 || exit 1
}
[ "$(id -u)" = 0 ] || { echo "run as root (installs nginx if missing, runs containers)" >&2; echo "0 passed, 1 failed"; exit 1; }
mkdir -p "$ROOT/target"
# One run at a time (same ports, same work dir). Processes we start do not inherit fd 9 (9>&-), so a container
# left behind by a killed run does not hold the lock; the next run stops it (pid files in $WORK/run).
exec 9>"$ROOT/target/.deploy-test.lock"
flock -n 9 || { echo "another deployment test is running (lock target/.deploy-test.lock)" >&2; echo "0 passed, 1 failed"; exit 1; }

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'echo "unexpected error: line $LINENO: $BASH_COMMAND" >&2' ERR

# ---------------------------------------------------------------------------------------------------------------
phase "prepare"
# A previous run that was killed may have left processes and its database: remove them first (idempotent).
if [ -d "$WORK/run" ]; then stop_all "left running by an earlier run"; fi
if [ -s "$WORK/database" ]; then
  old=$(cat "$WORK/database")
  db_up && sql -e "DROP DATABASE IF EXISTS \`$old\`" && log "dropped $old left by an earlier run"
fi
rm -rf "$WORK"
mkdir -p "$WORK"/{run,downloads,keys,conf,bodies,nginx/logs,nginx/tmp,out}

for p in "$NGINX_PORT" "$PORT_TOMCAT10" "$PORT_TOMCAT11" "$PORT_JETTY" $((PORT_TOMCAT10 + 100)) $((PORT_TOMCAT11 + 100)); do
  # A connection that succeeds means something listens there already (also a listener on 0.0.0.0).
  if timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$p" 2>/dev/null; then die "port $p is already in use on this machine"; fi
done

if [ ! -f "$WAR" ]; then
  log "no $WAR: building it (./mvnw -B -q -DskipTests package)"
  timeout 900 "$ROOT/mvnw" -B -q -Dstyle.color=never -f "$ROOT/pom.xml" -DskipTests package >"$WORK/out/mvn-package.log" 2>&1 \
    || { tail -30 "$WORK/out/mvn-package.log"; die "./mvnw package failed"; }
fi
[ -f "$WAR" ] || die "no WAR at $WAR"

if ! db_up; then
  # Same start as .ci/run; what we start, cleanup stops.
  log "MariaDB is not answering on $DB_HOST:$DB_PORT: starting it"
  install -d -o mysql /run/mysqld
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
  STARTED_MARIADB=1
  for _ in $(seq 1 60); do db_up && break; sleep 1; done
  db_up || die "MariaDB did not start on $DB_HOST:$DB_PORT"
fi

if ! command -v nginx >/dev/null 2>&1; then
  log "installing Debian's nginx (not enabled, not started: this test runs its own nginx process)"
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    # Keeps the package's postinst from starting the system nginx on port 80.
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && POLICY_RC_CREATED=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get update -qq || die "apt-get update failed"
  timeout 600 apt-get install -y -qq nginx >"$WORK/out/apt.log" 2>&1 || { tail -20 "$WORK/out/apt.log"; die "apt-get install nginx failed"; }
  if [ "$POLICY_RC_CREATED" = 1 ]; then rm -f /usr/sbin/policy-rc.d; POLICY_RC_CREATED=0; fi
  command -v systemctl >/dev/null && systemctl disable nginx >/dev/null 2>&1 || true
  command -v update-rc.d >/dev/null && update-rc.d nginx disable >/dev/null 2>&1 || true
fi
log "nginx: $(nginx -v 2>&1)"

# ---------------------------------------------------------------------------------------------------------------
phase "fetch containers"
# Maven Central only, through the project's Maven Wrapper (~/.m2 caches them). Run outside the project: its pom is
# not needed here.
for artifact in "org.apache.tomcat:tomcat:$TOMCAT10:tar.gz" "org.apache.tomcat:tomcat:$TOMCAT11:tar.gz" \
                "org.eclipse.jetty:jetty-home:$JETTY:tar.gz"; do
  (cd "$WORK/downloads" && timeout 600 "$ROOT/mvnw" -B -q -Dstyle.color=never dependency:copy -Dartifact="$artifact" \
      -DoutputDirectory="$WORK/downloads" >"$WORK/out/mvn-copy.log" 2>&1) \
    || { tail -20 "$WORK/out/mvn-copy.log"; die "./mvnw dependency:copy $artifact failed"; }
done
for f in "$WORK"/downloads/*.tar.gz; do tar -xzf "$f" -C "$WORK"; done
ls -d "$WORK"/apache-tomcat-"$TOMCAT10" "$WORK"/apache-tomcat-"$TOMCAT11" "$WORK"/jetty-home-"$JETTY" >/dev/null \
  || die "unpacked containers missing"
log "unpacked: $(cd "$WORK" && echo apache-tomcat-* jetty-home-*)"

# ---------------------------------------------------------------------------------------------------------------
phase "keys and signed bodies"
K=$WORK/keys
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout "$K/nginx.key" -out "$K/nginx.crt" \
  -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>"$WORK/out/openssl.log" \
  || die "openssl: nginx certificate"
# The "Alipay" sandbox: a key pair whose certificate looks like Alipay's (OU=Alipay, the PID in the CN).
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -keyout "$K/alipay-key.raw.pem" \
  -out "$K/alipayCertPublicKey_RSA2.crt" -subj "/C=CN/O=deploy test/OU=Alipay/CN=Test Alipay-$SELLER_ID" \
  2>>"$WORK/out/openssl.log" || die "openssl: Alipay sandbox certificate"
openssl pkcs8 -topk8 -nocrypt -in "$K/alipay-key.raw.pem" -out "$K/alipay-key.pem" || die "openssl pkcs8"
chmod 600 "$K"/*.key "$K"/*.pem

# Sign every body now with the project's own signer (bin/simulate --out), before any container runs.
sign() { # file order amount
  timeout 300 "$ROOT/bin/simulate" --key "$K/alipay-key.pem" --app-id "$APP_ID" --seller-id "$SELLER_ID" \
    --order "$2" --amount "$3" --out "$1" >>"$WORK/out/simulate.log" 2>&1 \
    || { tail -20 "$WORK/out/simulate.log"; die "bin/simulate could not sign $2"; }
}
for tag in tomcat10 tomcat11 jetty12; do
  sign "$WORK/bodies/$tag-paid.txt" "deploy-$tag-paid" 12.34
  # Tampered: signed for 0.01, then the amount changed to the order's 50.00: the signature no longer matches.
  sign "$WORK/bodies/$tag-tamper.signed.txt" "deploy-$tag-tamper" 0.01
  sed 's/\(^\|&\)total_amount=0\.01\(&\|$\)/\1total_amount=50.00\2/' "$WORK/bodies/$tag-tamper.signed.txt" \
    >"$WORK/bodies/$tag-tamper.txt"
  grep -q 'total_amount=50\.00' "$WORK/bodies/$tag-tamper.txt" || die "could not tamper with the body for $tag"
done
sign "$WORK/bodies/tomcat11-redeployed.txt" deploy-tomcat11-redeployed 7.00
# Unsigned: answered failure (bad signature) and journaled with the address the webapp saw (check h).
printf 'notify_type=trade_status_sync&out_trade_no=deploy-forged-forwarding' >"$WORK/bodies/unsigned.txt"
log "signed $(ls "$WORK"/bodies | wc -l) bodies with bin/simulate"

# ---------------------------------------------------------------------------------------------------------------
phase "database and settings"
DB="alipay_notify_deploy_$(date +%Y%m%d%H%M%S)_$$"
sql -e "CREATE DATABASE \`$DB\` CHARACTER SET utf8mb4" || die "cannot create database $DB"
echo "$DB" >"$WORK/database"
JDBC_URL=jdbc:mysql://$DB_HOST:$DB_PORT/$DB
CONFIG=$WORK/conf/alipay-notify.properties            # Tomcat 11, Jetty: the webapp builds its own pool from db.*
CONFIG_JNDI=$WORK/conf/alipay-notify-jndi.properties  # Tomcat 10.1: the database comes from context.xml's <Resource>
cat >"$CONFIG_JNDI" <<EOF
# Written by deploy/test-deployment.sh: the operator's way, a file outside the WAR named by ALIPAY_NOTIFY_CONFIG.
alipay.app-id=$APP_ID
alipay.seller-id=$SELLER_ID
alipay.cert-path=$K/alipayCertPublicKey_RSA2.crt
# nginx (127.0.0.1) may reach health and metrics, the test's client (127.0.0.2) may not: check g.
ops.allowed-networks=$MONITOR_ADDR/32,::1/128
EOF
{ cat "$CONFIG_JNDI"; printf 'db.url=%s\ndb.user=root\ndb.password=\n' "$JDBC_URL"; } >"$CONFIG"
chmod 600 "$CONFIG" "$CONFIG_JNDI"
if grep -q '^db\.' "$CONFIG_JNDI"; then die "$CONFIG_JNDI must have no db.* keys"; fi
export ALIPAY_NOTIFY_CONFIG=$CONFIG
log "database $DB, settings $CONFIG (and without db.*: $CONFIG_JNDI)"

# ---------------------------------------------------------------------------------------------------------------
# nginx: the sample server block rendered with this test's ports and paths, inside a main config of our own.
start_nginx() { # upstream-port
  local n=$WORK/nginx
  stop_nginx
  sed -e "s|@LISTEN@|127.0.0.1:$NGINX_PORT|" -e "s|@SERVER_NAME@|localhost 127.0.0.1|" \
      -e "s|@TLS_CERT@|$K/nginx.crt|" -e "s|@TLS_KEY@|$K/nginx.key|" -e "s|@UPSTREAM@|127.0.0.1:$1|" \
      "$DEPLOY/nginx/alipay-notify.conf" >"$n/alipay-notify.conf"
  if grep -v '^\s*#' "$n/alipay-notify.conf" | grep -q '@[A-Z_]*@'; then die "placeholder left in $n/alipay-notify.conf"; fi
  cat >"$n/nginx.conf" <<EOF
# Test-only main config: everything (pid, logs, temp files) inside $n.
worker_processes 1;
pid $n/nginx.pid;
error_log $n/logs/error.log warn;
events { worker_connections 64; }
http {
    access_log $n/logs/access.log;
    client_body_temp_path $n/tmp/body;
    proxy_temp_path $n/tmp/proxy;
    fastcgi_temp_path $n/tmp/fastcgi;
    uwsgi_temp_path $n/tmp/uwsgi;
    scgi_temp_path $n/tmp/scgi;
    include $n/alipay-notify.conf;
}
EOF
  local args=(-p "$n/" -c "$n/nginx.conf" -e "$n/logs/error.log")
  check "nginx -t accepts deploy/nginx/alipay-notify.conf rendered for port $1" \
    timeout 20 nginx -t -q "${args[@]}"
  nginx "${args[@]}" -g 'daemon off;' >>"$WORK/out/nginx.out" 2>&1 9>&- &   # 9>&-: the lock stays ours
  echo $! >"$WORK/run/nginx.pid"
  local i code
  for ((i = 0; i < 100; i++)); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$K/nginx.crt" \
      "https://127.0.0.1:$NGINX_PORT/") || true
    [ "$code" = 404 ] && return 0
    kill -0 "$(cat "$WORK/run/nginx.pid")" 2>/dev/null || break
    sleep 0.1
  done
  tail -5 "$n/logs/error.log" >&2 || true
  die "nginx did not answer on https://127.0.0.1:$NGINX_PORT/"
}
stop_nginx() {
  if [ -s "$WORK/run/nginx.pid" ]; then stop_pid nginx "$(cat "$WORK/run/nginx.pid")" 10; rm -f "$WORK/run/nginx.pid"; fi
}

# Waits until the container's webapp answers 405 to GET /alipay/notify (it answers 503/500/404 until it is up).
READY_MS=0
wait_ready() { # name port pidfile logfile start-ms
  local name=$1 port=$2 pidfile=$3 logf=$4 t0=$5 code=000 deadline=$(( $(date +%s) + READY_TIMEOUT ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/alipay/notify") || true
    if [ "$code" = 405 ]; then
      READY_MS=$(( $(now_ms) - t0 ))
      pass "$name: webapp deployed, GET /alipay/notify answers 405 (after ${READY_MS} ms)"
      return 0
    fi
    if ! kill -0 "$(cat "$pidfile" 2>/dev/null || echo 0)" 2>/dev/null; then
      tail -30 "$logf" >&2; die "$name exited during start-up (log: $logf)"
    fi
    if grep -q 'alipay-notify cannot start' "$logf" 2>/dev/null; then   # the webapp refused its settings: no wait
      die "$name: $(grep -m1 -o 'alipay-notify cannot start.*' "$logf" | cut -c1-300) (log: $logf)"
    fi
    sleep 0.25
  done
  grep -h 'cannot start' "$logf" >&2 || tail -30 "$logf" >&2
  die "$name: webapp not ready in ${READY_TIMEOUT}s (last answer HTTP $code; log: $logf)"
}

# ---------------------------------------------------------------------------------------------------------------
# The checks through nginx, as Alipay would reach the webapp: https, client address 127.0.0.2.
CURL=(curl -sS --max-time 20 --cacert "$K/nginx.crt" --interface "$CLIENT_ADDR")
CURL_MONITOR=(curl -sS --max-time 20 --cacert "$K/nginx.crt" --interface "$MONITOR_ADDR")
URL=https://127.0.0.1:$NGINX_PORT
post() { # body-file answer-file [curl args] -> HTTP code
  local body=$1 out=$2; shift 2
  "${CURL[@]}" -o "$out" -w '%{http_code}' -H 'Content-Type: application/x-www-form-urlencoded; charset=utf-8' \
    --data-binary "@$body" "$@" "$URL/alipay/notify" 2>>"$WORK/out/curl.log" || true
}
is() { [ "$1" = "$2" ] || { printf '        expected %s, got %s\n' "$2" "${1:-<nothing>}" >&2; return 1; }; }
answer_is() { # file text: the body is exactly text, no newline
  printf '%s' "$2" | cmp -s - "$1" || { printf '        answer was: %s\n' "$(head -c 200 "$1" 2>/dev/null)" >&2; return 1; }
}
order_status() { sql "$DB" -e "SELECT trade_status FROM alipay_order WHERE out_trade_no='$1'"; }

run_checks() { # name tag container-port tomcat|jetty
  local name=$1 tag=$2 port=$3 kind=$4 o=$WORK/out code
  sql "$DB" -e "INSERT INTO alipay_order (out_trade_no, total_amount) VALUES
      ('deploy-$tag-paid', 12.34), ('deploy-$tag-tamper', 50.00)" || die "$name: cannot insert test orders"

  # a) a valid signed notification for a new order
  code=$(post "$WORK/bodies/$tag-paid.txt" "$o/$tag-a.txt")
  check "$name a) valid notification: HTTP 200" is "$code" 200
  check "$name a) valid notification: answer exactly 'success'" answer_is "$o/$tag-a.txt" success
  check "$name a) order deploy-$tag-paid is TRADE_SUCCESS" is "$(order_status "deploy-$tag-paid")" TRADE_SUCCESS
  check "$name a) stored remote_addr is the client's $CLIENT_ADDR (container trusts nginx's X-Forwarded-For)" is \
    "$(sql "$DB" -e "SELECT remote_addr FROM alipay_notify WHERE out_trade_no='deploy-$tag-paid'")" "$CLIENT_ADDR"

  # b) the amount changed after signing
  code=$(post "$WORK/bodies/$tag-tamper.txt" "$o/$tag-b.txt")
  check "$name b) tampered notification: HTTP 403" is "$code" 403
  check "$name b) tampered notification: answer exactly 'failure'" answer_is "$o/$tag-b.txt" failure
  check "$name b) order deploy-$tag-tamper unchanged (WAIT_BUYER_PAY)" is \
    "$(order_status "deploy-$tag-tamper")" WAIT_BUYER_PAY

  # c) the monitoring's address (nginx allows it, and so does ops.allowed-networks) sees health and metrics, and
  # health shows the scheme the webapp sees. The client address there is the monitoring's own; check a's stored
  # 127.0.0.2 is what proves that the container takes it from nginx's X-Forwarded-For.
  code=$("${CURL_MONITOR[@]}" -o "$o/$tag-c.json" -w '%{http_code}' "$URL/alipay/health" 2>>"$WORK/out/curl.log") || true
  check "$name c) GET /alipay/health from $MONITOR_ADDR: HTTP 200" is "$code" 200
  check "$name c) health JSON request.scheme=https, request.remote_addr=$MONITOR_ADDR" \
    health_ok "$o/$tag-c.json" "$MONITOR_ADDR"
  code=$("${CURL_MONITOR[@]}" -o "$o/$tag-c.txt" -w '%{http_code}' "$URL/alipay/metrics" 2>>"$WORK/out/curl.log") || true
  check "$name c) GET /alipay/metrics from $MONITOR_ADDR: HTTP 200 with alipay_notify_ meters" \
    eval '[ "$code" = 200 ] && grep -q "^alipay_notify_notifications_total" "$o/$tag-c.txt"'

  # d) only the three exact paths are proxied
  local path
  for path in / /manager/html /alipay-notify/ /WEB-INF/web.xml /alipay/ /alipay/notify/ /alipay/notify\;x; do
    code=$("${CURL[@]}" --path-as-is -o "$o/$tag-d.txt" -w '%{http_code}' "$URL$path" 2>>"$WORK/out/curl.log") || true
    check "$name d) GET $path: 404 from nginx" not_found_by_nginx "$code" "$o/$tag-d.txt"
  done

  # e) a client cannot choose its own address with X-Forwarded-For (the refused GET is journaled with its address)
  code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -H 'X-Forwarded-For: 203.0.113.66' "$URL/alipay/notify" \
    2>>"$WORK/out/curl.log") || true
  check "$name e) forged X-Forwarded-For: HTTP 405" is "$code" 405
  check "$name e) forged X-Forwarded-For ignored: stored remote_addr is $CLIENT_ADDR" is \
    "$(sql "$DB" -e "SELECT remote_addr FROM alipay_notify_refused ORDER BY id DESC LIMIT 1")" "$CLIENT_ADDR"

  # f) health and metrics in every spelling we could think of, through nginx from the client's address: none may
  # answer 200 nor show any of their content (what answered is printed: nginx's own page, or the container)
  local e method target by tsv=$o/$tag-f.tsv t0
  : >"$tsv"
  t0=$(now_ms)
  for e in health metrics; do
    while read -r method target; do
      target=${target//@E@/$e} target=${target//@EU@/${e^^}} target=${target//@E%@/$(printf '%%%02x' "'${e:0:1}")${e:1}}
      if [ "${target:0:1}" = / ]; then
        code=$("${CURL[@]}" --path-as-is -X "$method" -o "$o/$tag-f.txt" -w '%{http_code}' "$URL$target" \
          2>>"$WORK/out/curl.log") || true
      else   # an absolute-form request target (GET http://host/path HTTP/1.1)
        code=$("${CURL[@]}" -X "$method" --request-target "$target" -o "$o/$tag-f.txt" -w '%{http_code}' "$URL/" \
          2>>"$WORK/out/curl.log") || true
      fi
      if grep -q '<center>nginx</center>' "$o/$tag-f.txt" 2>/dev/null; then by=nginx; else by=container; fi
      printf '%s\t%s\t%s\t%s\n' "$method" "$target" "$code" "$by" >>"$tsv"
      check "$name f) $method $target from $CLIENT_ADDR: HTTP $code from $by, nothing leaked" \
        ops_refused "$code" "$o/$tag-f.txt"
    done <<<"$OPS_SPELLINGS"
  done
  log "$name f) $(grep -c . "$tsv") requests in $(bc_div $(( $(now_ms) - t0 ))) s; answers in ${tsv#"$ROOT"/}"

  # g) straight to the container, bypassing nginx, from an address ops.allowed-networks does not list: the webapp
  # itself refuses (403, its own short body). The connector listens on 127.0.0.1; a loopback client may use any
  # 127.x source address, as 127.0.0.2 does here.
  for target in /alipay/health /alipay/metrics /alipay/health\;x /alipay/metrics\;jsessionid=1; do
    code=$(curl -sS --max-time 20 --path-as-is --interface "$CLIENT_ADDR" -o "$o/$tag-g.txt" -w '%{http_code}' \
      "http://127.0.0.1:$port$target" 2>>"$WORK/out/curl.log") || true
    check "$name g) GET $target straight to the container from $CLIENT_ADDR: 403 from the webapp" \
      webapp_refused "$code" "$o/$tag-g.txt"
  done
  if [ "$kind" = tomcat ]; then
    # RemoteIpValve trusts X-Forwarded-For from internalProxies (nginx's 127.0.0.1) only.
    code=$(curl -sS --max-time 20 --interface "$CLIENT_ADDR" -H "X-Forwarded-For: $MONITOR_ADDR" -o "$o/$tag-g.txt" \
      -w '%{http_code}' "http://127.0.0.1:$port/alipay/health" 2>>"$WORK/out/curl.log") || true
    check "$name g) the same with X-Forwarded-For: $MONITOR_ADDR: still 403 (the valve trusts only nginx)" \
      webapp_refused "$code" "$o/$tag-g.txt"
  else
    printf '  note  %s: Jetty believes X-Forwarded-For from whoever connects (no trusted-proxy list), so only the\n' "$name"
    printf '        loopback-only connector keeps other hosts from forging it (deploy/jetty/README.md); not checked\n'
  fi

  # h) forwarding headers a client sends are not believed (nginx clears or overwrites every one the containers
  # read): the request is still answered failure, journaled with the client's real address
  local long_fwd long_xff before
  long_fwd="for=6.6.6.6$(printf ', for=6.6.6.6%.0s' $(seq 1 400))"   # about 5.6 KB
  long_xff="6.6.6.6$(printf ', 6.6.6.6%.0s' $(seq 1 600))"            # about 5.4 KB
  local -a cases=("Forwarded: for=6.6.6.6" "Forwarded: $long_fwd" "X-Forwarded-For: $long_xff"
    "X-Real-IP: 6.6.6.6")
  local h label
  for h in "${cases[@]}"; do
    label=${h:0:40}; [ ${#h} -le 40 ] || label="$label... (${#h} bytes)"
    before=$(last_refused_id)
    code=$(post "$WORK/bodies/unsigned.txt" "$o/$tag-h.txt" -H "$h")
    check "$name h) $label: answered 'failure' (HTTP $code)" answer_is "$o/$tag-h.txt" failure
    check "$name h) $label: one refusal stored, remote_addr $CLIENT_ADDR" refused_since "$before" "$CLIENT_ADDR"
  done
  # The others change the scheme, host or port a container reports; health shows scheme and address.
  code=$("${CURL_MONITOR[@]}" -o "$o/$tag-h.json" -w '%{http_code}' -H 'Forwarded: for=6.6.6.6;proto=http;host=evil' \
    -H 'X-Forwarded-Proto: http' -H 'X-Proxied-Https: off' -H 'X-Forwarded-Ssl: off' -H 'X-Forwarded-Host: evil' \
    -H 'X-Forwarded-Port: 80' -H 'X-Forwarded-Server: evil' -H 'X-Forwarded-By: 6.6.6.6' -H 'X-Forwarded-Prefix: /evil' \
    -H 'X-Real-IP: 6.6.6.6' -H 'Proxy-ssl-id: 00' -H 'Proxy-auth-cert: x' "$URL/alipay/health" 2>>"$WORK/out/curl.log") || true
  check "$name h) health with a dozen forged forwarding headers: HTTP 200, still https from $MONITOR_ADDR" \
    eval '[ "$code" = 200 ] && health_ok "$o/$tag-h.json" "$MONITOR_ADDR"'
}

# Check f's spellings, one "METHOD TARGET" a line: @E@ is health or metrics, @EU@ the same in capitals, @E%@ with
# its first letter %-encoded. nginx decodes %XX, resolves . and .., merges slashes, then matches exactly; the
# containers strip ;parameters and resolve ..; as .. as well: each line is a way the two could disagree.
OPS_SPELLINGS='GET /alipay/@E@
GET /alipay/@E@;
GET /alipay/@E@;x
GET /alipay/@E@;jsessionid=1
POST /alipay/@E@;x
GET /alipay/@E@%3bx
GET /alipay/@E@%3B
GET /alipay/@E%@
GET /alipay/%2565@E@
GET /alipay%2f@E@
GET //alipay/@E@
GET /alipay//@E@
GET /alipay/./@E@
GET /./alipay/@E@
GET /alipay/%2e/@E@
GET /alipay/x/../@E@
GET /alipay/notify/../@E@
GET /alipay/%2e%2e/alipay/@E@
GET /alipay/..;/alipay/@E@
GET /alipay/notify/..;/@E@
GET /alipay/notify%2f..%2f@E@
GET /alipay/notify;/../@E@
GET /alipay/;x/@E@
GET /alipay;x/@E@
GET /alipay/@E@/
GET /alipay/@E@/.
GET /alipay/@E@/;x
GET /alipay/@E@%2f
GET /%61lipay/@E@
GET /alipay/@E@?x=1
GET /alipay/@EU@
GET /ALIPAY/@EU@
GET /alipay/@E@%20
GET /alipay/@E@%00
GET /alipay%5c@E@
GET /alipay/%c0%ae%c0%ae/alipay/@E@
GET http://localhost/alipay/@E@;x
GET http://localhost/alipay/@E@'

health_ok() { # json-file expected-remote-addr
  if [ ! -s "$1" ]; then echo "        no health answer" >&2; return 1; fi
  if command -v python3 >/dev/null; then
    python3 - "$1" "$2" <<'PYEOF' || { printf '        health answer: %s\n' "$(head -c 300 "$1")" >&2; return 1; }
import json, sys
try:
    r = json.load(open(sys.argv[1], encoding="utf-8"))["request"]
except (ValueError, KeyError, TypeError) as e:
    sys.exit("        not JSON with a request object: %r" % e)
sys.exit(0 if r.get("scheme") == "https" and r.get("remote_addr") == sys.argv[2] else 1)
PYEOF
  else
    grep -Eq '"scheme"[[:space:]]*:[[:space:]]*"https"' "$1" \
      && grep -Eq "\"remote_addr\"[[:space:]]*:[[:space:]]*\"${2//./\\.}\"" "$1"
  fi
}
not_found_by_nginx() { is "$1" 404 && grep -q '<center>nginx</center>' "$2"; }
# Not 200, and nothing of what health or metrics would show: JSON status, meter names, the certificate path.
ops_refused() { # code answer-file
  [ "$1" != 200 ] || { echo "        answered 200" >&2; return 1; }
  local m
  for m in '"status"' alipay_notify_ hikaricp alipayCertPublicKey "$K"; do
    if grep -qF -- "$m" "$2" 2>/dev/null; then printf '        leaked %s: %s\n' "$m" "$(head -c 200 "$2")" >&2; return 1; fi
  done
}
# The webapp's own refusal (OpsAccessFilter): 403 with exactly its short body.
webapp_refused() { is "$1" 403 && answer_is "$2" forbidden && ops_refused "$1" "$2"; }
last_refused_id() { sql "$DB" -e "SELECT COALESCE(MAX(id), 0) FROM alipay_notify_refused"; }
refused_since() { # id-before expected-remote-addr: exactly one new refusal, with that address
  is "$(sql "$DB" -e "SELECT remote_addr FROM alipay_notify_refused WHERE id > $1" | paste -sd ' ')" "$2"
}

LEAK_PATTERN='appears to have started a thread|registered the JDBC driver|failed to unregister|memory leak'

# Which database path the webapp took, from its own log lines: the container's JNDI DataSource or its own pool.
CONTAINER_DS_LINE="Using the container's DataSource java:comp/env/jdbc/alipayNotify"
ready_line() { grep -aoE 'alipay-notify [^ ]+ ready: .*' "$1" | tail -1; }
# The ready line names the pool among other parts (", pool of 10 connections, orders in alipay_order" since the
# order mapping of issue 11 added its last part): look for the part, wherever it is.
names() { case $1 in *"$2"*) return 0 ;; esac; printf '        line was: %s\n' "${1:-<none>}" >&2; return 1; }
lacks() { ! grep -qF "$2" "$1" || { printf '        found: %s\n' "$(grep -m1 -F "$2" "$1" | cut -c1-200)" >&2; return 1; }; }
pool_checks() { # name logfile jndi|own
  local name=$1 logf=$2 ready; ready=$(ready_line "$2")
  if [ "$3" = jndi ]; then
    check "$name: the webapp logged \"$CONTAINER_DS_LINE\"" grep -qF "$CONTAINER_DS_LINE" "$logf"
    check "$name: ready with the container DataSource, no pool of its own (settings file has no db.*)" \
      names "$ready" ', container DataSource,'
  else
    check "$name: own pool from the settings file's db.url, no container DataSource" \
      lacks "$logf" "$CONTAINER_DS_LINE"
    check "$name: ready with its own pool" names "$ready" ' connections,'
  fi
}
# The class loaders that hold the JNDI pool's classes (jcmd VM.classloaders: each loader, then its classes).
pool_loaders() { # pid
  timeout 60 jcmd "$1" VM.classloaders show-classes=true 2>/dev/null | awk '
    /\+-- / { l = $0; sub(/.*\+-- /, "", l) }
    /[: ]com\.zaxxer\.hikari\.(HikariJNDIFactory|HikariDataSource)$/ { print l }' | sort -u | paste -sd ' '
}

# ---------------------------------------------------------------------------------------------------------------
DEPLOYED_RE='Deployment of (web application archive|deployment descriptor) \[[^]]*ROOT\.(war|xml)\] has finished in \[([0-9,.]+)\] ms'
deployed_count() { grep -cE "$DEPLOYED_RE" "$1" || true; }
last_deploy_ms() { grep -E "$DEPLOYED_RE" "$1" | tail -1 | sed -E "s/.*$DEPLOYED_RE.*/\3/" | tr -d ',.'; }

# A value for a placeholder in an XML attribute, as a sed replacement: XML-escaped, then \ & | escaped for sed.
sed_xml_value() { printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/"/\&quot;/g' -e 's/[\\&|]/\\&/g'; }

tomcat_run() { # name version port tag [jndi] [redeploy]
  local name=$1 version=$2 port=$3 tag=$4; shift 4
  local jndi="" redeploy="" opt config=$CONFIG database=db.url
  for opt in "$@"; do case $opt in jndi) jndi=1 config=$CONFIG_JNDI database=JNDI ;; redeploy) redeploy=1 ;; esac; done
  local base=$WORK/apache-tomcat-$version
  local out=$base/logs/catalina.out pidfile=$WORK/run/$tag.pid
  CUR_PASS=0 CUR_TOTAL=0
  phase "$name ($version)"
  rm -rf "$base"/webapps/{ROOT,docs,examples,manager,host-manager}
  # server.xml: loopback connector on our port, shutdown port on loopback, the valve from the sample snippet, and
  # a 1 s background check so a redeploy starts within a second of the WAR changing (default 10 s).
  sed -i -e "s|<Server port=\"8005\"|<Server port=\"$((port + 100))\" address=\"127.0.0.1\"|" \
         -e "s|port=\"8080\"|port=\"$port\" address=\"127.0.0.1\"|g" \
         -e "s|<Engine name=\"Catalina\" defaultHost=\"localhost\">|<Engine name=\"Catalina\" defaultHost=\"localhost\" backgroundProcessorDelay=\"1\">|" \
         "$base/conf/server.xml"
  awk -v snippet="$DEPLOY/tomcat/server-remoteip.xml" \
    '/<\/Host>/ { while ((getline line < snippet) > 0) print "        " line } { print }' \
    "$base/conf/server.xml" >"$base/conf/server.xml.new" && mv "$base/conf/server.xml.new" "$base/conf/server.xml"
  grep -q "port=\"$port\" address=\"127.0.0.1\"" "$base/conf/server.xml" \
    && grep -q 'RemoteIpValve' "$base/conf/server.xml" && grep -q 'backgroundProcessorDelay="1"' "$base/conf/server.xml" \
    || die "$name: could not edit conf/server.xml (layout changed?)"
  cp "$DEPLOY/tomcat/setenv.sh" "$base/bin/setenv.sh"
  if [ -n "$jndi" ]; then
    # The operator's way with the sample context, as conf/Catalina/localhost/ROOT.xml: its <Resource> binds a
    # HikariCP pool at java:comp/env/jdbc/alipayNotify, from the HikariCP and Connector/J jars in the WAR's
    # WEB-INF/lib (Tomcat's lib/ stays as shipped), and the settings file has no db.* keys.
    local ctx=$base/conf/Catalina/localhost/ROOT.xml
    mkdir -p "$base/conf/Catalina/localhost"
    # Only attribute values are replaced (="@X@"); the list of placeholders in the sample's comment stays as it is.
    sed -e "s|=\"@JDBC_URL@\"|=\"$(sed_xml_value "$JDBC_URL")\"|" -e "s|=\"@DB_USER@\"|=\"$(sed_xml_value root)\"|" \
        -e "s|=\"@DB_PASSWORD@\"|=\"$(sed_xml_value "")\"|" "$DEPLOY/tomcat/context.xml" >"$ctx"
    if grep -q '="@[A-Z_]*@"' "$ctx"; then die "$name: placeholder left in an attribute of $ctx"; fi
    grep -q '<Resource name="jdbc/alipayNotify"' "$ctx" || die "$name: no jdbc/alipayNotify <Resource> in $ctx"
    if compgen -G "$base/lib/[Hh]ikari*.jar" >/dev/null || compgen -G "$base/lib/mysql-connector*.jar" >/dev/null; then
      die "$name: Tomcat's lib/ must not hold the pool's jars for this test"
    fi
  fi
  cp "$WAR" "$base/webapps/ROOT.war"

  local t0; t0=$(now_ms)
  ALIPAY_NOTIFY_CONFIG=$config CATALINA_HOME=$base CATALINA_BASE=$base CATALINA_PID=$pidfile CATALINA_OUT=$out \
    timeout 60 "$base/bin/catalina.sh" start >"$WORK/out/$tag-start.log" 2>&1 9>&- \
    || { cat "$WORK/out/$tag-start.log"; die "$name: catalina.sh start failed"; }
  wait_ready "$name" "$port" "$pidfile" "$out" "$t0"
  local deploy_ms; deploy_ms=$(last_deploy_ms "$out")
  log "$name: Tomcat logged the deployment as ${deploy_ms:-?} ms; ready after $READY_MS ms${jndi:+ (deploy/tomcat/context.xml, JNDI DataSource)}"
  if [ -n "$jndi" ]; then
    pool_checks "$name" "$out" jndi
    local loaders; loaders=$(pool_loaders "$(cat "$pidfile")")
    log "$name: HikariJNDIFactory and HikariDataSource loaded by: ${loaders:-?}"
    check "$name: the JNDI pool's classes come from WEB-INF/lib (webapp class loader only)" \
      is "$loaders" org.apache.catalina.loader.ParallelWebappClassLoader
  else
    pool_checks "$name" "$out" own
  fi

  start_nginx "$port"
  run_checks "$name" "$tag" "$port" tomcat
  [ -z "$redeploy" ] || redeploy_leak_check "$name" "$base" "$pidfile" "$out" "$port"

  phase "$name stop"
  stop_nginx
  local before; before=$(wc -l <"$out")
  stop_pid "$name" "$(cat "$pidfile")" 60; rm -f "$pidfile"
  local warnings; warnings=$(tail -n +"$((before + 1))" "$out" | grep -E "$LEAK_PATTERN" || true)
  [ -z "$warnings" ] || printf '  leak warnings at shutdown:\n%s\n' "$(sed 's/^/    /' <<<"$warnings")"
  check "$name: no class-loader leak warnings when Tomcat stops the webapp" is "$(printf '%s' "$warnings" | grep -c . || true)" 0
  SUMMARY+=("$(printf '%-12s %-8s %-9s %10s %10s %8s' "$name" "$version" "$database" \
    "${deploy_ms:-?}" "$READY_MS" "$CUR_PASS/$CUR_TOTAL")")
}

redeploy_leak_check() { # name base pidfile out port
  local name=$1 base=$2 pidfile=$3 out=$4 port=$5 pid i n deadline ms times=()
  pid=$(cat "$pidfile")
  phase "$name redeploy x$REDEPLOYS + leak check"
  local before_lines; before_lines=$(wc -l <"$out")
  for ((i = 1; i <= REDEPLOYS; i++)); do
    n=$(deployed_count "$out")
    sleep 1.1                      # a new modification time, whatever the file system's time resolution
    touch "$base/webapps/ROOT.war" # autoDeploy: Tomcat undeploys the running webapp and deploys the WAR again
    deadline=$(( $(date +%s) + 90 ))
    while [ "$(deployed_count "$out")" -le "$n" ]; do
      [ "$(date +%s)" -lt "$deadline" ] || die "$name: redeploy $i did not finish in 90 s"
      sleep 0.2
    done
    times+=("$(last_deploy_ms "$out")")
    deadline=$(( $(date +%s) + 60 ))
    until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/alipay/notify")" = 405 ]; do
      [ "$(date +%s)" -lt "$deadline" ] || die "$name: webapp not answering after redeploy $i"
      sleep 0.2
    done
  done
  log "$name: $REDEPLOYS redeploys, deploy times ${times[*]} ms"
  sql "$DB" -e "INSERT INTO alipay_order (out_trade_no, total_amount) VALUES ('deploy-tomcat11-redeployed', 7.00)"
  code=$(post "$WORK/bodies/tomcat11-redeployed.txt" "$WORK/out/redeployed.txt")
  check "$name: after $REDEPLOYS redeploys a valid notification still answers 200 'success'" \
    answer_is "$WORK/out/redeployed.txt" success

  # Count live webapp class loaders after full GCs (GC.class_histogram counts live objects and forces a full GC).
  # Exactly one must remain: the current deployment's. Retry a few times: some references clear asynchronously.
  local count=0 hist=$WORK/out/class-histogram.txt
  for ((i = 1; i <= 6; i++)); do
    timeout 60 jcmd "$pid" GC.run >/dev/null 2>&1 || true
    timeout 120 jcmd "$pid" GC.class_histogram >"$hist" 2>&1 || die "$name: jcmd GC.class_histogram failed"
    count=$(awk '$4 == "org.apache.catalina.loader.ParallelWebappClassLoader" { c += $2 } END { print c + 0 }' "$hist")
    [ "$count" -le 1 ] && break
    sleep 2
  done
  printf '  class histogram after %d redeploys (full GC):\n' "$REDEPLOYS"
  grep -E 'ParallelWebappClassLoader|WebappClassLoader' "$hist" | sed 's/^/    /' || echo "    (no webapp class loader)"
  local warnings; warnings=$(tail -n +"$((before_lines + 1))" "$out" | grep -E "$LEAK_PATTERN" || true)
  if [ -n "$warnings" ]; then
    printf '  leak warnings during the redeploys (%d lines):\n' "$(grep -c . <<<"$warnings")"
    sed 's/^/    /' <<<"$warnings" | cut -c1-400
  else
    echo "  no leak warnings in catalina.out during the redeploys"
  fi
  if [ "$count" -gt 1 ]; then
    # What may hold the old loaders: threads that exist once per deployment, and JVM-wide registrations, which
    # Tomcat does not warn about (a BouncyCastle provider left in java.security.Security pinned one loader here).
    timeout 60 jcmd "$pid" Thread.print >"$WORK/out/threads.txt" 2>&1 || true
    echo "  threads by name (more than one of a kind hints at a per-deployment leak):"
    grep -o '^"[^"]*"' "$WORK/out/threads.txt" | sed -E 's/[0-9]+"$/N"/' | sort | uniq -c | sort -rn | head -15 \
      | sed 's/^/    /'
    echo "  webapp classes with instances in more than one loader (what the old loader still holds), first 15:"
    awk 'NR > 3 && $4 ~ /^(org\.alipaynotify|com\.alipay|org\.bouncycastle|com\.mysql|com\.zaxxer|org\.apache\.logging)\./ \
      { n[$4]++ } END { for (c in n) if (n[c] > 1) print "    " c }' "$hist" | sort | head -15
    echo "  (the exact path to a GC root needs a heap dump taken while Tomcat runs: jcmd PID GC.heap_dump FILE)"
  fi
  check "$name: exactly 1 live ParallelWebappClassLoader after $REDEPLOYS redeploys + full GC (found $count)" \
    is "$count" 1
  check "$name: no class-loader leak warnings during $REDEPLOYS redeploys" \
    is "$(printf '%s' "$warnings" | grep -c . || true)" 0
}

# ---------------------------------------------------------------------------------------------------------------
jetty_run() { # name version port tag
  local name=$1 version=$2 port=$3 tag=$4
  local home=$WORK/jetty-home-$version jbase=$WORK/jetty-base pidfile=$WORK/run/$tag.pid
  local out=$WORK/out/jetty.log
  CUR_PASS=0 CUR_TOTAL=0
  phase "$name ($version)"
  mkdir -p "$jbase/work"    # a work/ dir in jetty.base keeps the unpacked WAR out of /tmp
  (cd "$jbase" && timeout 120 java -jar "$home/start.jar" jetty.home="$home" jetty.base="$jbase" \
      --add-modules=http,ee10-deploy,forwarded >"$WORK/out/jetty-base.log" 2>&1) \
    || { tail -20 "$WORK/out/jetty-base.log"; die "$name: could not create jetty.base"; }
  printf '\n# deploy test: loopback only, own port\njetty.http.host=127.0.0.1\njetty.http.port=%s\n' "$port" \
    >>"$jbase/start.d/http.ini"
  cp "$WAR" "$jbase/webapps/ROOT.war"

  local t0; t0=$(now_ms)
  (cd "$jbase" && exec java -Xms128m -Xmx512m -jar "$home/start.jar" jetty.home="$home" jetty.base="$jbase") \
    >"$out" 2>&1 9>&- &
  echo $! >"$pidfile"
  wait_ready "$name" "$port" "$pidfile" "$out" "$t0"
  # Jetty logs no deploy duration: take the time from the deployment scanner's first line to the webapp's start.
  local t_scan t_started deploy_ms=""
  t_scan=$(grep -m1 'DeploymentScanner' "$out" | cut -c1-23 || true)
  t_started=$(grep -E 'Started oeje10w\.WebAppContext' "$out" | tail -1 | cut -c1-23 || true)
  if [ -n "$t_scan" ] && [ -n "$t_started" ]; then
    deploy_ms=$(( $(date -d "$t_started" +%s%3N) - $(date -d "$t_scan" +%s%3N) ))
  fi
  log "$name: deployment took ${deploy_ms:-?} ms by Jetty's log; ready after $READY_MS ms"
  pool_checks "$name" "$out" own

  start_nginx "$port"
  run_checks "$name" "$tag" "$port" jetty

  phase "$name stop"
  stop_nginx
  stop_pid "$name" "$(cat "$pidfile")" 60; rm -f "$pidfile"
  SUMMARY+=("$(printf '%-12s %-8s %-9s %10s %10s %8s' "$name" "$version" db.url "${deploy_ms:-?}" "$READY_MS" \
    "$CUR_PASS/$CUR_TOTAL")")
}

# ---------------------------------------------------------------------------------------------------------------
tomcat_run "Tomcat 10.1" "$TOMCAT10" "$PORT_TOMCAT10" tomcat10 jndi
tomcat_run "Tomcat 11" "$TOMCAT11" "$PORT_TOMCAT11" tomcat11 redeploy
jetty_run "Jetty 12" "$JETTY" "$PORT_JETTY" jetty12
phase_end
