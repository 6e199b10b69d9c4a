#!/usr/bin/env bash
# Fault test on the four-validator testnet (scripts/testnet.sh), all on 127.0.0.1.
#
#   a. fresh network; height >= 3; a bank send lands
#   b. SIGTERM one validator: the other three keep making blocks, a tx lands
#   c. SIGTERM a second: the chain halts (no height change for 15 s on the
#      two left) and does not fork (same block hash at their last height)
#   d. restart both: the chain resumes and every tx committed so far is found
#      by hash, in the same block, on every node
#   e. SIGKILL a validator mid-run and restart it: it catches up and all four
#      report the same block hash and app hash at common heights
#
# Prints each step, exits non-zero on the first failure, stops every node on
# exit (trap), and gives up after $FAULTS_TIMEOUT seconds (default 330).
# Uses $TESTNET_HOME (default ./.testnet): the network there is wiped.
set -euo pipefail
cd "$(dirname "$0")/.."

export TESTNET_HOME=${TESTNET_HOME:-$PWD/.testnet}
TN=$TESTNET_HOME
BIN=${DAITD:-$PWD/build/daitd}
BASE=${TESTNET_PORT:-36600}
CHAIN_ID=${TESTNET_CHAIN_ID:-daitchain-testnet}
LIMIT=${FAULTS_TIMEOUT:-330}
NET=scripts/testnet.sh
KR="--keyring-backend test --keyring-dir $TN/keys"
T0=$(date +%s)

# jq and curl read the nodes' RPC.
. scripts/need.sh
need jq
need curl

say() { printf '[%3ds] %s\n' $(($(date +%s) - T0)) "$*"; }
fail() { say "FAIL: $*"; exit 1; }
ok() { say "  ok: $*"; }
RESULTS=()
passed() { RESULTS+=("PASS  $1"); say "PASS $1"; }

WATCHDOG=
cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  [ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
  say "stopping every node"
  "$NET" stop >/dev/null 2>&1 || true
  echo
  echo "==== testnet fault test summary ===="
  for r in "${RESULTS[@]}"; do echo "  $r"; done
  if [ "$rc" = 0 ]; then
    echo "  RESULT: PASS in $(($(date +%s) - T0)) s"
  else
    echo "  RESULT: FAIL (exit $rc) after $(($(date +%s) - T0)) s; node logs in $TN/node*/daitd.log"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "timed out or terminated"; exit 124' TERM
(for _ in $(seq 1 "$LIMIT"); do sleep 1; done; kill -TERM $$) 2>/dev/null &
WATCHDOG=$!

rpc() { echo "http://127.0.0.1:$((BASE + 10 * $1 + 1))"; }
height() {
  local h
  h=$(curl -s -m 2 "$(rpc "$1")/status" 2>/dev/null | jq -r '.result.sync_info.latest_block_height' 2>/dev/null) || true
  case "$h" in '' | null | *[!0-9]*) echo 0 ;; *) echo "$h" ;; esac
}
block() { curl -s -m 3 "$(rpc "$1")/block?height=$2"; }  # node height
hash_at() { block "$1" "$2" | jq -r '.result.block_id.hash // "none"'; }
apphash_at() { block "$1" "$2" | jq -r '.result.block.header.app_hash // "none"'; }
signers_at() { block "$1" "$2" | jq '[.result.block.last_commit.signatures[] | select(.block_id_flag == 2)] | length'; }
heights() { local s="" i; for i in "$@"; do s="$s node$i=$(height "$i")"; done; echo "${s# }"; }
max_height() { local m=0 i h; for i in "$@"; do h=$(height "$i"); [ "$h" -gt "$m" ] && m=$h; done; echo "$m"; }
min_height() { local m= i h; for i in "$@"; do h=$(height "$i"); [ -z "$m" ] || [ "$h" -lt "$m" ] && m=$h; done; echo "$m"; }

wait_heights() { # wait_heights TARGET TIMEOUT NODE...: every node at >= TARGET
  local target=$1 timeout=$2 i done_
  shift 2
  for _ in $(seq 1 "$timeout"); do
    done_=1
    for i in "$@"; do [ "$(height "$i")" -ge "$target" ] || { done_=0; break; }; done
    [ "$done_" = 1 ] && return 0
    sleep 1
  done
  fail "not every node reached height $target within ${timeout}s ($(heights "$@"))"
}

