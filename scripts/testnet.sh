#!/usr/bin/env bash
# Local four-validator daitchain on 127.0.0.1, for fault and consensus tests.
#
#   scripts/testnet.sh start [N]   # resume the network in $TESTNET_HOME (create it if
#                                  # missing); with N, start only node N (0..3)
#   scripts/testnet.sh fresh       # stop, wipe $TESTNET_HOME, create and start anew
#   scripts/testnet.sh stop [N]    # SIGTERM every node (or only node N) and wait
#   scripts/testnet.sh status      # per node: pid, height, block hash, peers
#
# Layout ($TESTNET_HOME, default ./.testnet):
#   node0..node3/   one daitd home per validator; daitd.log and daitd.pid inside
#   keys/           shared test keyring: val0..val3 (the validators, equal stake),
#                   alice, bob, tenant, provider1, auditor (funded; auditor whitelisted)
#
# Ports (base $TESTNET_PORT, default 36600; node i uses base+10*i+k):
#   k=0 p2p, 1 RPC, 2 gRPC, 3 REST API, 4 ABCI proxy address; pprof and
#   Prometheus off. Node 0: p2p 36600, RPC 36601, gRPC 36602, REST 36603.
# These do not collide with the localnet (26656/26657/9090/1317), so both can run.
#
# Consensus: timeout_commit 1s; persistent_peers lists the three other nodes;
# addr_book_strict=false and allow_duplicate_ip=true (all nodes share 127.0.0.1).
# The slashing window is long (10,000 blocks) so that a validator stopped by a
# fault test is not jailed while it is down: the tests exercise consensus, not
# downtime slashing.
#
# Market params of a new network keep the module defaults unless
# TESTNET_BID_DURATION_BLOCKS or TESTNET_PROVIDER_MIN_BOND (udait) is set: the
# fault test uses a short auction and no provider bond, so that it does not
# have to delegate (and change the validators' equal power) to register a
# provider.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${DAITD:-$PWD/build/daitd}
TN=${TESTNET_HOME:-$PWD/.testnet}
CHAIN_ID=${TESTNET_CHAIN_ID:-daitchain-testnet}
BASE=${TESTNET_PORT:-36600}
NODES=4
DENOM=udait
STAKE=10000000000000$DENOM   # 10M DAIT each: equal voting power
FUND=100000000000000$DENOM   # 100M DAIT per account
ACCOUNTS="alice bob tenant provider1 auditor"
KR="--keyring-backend test --keyring-dir $TN/keys"
# Market params for a new network; empty keeps the module defaults.
BID_DURATION_BLOCKS=${TESTNET_BID_DURATION_BLOCKS:-}
PROVIDER_MIN_BOND=${TESTNET_PROVIDER_MIN_BOND:-} # in udait

. scripts/need.sh

home() { echo "$TN/node$1"; }
port() { echo $((BASE + 10 * $1 + $2)); } # port NODE K
rpc() { echo "http://127.0.0.1:$(port "$1" 1)"; }
pidfile() { echo "$(home "$1")/daitd.pid"; }
running() { [ -f "$(pidfile "$1")" ] && kill -0 "$(cat "$(pidfile "$1")")" 2>/dev/null; }
addr() { $BIN keys show "$1" -a $KR; }

height() { # latest height of node $1, 0 if it does not answer
  local h
  h=$(curl -s -m 2 "$(rpc "$1")/status" 2>/dev/null | jq -r '.result.sync_info.latest_block_height' 2>/dev/null) || true
  case "$h" in '' | null | *[!0-9]*) echo 0 ;; *) echo "$h" ;; esac
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

