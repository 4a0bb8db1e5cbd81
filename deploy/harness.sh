# The shell harness deploy/test-deployment.sh and deploy/test-galera.sh share (sourced, not run): log lines, checks,
# timed phases, and stopping only the processes a run started. The sourcing script defines pass and fail (what they
# count differs), the arrays FAILED and PHASES, WORK, and PHASE_WIDTH (the width of a phase's name in the timings).

now_ms() { date +%s%3N; }
log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
die() { fail "$*"; exit 1; }
bc_div() { printf '%d.%d' $(($1 / 1000)) $((($1 % 1000) / 100)); }   # ms as seconds, one decimal

PHASE="" PHASE_START=0
phase() {
  phase_end
  PHASE=$1 PHASE_START=$(now_ms)
  printf '\n== %s\n' "$PHASE"
}
phase_end() {
  [ -n "$PHASE" ] || return 0
  local ms=$(( $(now_ms) - PHASE_START ))
  PHASES+=("$(printf "%-${PHASE_WIDTH}s %7.1f s" "$PHASE" "$(bc_div "$ms")")")
  printf -- '-- %s: %s s\n' "$PHASE" "$(bc_div "$ms")"
  PHASE=""
}

# Processes: each one a run starts gets a pid file in $WORK/run; cleanup stops them all. A pid is only signalled when
# its command line names $WORK, so a recycled pid of someone else's process is never touched.
ours() { local c; c=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) && [[ $c == *"$WORK"* ]]; }
stop_pid() { # name pid [seconds]
  local name=$1 pid=$2 secs=${3:-30} i
  kill -0 "$pid" 2>/dev/null || return 0
  if ! ours "$pid"; then log "not stopping pid $pid ($name): not ours"; return 0; fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < secs * 10; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  log "$name (pid $pid) did not stop in ${secs}s: killing it"
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.5
}