BOB=
TXS=()       # hashes of every tx committed so far
TXH=()       # and their heights
send_tx() { # send_tx NODE AMOUNT: alice -> bob through NODE, wait until it is in a block
  local node=$1 amount=$2 out hash code res before after
  before=$($BIN query bank balance "$BOB" udait --node "tcp://127.0.0.1:$((BASE + 10 * node + 1))" -o json | jq -r '.balance.amount')
  out=$($BIN tx bank send alice "$BOB" "${amount}udait" --home "$TN/node$node" $KR --chain-id "$CHAIN_ID" \
    --node "tcp://127.0.0.1:$((BASE + 10 * node + 1))" \
    --gas auto --gas-adjustment 1.5 --gas-prices 0.025udait --yes --output json 2>&1 | grep '^{' | tail -1) || true
  hash=$(echo "$out" | jq -r '.txhash // empty' 2>/dev/null) || true
  code=$(echo "$out" | jq -r '.code' 2>/dev/null) || true
  [ -n "$hash" ] && [ "$code" = 0 ] || fail "tx through node$node refused: $out"
  say "  sent $amount udait alice -> bob through node$node, tx $hash"
  for _ in $(seq 1 40); do
    res=$(curl -s -m 3 "$(rpc "$node")/tx?hash=0x$hash")
    if [ "$(echo "$res" | jq -r '.result.hash // empty')" = "$hash" ]; then
      code=$(echo "$res" | jq -r '.result.tx_result.code')
      [ "$code" = 0 ] || fail "tx $hash failed in block: $(echo "$res" | jq -r '.result.tx_result.log')"
      TXS+=("$hash"); TXH+=("$(echo "$res" | jq -r '.result.height')")
      after=$($BIN query bank balance "$BOB" udait --node "tcp://127.0.0.1:$((BASE + 10 * node + 1))" -o json | jq -r '.balance.amount')
      # Compare as decimal strings of equal magnitude: bash arithmetic is 64-bit, fine here.
      [ $((after - before)) = "$amount" ] || fail "bob's balance moved by $((after - before)), not $amount"
      ok "tx landed at height ${TXH[-1]} (code 0), bob +$amount udait"
      return 0
    fi
    sleep 1
  done
  fail "tx $hash was not included within 40 s"
}

txs_everywhere() { # every committed tx found by hash, at the same height, on each node given
  local n i hash res
  for n in "$@"; do
    for i in "${!TXS[@]}"; do
      hash=${TXS[i]}
      res=$(curl -s -m 3 "$(rpc "$n")/tx?hash=0x$hash")
      [ "$(echo "$res" | jq -r '.result.height // empty')" = "${TXH[i]}" ] && [ "$(echo "$res" | jq -r '.result.tx_result.code')" = 0 ] ||
        fail "node$n does not have tx $hash at height ${TXH[i]}: $(echo "$res" | jq -c '.error // .result.height')"
    done
  done
  ok "all ${#TXS[@]} txs found by hash at their heights on node$(echo "$@" | sed 's/ /, node/g')"
}

same_at() { # same_at HEIGHT NODE...: same block hash and app hash everywhere
  local h=$1 n bh ah b0= a0=
  shift
  for n in "$@"; do
    bh=$(hash_at "$n" "$h"); ah=$(apphash_at "$n" "$h")
    [ "$bh" != none ] && [ "$ah" != none ] || fail "node$n has no block $h"
    if [ -z "$b0" ]; then b0=$bh a0=$ah; else
      [ "$bh" = "$b0" ] || fail "FORK: block $h is $bh on node$n but $b0 on node$1"
      [ "$ah" = "$a0" ] || fail "app hash at $h is $ah on node$n but $a0 on node$1"
    fi
  done
  ok "height $h: block ${b0:0:16}... app_hash ${a0:0:16}... identical on node$(echo "$@" | sed 's/ /, node/g')"
}

[ -x "$BIN" ] || fail "$BIN not found: run make build"
say "fault test: 4 validators on 127.0.0.1 in $TN (RPC ports $((BASE + 1)), $((BASE + 11)), $((BASE + 21)), $((BASE + 31)))"

