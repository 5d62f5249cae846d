#!/usr/bin/env bash
# Starts / stops the coordination servers fjord's coord/ tests use, on 127.0.0.1 only, with
# throw-away data directories:
#   etcd          one member: client 127.0.0.1:23790, peer 127.0.0.1:23800
#   redis         127.0.0.1:63790, no persistence, keyspace events Kgx
#   etcd cluster  three members: clients 127.0.0.1:24791-24793, peers 127.0.0.1:24801-24803
# `start` returns once all answer (exit 1 with log tails otherwise) and prints the environment the
# tests read:
#   FJORD_ETCD_URL=etcd://127.0.0.1:23790  FJORD_REDIS_URL=redis://127.0.0.1:63790
#   FJORD_ETCD_CLUSTER=etcd://127.0.0.1:24791,127.0.0.1:24792,127.0.0.1:24793
#   FJORD_ETCD_CLUSTER_PIDS=<pid1>,<pid2>,<pid3>   (same order; the failover tests kill one)
# `stop` stops everything it started: SIGTERM, then wait until the pid is gone or a zombie (an
# exited server stays a zombie until PID 1 reaps it), SIGKILL after 5 s; the cluster is SIGKILLed.
# `env` prints the environment again; `status` exits 0 when all answer; `revive` restarts killed
# cluster members on their data directories.
#
# usage: .ci/servers.sh start|stop|env|status|revive
# env:   FJORD_SERVERS_DIR  pidfiles, logs, data (default ${TMPDIR:-/tmp}/fjord-ci-servers)
set -uo pipefail
DIR="${FJORD_SERVERS_DIR:-${TMPDIR:-/tmp}/fjord-ci-servers}"
H=127.0.0.1
ETCD_PORT=23790
ETCD_PEER_PORT=23800
REDIS_PORT=63790
CLUSTER_PORTS=(24791 24792 24793)
CLUSTER_PEER_PORTS=(24801 24802 24803)
READY_S=30

say() { echo "servers.sh: $*" >&2; }
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
etcd_ok() { # port
  port_open "$H" "$1" && ETCDCTL_API=3 etcdctl --endpoints="http://$H:$1" --dial-timeout=1s \
    --command-timeout=1s endpoint health >/dev/null 2>&1
}
redis_ok() { port_open "$H" "$REDIS_PORT" && [ "$(redis-cli -h $H -p $REDIS_PORT ping 2>/dev/null)" = PONG ]; }
cluster_ok() { local p; for p in "${CLUSTER_PORTS[@]}"; do etcd_ok "$p" || return 1; done; }
all_ok() { etcd_ok $ETCD_PORT && redis_ok && cluster_ok; }

gone_or_zombie() { # pid
  [ -e "/proc/$1/stat" ] || return 0
  [ "$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" = Z ]
}
live_pid() { # pidfile comm
  local pid
  [ -s "$1" ] || return 1
  pid="$(cat "$1")"
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] && ! gone_or_zombie "$pid" || return 1
  echo "$pid"
}
stop_one() { # name pidfile comm signal
  local pid i
  if ! pid="$(live_pid "$2" "$3")"; then rm -f "$2"; return 0; fi
  kill -CONT "$pid" 2>/dev/null # a test may have left it frozen
  kill "-$4" "$pid" 2>/dev/null
  for i in $(seq 1 50); do gone_or_zombie "$pid" && break; sleep 0.1; done
  if ! gone_or_zombie "$pid"; then
    say "$1 (pid $pid) alive 5 s after SIG$4; SIGKILL"
    kill -KILL "$pid" 2>/dev/null
    for i in $(seq 1 20); do gone_or_zombie "$pid" && break; sleep 0.1; done
  fi
  rm -f "$2"
}

do_stop() {
  local i
  stop_one redis "$DIR/redis.pid" redis-server TERM
  stop_one etcd "$DIR/etcd.pid" etcd TERM
  for i in 0 1 2; do stop_one "etcd-c$i" "$DIR/etcd-c$i.pid" etcd KILL; done
  [ -d "$DIR/data" ] && rm -rf "$DIR/data"
  say "stopped"
}