create() {
  rm -rf "$TN"
  mkdir -p "$TN/keys"
  local i h gen ids=()
  for i in $(seq 0 $((NODES - 1))); do
    $BIN init "node$i" --chain-id "$CHAIN_ID" --home "$(home "$i")" >/dev/null 2>&1
    ids[i]=$($BIN comet show-node-id --home "$(home "$i")")
    $BIN keys add "val$i" $KR --output json >"$TN/keys/val$i.key.json" 2>&1
  done
  for k in $ACCOUNTS; do
    $BIN keys add "$k" $KR --output json >"$TN/keys/$k.key.json" 2>&1
  done
  h0=$(home 0)
  gen=$h0/config/genesis.json
  for k in val0 val1 val2 val3 $ACCOUNTS; do
    $BIN genesis add-genesis-account "$(addr "$k")" "$FUND" --home "$h0" >/dev/null
  done
  jq --arg a "$(addr auditor)" --arg d "$BID_DURATION_BLOCKS" --arg b "$PROVIDER_MIN_BOND" '
      .app_state.computemarket.params.auditor_whitelist = [$a]
    | if $d == "" then . else .app_state.computemarket.params.bid_duration_blocks = $d end
    | if $b == "" then . else .app_state.computemarket.params.provider_min_bond.amount = $b end
    | .app_state.gov.params.voting_period = "60s"
    | .app_state.gov.params.expedited_voting_period = "30s"
    | .app_state.slashing.params.signed_blocks_window = "10000"' "$gen" >"$gen.tmp" && mv "$gen.tmp" "$gen"
  # Every validator signs its gentx against the same funded genesis.
  mkdir -p "$h0/config/gentx"
  for i in $(seq 0 $((NODES - 1))); do
    h=$(home "$i")
    [ "$i" = 0 ] || cp "$gen" "$h/config/genesis.json"
    $BIN genesis gentx "val$i" "$STAKE" --chain-id "$CHAIN_ID" --home "$h" $KR \
      --moniker "node$i" --ip 127.0.0.1 --node-id "${ids[i]}" \
      --output-document "$h0/config/gentx/gentx-node$i.json" >/dev/null 2>&1
  done
  $BIN genesis collect-gentxs --home "$h0" >/dev/null 2>&1
  $BIN genesis validate --home "$h0" >/dev/null
  [ "$(jq '.app_state.genutil.gen_txs | length' "$gen")" = "$NODES" ] || { echo "genesis does not hold $NODES gentxs" >&2; exit 1; }
  for i in $(seq 0 $((NODES - 1))); do
    h=$(home "$i")
    [ "$i" = 0 ] || cp "$gen" "$h/config/genesis.json"
    peers=""
    for j in $(seq 0 $((NODES - 1))); do
      [ "$j" = "$i" ] || peers="$peers${peers:+,}${ids[j]}@127.0.0.1:$(port "$j" 0)"
    done
    c=$h/config/config.toml a=$h/config/app.toml
    sed -i \
      -e 's|^proxy_app = .*|proxy_app = "tcp://127.0.0.1:'"$(port "$i" 4)"'"|' \
      -e '/^\[rpc\]/,/^\[/ s|^laddr = .*|laddr = "tcp://127.0.0.1:'"$(port "$i" 1)"'"|' \
      -e '/^\[p2p\]/,/^\[/ s|^laddr = .*|laddr = "tcp://127.0.0.1:'"$(port "$i" 0)"'"|' \
      -e 's|^pprof_laddr = .*|pprof_laddr = ""|' \
      -e 's|^prometheus = .*|prometheus = false|' \
      -e 's|^persistent_peers = .*|persistent_peers = "'"$peers"'"|' \
      -e 's|^addr_book_strict = .*|addr_book_strict = false|' \
      -e 's|^allow_duplicate_ip = .*|allow_duplicate_ip = true|' \
      -e 's|^timeout_commit = .*|timeout_commit = "1s"|' \
      "$c"
    sed -i \
      -e 's|^minimum-gas-prices = .*|minimum-gas-prices = "0.025'$DENOM'"|' \
      -e '/^\[api\]/,/^\[/ s|^enable = false|enable = true|' \
      -e '/^\[api\]/,/^\[/ s|^address = .*|address = "tcp://127.0.0.1:'"$(port "$i" 3)"'"|' \
      -e '/^\[grpc\]/,/^\[/ s|^address = .*|address = "127.0.0.1:'"$(port "$i" 2)"'"|' \
      "$a"
    sed -i \
      -e 's|^chain-id = .*|chain-id = "'"$CHAIN_ID"'"|' \
      -e 's|^keyring-backend = .*|keyring-backend = "test"|' \
      -e 's|^node = .*|node = "tcp://127.0.0.1:'"$(port "$i" 1)"'"|' \
      "$h/config/client.toml"
  done
  echo "created a $NODES-validator network in $TN (chain $CHAIN_ID)"
}