# ---------------------------------------------------------------- (a)
say "(a) fresh network, wait for height >= 3, one bank send"
"$NET" fresh | grep -E '^(created|node[0-9] (started|running))' | sed 's/^/      /'
BOB=$($BIN keys show bob -a $KR)
wait_heights 3 60 0 1 2 3
ok "heights: $(heights 0 1 2 3); validators: $(curl -s "$(rpc 0)/validators" | jq -r '[.result.validators[].voting_power] | join(" / ")') voting power"
send_tx 0 1000
passed "(a) 4 validators make blocks; a tx lands"

# ---------------------------------------------------------------- (b)
say "(b) SIGTERM node3 (1 of 4 down, 75% of the power left)"
"$NET" stop 3 | sed 's/^/      /'
h=$(max_height 0 1 2)
wait_heights $((h + 4)) 60 0 1 2
ok "blocks continue: $h -> $(heights 0 1 2)"
send_tx 1 2000
hb=$(min_height 0 1 2)
ok "block $hb carries $(signers_at 1 "$hb") of 4 precommit signatures"
passed "(b) 3 of 4 validators keep the chain live; a tx lands"

# ---------------------------------------------------------------- (c)
say "(c) SIGTERM node2 (2 of 4 down, 50% left: below the 2/3 quorum)"
"$NET" stop 2 | sed 's/^/      /'
sleep 4 # a block already being committed may still land
h0=$(height 0) h1=$(height 1)
say "  heights at the halt: node0=$h0 node1=$h1; watching for 15 s"
for t in 3 6 9 12 15; do
  sleep 3
  n0=$(height 0) n1=$(height 1)
  [ "$n0" = "$h0" ] && [ "$n1" = "$h1" ] || fail "height advanced with 2 of 4 validators: node0 $h0->$n0, node1 $h1->$n1"
  say "    t=${t}s node0=$n0 node1=$n1 (round/step $(curl -s -m 2 "$(rpc 0)/consensus_state" | jq -r '.result.round_state["height/round/step"]'))"
done
ok "no block for 15 s"
hc=$((h0 < h1 ? h0 : h1))
[ "$h0" = "$h1" ] || say "  the two nodes stopped one block apart; comparing at the common height $hc"
same_at "$hc" 0 1
passed "(c) with 2 of 4 down the chain halts at $hc without forking"

# ---------------------------------------------------------------- (d)
say "(d) restart node2 and node3"
"$NET" start 2 | sed 's/^/      /'
"$NET" start 3 | sed 's/^/      /'
wait_heights $((hc + 3)) 120 0 1 2 3
ok "chain resumed: $(heights 0 1 2 3)"
send_tx 3 3000
wait_heights "${TXH[-1]}" 30 0 1 2 3
txs_everywhere 0 1 2 3
same_at "$hc" 0 1 2 3
passed "(d) the chain resumes; every committed tx is on every node"

# ---------------------------------------------------------------- (e)
say "(e) SIGKILL node1 mid-run, then restart it"
h=$(max_height 0 1 2 3)
pid1=$(cat "$TN/node1/daitd.pid")
kill -9 "$pid1"
for _ in $(seq 1 20); do kill -0 "$pid1" 2>/dev/null || break; sleep 0.25; done
kill -0 "$pid1" 2>/dev/null && fail "node1 (pid $pid1) survived SIGKILL"
say "  node1 (pid $pid1) killed at height ~$h"
send_tx 2 4000
hk=$(max_height 0 2 3)
wait_heights $((hk + 3)) 60 0 2 3
ok "chain live without node1: $(heights 0 2 3)"
"$NET" start 1 | sed 's/^/      /'
target=$(($(max_height 0 2 3) + 2))
wait_heights "$target" 90 1
wait_heights "$target" 30 0 2 3
ok "node1 caught up: $(heights 0 1 2 3)"
common=$(min_height 0 1 2 3)
for hh in "$h" "$hk" $((common - 1)) "$common"; do same_at "$hh" 0 1 2 3; done
c0=$(curl -s "$(rpc 0)/commit?height=$common" | jq -r '.result.signed_header.commit.block_id.hash')
for n in 1 2 3; do
  [ "$(curl -s "$(rpc "$n")/commit?height=$common" | jq -r '.result.signed_header.commit.block_id.hash')" = "$c0" ] ||
    fail "/commit at $common differs on node$n"
done
ok "/commit at $common names the same block on all four nodes"
txs_everywhere 1
passed "(e) a SIGKILLed validator restarts, catches up and agrees on block and app hashes"
say "all fault scenarios passed"