start_etcd() { # name client-port peer-port initial-cluster pidfile cluster-token
  setsid etcd --name "$1" --data-dir "$DIR/data/$1" \
    --listen-client-urls "http://$H:$2" --advertise-client-urls "http://$H:$2" \
    --listen-peer-urls "http://$H:$3" --initial-advertise-peer-urls "http://$H:$3" \
    --initial-cluster "$4" --initial-cluster-state new --initial-cluster-token "$6" \
    --logger zap --log-level warn --log-outputs stderr >"$DIR/$1.log" 2>&1 </dev/null &
  echo $! >"$5"
}

do_env() {
  local pids=() i
  for i in 0 1 2; do pids+=("$(cat "$DIR/etcd-c$i.pid" 2>/dev/null)"); done
  echo "FJORD_ETCD_URL=etcd://$H:$ETCD_PORT"
  echo "FJORD_REDIS_URL=redis://$H:$REDIS_PORT"
  echo "FJORD_ETCD_CLUSTER=etcd://$H:${CLUSTER_PORTS[0]},$H:${CLUSTER_PORTS[1]},$H:${CLUSTER_PORTS[2]}"
  echo "FJORD_ETCD_CLUSTER_PIDS=$(IFS=,; echo "${pids[*]}")"
}

# Restarts cluster members that are not running (a failover test killed one) on their data.
do_revive() {
  local i initial="" deadline
  for i in 0 1 2; do initial+="${initial:+,}fjord-c$i=http://$H:${CLUSTER_PEER_PORTS[$i]}"; done
  for i in 0 1 2; do
    if ! live_pid "$DIR/etcd-c$i.pid" etcd >/dev/null; then
      start_etcd "fjord-c$i" "${CLUSTER_PORTS[$i]}" "${CLUSTER_PEER_PORTS[$i]}" "$initial" \
        "$DIR/etcd-c$i.pid" "fjord-cluster-revived"
    fi
  done
  deadline=$((SECONDS + READY_S))
  while [ $SECONDS -lt $deadline ]; do cluster_ok && return 0; sleep 0.1; done
  say "cluster not healthy after revive"
  return 1
}

do_start() {
  mkdir -p "$DIR/data"
  local i initial=""
  if ! live_pid "$DIR/etcd.pid" etcd >/dev/null; then
    etcd_ok $ETCD_PORT && { say "something not ours answers on $H:$ETCD_PORT; refusing"; return 1; }
    start_etcd fjord-ci $ETCD_PORT $ETCD_PEER_PORT "fjord-ci=http://$H:$ETCD_PEER_PORT" "$DIR/etcd.pid" fjord-ci-$$
  fi
  if ! live_pid "$DIR/redis.pid" redis-server >/dev/null; then
    redis_ok && { say "something not ours answers on $H:$REDIS_PORT; refusing"; return 1; }
    redis-server --bind $H --port $REDIS_PORT --protected-mode yes --save '' --appendonly no \
      --notify-keyspace-events Kgx --daemonize yes --pidfile "$DIR/redis.pid" \
      --logfile "$DIR/redis.log" --dir "$DIR" </dev/null || { say "redis-server failed"; return 1; }
  fi
  for i in 0 1 2; do initial+="${initial:+,}fjord-c$i=http://$H:${CLUSTER_PEER_PORTS[$i]}"; done
  for i in 0 1 2; do
    if ! live_pid "$DIR/etcd-c$i.pid" etcd >/dev/null; then
      start_etcd "fjord-c$i" "${CLUSTER_PORTS[$i]}" "${CLUSTER_PEER_PORTS[$i]}" "$initial" "$DIR/etcd-c$i.pid" fjord-cluster-$$
    fi
  done
  local deadline=$((SECONDS + READY_S))
  while [ $SECONDS -lt $deadline ]; do
    if all_ok; then do_env; return 0; fi
    sleep 0.1
  done
  say "servers did not answer within ${READY_S} s"
  tail -n 20 "$DIR"/*.log >&2 2>/dev/null
  do_stop
  return 1
}

case "${1:-}" in
start) do_start ;;
stop) do_stop ;;
env) do_env ;;
status) all_ok ;;
revive) do_revive ;;
*) echo "usage: $0 start|stop|env|status|revive" >&2; exit 64 ;;
esac