start_node() { # start node $1 unless it runs; returns at once
  local i=$1 h pid k
  h=$(home "$i")
  if running "$i"; then echo "node$i already running (pid $(cat "$(pidfile "$i")"))"; return; fi
  for k in 0 1 2 3; do
    if port_busy "$(port "$i" $k)"; then
      echo "port $(port "$i" $k) of node$i is taken by another process (set TESTNET_PORT)" >&2; exit 1
    fi
  done
  echo "=== start $(date -u +%FT%TZ) ===" >>"$h/daitd.log"
  nohup "$BIN" start --home "$h" --log_no_color >>"$h/daitd.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$(pidfile "$i")"
  echo "node$i started (pid $pid, rpc $(rpc "$i"), log $h/daitd.log)"
}

wait_rpc() { # wait until node $1 answers on RPC
  for _ in $(seq 1 60); do
    [ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$(rpc "$1")/status" 2>/dev/null)" = 200 ] && return 0
    running "$1" || { echo "node$1 exited; tail of its log:" >&2; tail -20 "$(home "$1")/daitd.log" >&2; exit 1; }
    sleep 1
  done
  echo "node$1 does not answer on $(rpc "$1")" >&2; exit 1
}

wait_height() { # wait until node $1 reaches height $2
  for _ in $(seq 1 90); do
    [ "$(height "$1")" -ge "$2" ] && return 0
    sleep 1
  done
  echo "node$1 did not reach height $2; see $(home "$1")/daitd.log" >&2; exit 1
}

stop_node() { # SIGTERM node $1 and wait (SIGKILL after 20 s)
  local i=$1 pid
  if running "$i"; then
    pid=$(cat "$(pidfile "$i")")
    kill "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then echo "node$i ignored SIGTERM, killing" >&2; kill -9 "$pid"; fi
    echo "node$i stopped"
  fi
  rm -f "$(pidfile "$i")"
}

start_all() {
  [ -f "$TN/node0/config/genesis.json" ] || create
  for i in $(seq 0 $((NODES - 1))); do start_node "$i"; done
  for i in $(seq 0 $((NODES - 1))); do wait_rpc "$i"; done
  wait_height 0 $(($(height 0) + 2))
  describe
}

status() {
  local i h
  for i in $(seq 0 $((NODES - 1))); do
    if running "$i"; then
      h=$(height "$i")
      printf 'node%s running  pid %-7s height %-6s peers %s  rpc %s\n' "$i" "$(cat "$(pidfile "$i")")" "$h" \
        "$(curl -s -m 2 "$(rpc "$i")/net_info" | jq -r '.result.n_peers' 2>/dev/null || echo ?)" "$(rpc "$i")"
    else
      printf 'node%s stopped\n' "$i"
    fi
  done
}

describe() {
  cat <<MSG

daitchain testnet ($NODES validators, chain $CHAIN_ID) is running in $TN.
$(status)
  REST node0  http://127.0.0.1:$(port 0 3)/cosmos/base/tendermint/v1beta1/blocks/latest
  gRPC node0  127.0.0.1:$(port 0 2)
  accounts    val0..val3 (validators) $ACCOUNTS (test keyring $TN/keys)

Try:
  $BIN tx bank send alice \$($BIN keys show bob -a $KR) 1000$DENOM --home $TN/node1 $KR --gas auto --gas-adjustment 1.5 --gas-prices 0.025$DENOM -y
  curl -s $(rpc 2)/status | jq .result.sync_info
Stop it with: scripts/testnet.sh stop   (start resumes it; fresh starts over)
MSG
}

need jq jq
need curl curl
[ -x "$BIN" ] || { echo "$BIN not found: run make build" >&2; exit 1; }
case "${1:-start}" in
  fresh)
    for i in $(seq 0 $((NODES - 1))); do stop_node "$i" >/dev/null & done; wait
    create
    start_all ;;
  start)
    if [ -n "${2:-}" ]; then
      [ -f "$TN/node0/config/genesis.json" ] || { echo "no network in $TN: run start without a node" >&2; exit 1; }
      start_node "$2"; wait_rpc "$2"
    else
      start_all
    fi ;;
  stop)
    if [ -n "${2:-}" ]; then stop_node "$2"; else
      for i in $(seq 0 $((NODES - 1))); do stop_node "$i" & done; wait
      echo "testnet stopped"
    fi ;;
  status) status ;;
  *) echo "usage: $0 start [N]|fresh|stop [N]|status" >&2; exit 2 ;;
esac
