#!/usr/bin/env bash
# Fault test on the four-validator testnet (scripts/testnet.sh), all on
# 127.0.0.1, with a compute-market lease running through the faults.
#
#   a. fresh network: every node advances; a bank send lands
#   b. a lease: provider1 registers, the auditor attests its attributes, the
#      tenant deploys one group, provider1 bids, the auction ends and the lease
#      is ACTIVE; its books (below) agree on all four nodes
#   c. SIGTERM one validator: the other three advance, a tx lands
#   d. SIGTERM a second: the chain halts, and the two left have the same block
#      and app hash at the halt height (no fork)
#   e. restart both: every node advances again; every tx committed so far is
#      found by hash, in the same block, on every node; the books agree
#   f. SIGKILL a validator; provider1 withdraws while it is down; restart it:
#      it catches up, all four have the same block and app hash at common
#      heights, and the same lease, still ACTIVE, with the same books at the
#      withdraw's height and at the latest common height
#
# No sleep decides an outcome: heights are each running node's own /status
# latest_block_height, polled every second within bounded waits. A "slow
# block" is timeout_commit plus one failed round (timeout_propose, _prevote,
# _precommit) plus the next round's deltas, read from node0's config.toml
# (7.5 s with testnet.sh's settings).
#   live:   every running node's height rises by K blocks within K slow
#           blocks plus 30 s (plus the restart's time after a halt)
#   halted: no running node's height changes for two slow blocks (and at
#           least as many polls), and none passes the height at the stop by
#           more than 2: the blocks the stopped validator may have voted for
#
# The books of the lease at height H, read with --height H, must be the same
# on every node and add up (the escrow pays 5,000 blocks, more than the test
# makes, so anything but ACTIVE is a failure):
#   spent = price x (H - created); escrow balance = deposited - spent;
#   spent - withdrawn - withdrawable = take x (H - created) (the pool's take);
#   the withdraw at W collected (price - take) x (W - 1 - created);
#   the module account's bank balance = escrow + withdrawable + bid deposit;
#   tenant = its balance before - deposited - its fees;
#   provider1 = its balance before - its fees - bid deposit + withdrawn.
#
# Prints each step, exits non-zero on the first failure, stops every node on
# exit (trap), and gives up after $FAULTS_TIMEOUT seconds (default 450).
# Uses $TESTNET_HOME (default ./.testnet): the network there is wiped.
set -euo pipefail
cd "$(dirname "$0")/.."

export TESTNET_HOME=${TESTNET_HOME:-$PWD/.testnet}
# Read by testnet.sh's genesis: a short auction, and no provider bond, so that
# registering a provider needs no delegation that would unbalance the
# validators' equal power.
export TESTNET_BID_DURATION_BLOCKS=8 TESTNET_PROVIDER_MIN_BOND=0
TN=$TESTNET_HOME
BIN=${DAITD:-$PWD/build/daitd}
BASE=${TESTNET_PORT:-36600}
CHAIN_ID=${TESTNET_CHAIN_ID:-daitchain-testnet}
LIMIT=${FAULTS_TIMEOUT:-450}
NET=scripts/testnet.sh
KR="--keyring-backend test --keyring-dir $TN/keys"
GAS="--gas auto --gas-adjustment 1.5 --gas-prices 0.025udait"
POLL=1 # seconds between two polls of a bounded wait
T0=$(date +%s)

# The lease: 10,000 udait a block from a 50 DAIT deposit pays 5,000 blocks.
ATTRS=region=na-east,gpu_class=hopper,gpu_memory_gb=80
BID_PRICE=10000
DEPOSIT=50000000

# jq and curl read the nodes' RPC.
. scripts/need.sh
need jq
need curl

say() { printf '[%3ds] %s\n' $(($(date +%s) - T0)) "$*"; }
fail() { say "FAIL: $*" >&2; exit 1; } # stderr: also seen from inside $(...)
ok() { say "  ok: $*"; }
RESULTS=()
passed() { RESULTS+=("PASS  $1"); say "PASS $1"; }
now_ms() { date +%s%3N; }

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
tcp() { echo "tcp://127.0.0.1:$((BASE + 10 * $1 + 1))"; }
height() { # latest height node $1 reports, 0 if it does not answer
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
min_height() { local m='' i h; for i in "$@"; do h=$(height "$i"); [ -z "$m" ] || [ "$h" -lt "$m" ] && m=$h; done; echo "$m"; }
nodes() { echo "node$(echo "$@" | sed 's/ /, node/g')"; }

qj() { # qj NODE HEIGHT ARGS...: `daitd query ARGS -o json` on NODE at HEIGHT ("" for the latest)
  local n=$1 h=$2 out
  shift 2
  out=$($BIN query "$@" --node "$(tcp "$n")" ${h:+--height "$h"} -o json 2>&1) ||
    fail "daitd query $* on node$n at height ${h:-latest}: $out"
  echo "$out"
}
balance() { qj "$1" "$2" bank balance "$3" udait | jq -r '.balance.amount'; } # NODE HEIGHT ADDRESS

# ---------------------------------------------------------------- timeouts
ms_of() { # ms_of DURATION: a Go duration as config.toml holds it ("1s", "500ms", "1m30s") in ms
  awk -v d="$1" 'BEGIN {
    if (d == "") exit 1
    ms = 0
    while (d != "") {
      if (!match(d, /^[0-9.]+/)) exit 1
      n = substr(d, 1, RLENGTH); d = substr(d, RLENGTH + 1)
      if (d ~ /^ms/) { ms += n; d = substr(d, 3) }
      else if (d ~ /^s/) { ms += n * 1000; d = substr(d, 2) }
      else if (d ~ /^m/) { ms += n * 60000; d = substr(d, 2) }
      else if (d ~ /^h/) { ms += n * 3600000; d = substr(d, 2) }
      else exit 1
    }
    printf "%d\n", ms
  }'
}
timeout_ms() { # timeout_ms KEY: node0's consensus KEY in ms
  local v
  v=$(sed -n 's/^'"$1"' = "\(.*\)"$/\1/p' "$TN/node0/config/config.toml")
  ms_of "$v" || fail "cannot read $1 (\"$v\") from $TN/node0/config/config.toml"
}
SLOW_MS='' HALT_MS='' HALT_POLLS=''
read_timeouts() {
  local c p pd v vd m md
  # One assignment a line: errexit sees each one's status.
  c=$(timeout_ms timeout_commit)
  p=$(timeout_ms timeout_propose)
  pd=$(timeout_ms timeout_propose_delta)
  v=$(timeout_ms timeout_prevote)
  vd=$(timeout_ms timeout_prevote_delta)
  m=$(timeout_ms timeout_precommit)
  md=$(timeout_ms timeout_precommit_delta)
  SLOW_MS=$((c + p + v + m + pd + vd + md))
  HALT_MS=$((2 * SLOW_MS))
  HALT_POLLS=$(((HALT_MS + 1000 * POLL - 1) / (1000 * POLL)))
  ok "timeouts: commit ${c} ms, propose ${p}+${pd} ms, prevote ${v}+${vd} ms, precommit ${m}+${md} ms: slow block ${SLOW_MS} ms, halt window ${HALT_MS} ms ($HALT_POLLS polls)"
}
live_s() { echo $((($1 * SLOW_MS + 999) / 1000 + 30)); } # live_s K: the deadline of K blocks, in s

# ---------------------------------------------------------------- waits
wait_heights() { # wait_heights TARGET SECONDS NODE...: every node at >= TARGET
  local target=$1 secs=$2 end i all
  shift 2
  end=$(($(now_ms) + secs * 1000))
  while :; do
    all=1
    for i in "$@"; do [ "$(height "$i")" -ge "$target" ] || { all=0; break; }; done
    [ "$all" = 1 ] && return 0
    [ "$(now_ms)" -lt "$end" ] || fail "not every node reached height $target within ${secs}s ($(heights "$@"))"
    sleep "$POLL"
  done
}

wait_advance() { # wait_advance K SECONDS NODE...: each node's own height rises by >= K within SECONDS
  local k=$1 secs=$2 end i h behind moved
  shift 2
  local -a start=() seen=()
  end=$(($(now_ms) + secs * 1000))
  for i in "$@"; do start[$i]=$(height "$i"); seen[$i]=${start[$i]}; done
  while :; do
    behind=''
    for i in "$@"; do
      h=$(height "$i")
      if [ "$h" = 0 ]; then behind="$behind node$i (no answer)"; continue; fi
      [ "$h" -ge "${seen[$i]}" ] || fail "node$i went back from height ${seen[$i]} to $h"
      seen[$i]=$h
      [ "${start[$i]}" != 0 ] || start[$i]=$h # it answers for the first time
      [ "$h" -ge $((start[$i] + k)) ] || behind="$behind node$i"
    done
    if [ -z "$behind" ]; then
      moved=''
      for i in "$@"; do moved="$moved node$i ${start[$i]}->${seen[$i]}"; done
      ok "+$k blocks or more on every node within ${secs}s:$moved"
      return 0
    fi
    [ "$(now_ms)" -lt "$end" ] || fail "not live: within ${secs}s,$behind did not advance by $k blocks ($(heights "$@"))"
    sleep "$POLL"
  done
}

HALT_AT=
wait_halt() { # wait_halt FROM NODE...: the nodes' heights stop changing (see the header); FROM: the height at the stop
  local from=$1 secs end cur prev='' since polls=0 mute max min i h
  shift
  secs=$(((3 * HALT_MS + 999) / 1000 + 30))
  end=$(($(now_ms) + secs * 1000))
  since=$(now_ms)
  while :; do
    cur='' mute=0 max=0 min=''
    for i in "$@"; do
      h=$(height "$i")
      cur="$cur node$i=$h"
      [ "$h" = 0 ] && mute=1
      [ "$h" -gt "$max" ] && max=$h
      { [ -z "$min" ] || [ "$h" -lt "$min" ]; } && min=$h
    done
    [ "$max" -le $((from + 2)) ] || fail "the chain advanced from $from to $max with 2 of 4 validators:$cur"
    if [ "$mute" = 1 ] || [ "$cur" != "$prev" ]; then
      # A new height, or a node that did not answer: the window starts again.
      say "    heights:$cur"
      prev=$cur since=$(now_ms) polls=0
    else
      polls=$((polls + 1))
    fi
    if [ "$polls" -ge "$HALT_POLLS" ] && [ $(($(now_ms) - since)) -ge "$HALT_MS" ]; then
      HALT_AT=$min
      ok "no height changed for $(($(now_ms) - since)) ms over $polls polls:$cur (round/step $(curl -s -m 2 "$(rpc "$1")/consensus_state" | jq -r '.result.round_state["height/round/step"]'))"
      return 0
    fi
    [ "$(now_ms)" -lt "$end" ] || fail "the heights kept changing for ${secs}s with 2 of 4 validators (last:$cur)"
    sleep "$POLL"
  done
}

# ---------------------------------------------------------------- txs
TXS=()                         # hashes of every tx committed so far
TXH=()                         # and their heights
FEE_KEY=() FEE_H=() FEE_AMT=() # every committed tx's signer, height and fee (udait)
TX_HEIGHT='' TX_FEE=''
tx_ok() { # tx_ok NODE KEY ARGS...: KEY signs `daitd tx ARGS`, sent through NODE; waits for its block, code 0
  local node=$1 key=$2 what="$3 $4" out json hash code res end
  shift 2
  out=$($BIN tx "$@" --from "$key" --home "$TN/node$node" $KR --chain-id "$CHAIN_ID" --node "$(tcp "$node")" \
    $GAS --yes --output json 2>&1) || true
  json=$(echo "$out" | grep '^{' | tail -1) || true
  hash=$(echo "$json" | jq -r '.txhash // empty' 2>/dev/null) || true
  code=$(echo "$json" | jq -r '.code' 2>/dev/null) || true
  [ -n "$hash" ] && [ "$code" = 0 ] || fail "$key's $what through node$node refused: $(echo "$out" | tail -3)"
  end=$(($(now_ms) + 40000))
  while :; do
    res=$(curl -s -m 3 "$(rpc "$node")/tx?hash=0x$hash") || true
    if [ "$(echo "$res" | jq -r '.result.hash // empty' 2>/dev/null)" = "$hash" ]; then
      code=$(echo "$res" | jq -r '.result.tx_result.code')
      [ "$code" = 0 ] || fail "$key's $what ($hash) failed in its block: $(echo "$res" | jq -r '.result.tx_result.log')"
      TX_HEIGHT=$(echo "$res" | jq -r '.result.height')
      TX_FEE=$(echo "$res" | jq -r '[.result.tx_result.events[] | select(.type == "tx") | .attributes[] | select(.key == "fee") | .value][0] // ""')
      TX_FEE=${TX_FEE%udait}
      case "$TX_FEE" in '' | *[!0-9]*) fail "$key's $what ($hash): no udait fee in its tx event" ;; esac
      TXS+=("$hash") TXH+=("$TX_HEIGHT")
      FEE_KEY+=("$key") FEE_H+=("$TX_HEIGHT") FEE_AMT+=("$TX_FEE")
      say "  $key: $what through node$node landed at height $TX_HEIGHT (code 0, fee ${TX_FEE} udait, tx ${hash:0:16}...)"
      return 0
    fi
    [ "$(now_ms)" -lt "$end" ] || fail "$key's $what ($hash) was not in a block within 40 s"
    sleep "$POLL"
  done
}
fees_upto() { # fees_upto KEY HEIGHT: the fees KEY paid in blocks up to HEIGHT
  local i s=0
  for i in "${!FEE_KEY[@]}"; do
    if [ "${FEE_KEY[i]}" = "$1" ] && [ "${FEE_H[i]}" -le "$2" ]; then s=$((s + FEE_AMT[i])); fi
  done
  echo "$s"
}

BOB=
send_tx() { # send_tx NODE AMOUNT: alice -> bob through NODE; bob's balance moves by AMOUNT
  local node=$1 amount=$2 before after
  before=$(balance "$node" "" "$BOB")
  tx_ok "$node" alice bank send alice "$BOB" "${amount}udait"
  after=$(balance "$node" "$TX_HEIGHT" "$BOB")
  [ $((after - before)) = "$amount" ] || fail "bob's balance moved by $((after - before)), not $amount"
  ok "bob +$amount udait"
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
  ok "all ${#TXS[@]} txs found by hash at their heights on $(nodes "$@")"
}

same_at() { # same_at HEIGHT NODE...: same block hash and app hash everywhere
  local h=$1 n bh ah b0='' a0=''
  shift
  for n in "$@"; do
    bh=$(hash_at "$n" "$h"); ah=$(apphash_at "$n" "$h")
    [ "$bh" != none ] && [ "$ah" != none ] || fail "node$n has no block $h"
    if [ -z "$b0" ]; then b0=$bh a0=$ah; else
      [ "$bh" = "$b0" ] || fail "FORK: block $h is $bh on node$n but $b0 on node$1"
      [ "$ah" = "$a0" ] || fail "app hash at $h is $ah on node$n but $a0 on node$1"
    fi
  done
  ok "height $h: block ${b0:0:16}... app_hash ${a0:0:16}... identical on $(nodes "$@")"
}

# ---------------------------------------------------------------- the lease's books
PROV='' TENANT='' MODULE='' GROUP='' BID='' LEASE='' PRICE='' TAKE='' CREATED='' PROV0='' TENANT0='' WITHDRAW_H=''
books() { # books NODE HEIGHT: what NODE says of the lease at HEIGHT, as one canonical JSON line
  # Run inside $(...), where errexit is off: each query exits on its own.
  local n=$1 h=$2 le grp bid ids module tenant prov
  le=$(qj "$n" "$h" computemarket lease-escrow "$LEASE") || exit 1
  grp=$(qj "$n" "$h" computemarket group "$GROUP") || exit 1
  bid=$(qj "$n" "$h" computemarket bid "$BID") || exit 1
  ids=$(qj "$n" "$h" computemarket leases --tenant "$TENANT" | jq -c '[.leases[].id]') || exit 1
  module=$(balance "$n" "$h" "$MODULE") || exit 1
  tenant=$(balance "$n" "$h" "$TENANT") || exit 1
  prov=$(balance "$n" "$h" "$PROV") || exit 1
  jq -n -c -S --argjson le "$le" --argjson g "$grp" --argjson b "$bid" --argjson ids "$ids" \
    --arg modbal "$module" --arg tenant "$tenant" --arg provider "$prov" '{
      height: $le.height, lease: $le.lease, tenant_leases: $ids,
      balance: $le.balance.amount, withdrawable: $le.withdrawable.amount, blocks_left: $le.blocks_left,
      group_state: $g.group.state, group_lease: $g.group.lease_id, escrow: $g.escrow,
      bid_state: $b.bid.state, bid_deposit: $b.bid.deposit.amount,
      module_balance: $modbal, tenant_balance: $tenant, provider_balance: $provider }'
}

market_check() { # market_check HEIGHT NODE...: the lease's books at HEIGHT, identical on every node and adding up
  local h=$1 n s s0='' first='' blocks spent withdrawn withdrawable bal deposited bdep module tenant prov want
  shift
  for n in "$@"; do
    s=$(books "$n" "$h")
    if [ -z "$s0" ]; then s0=$s first=$n; elif [ "$s" != "$s0" ]; then
      fail "the books of lease $LEASE at height $h differ between node$first and node$n:
$(diff <(echo "$s0" | jq .) <(echo "$s" | jq .))"
    fi
  done
  field() { echo "$s0" | jq -r "$1"; }
  [ "$(field .height)" = "$h" ] && [ "$(field .lease.settled_height)" = "$h" ] ||
    fail "lease $LEASE queried at height $h is settled at $(field .lease.settled_height) (query height $(field .height))"
  [ "$(field .lease.state)" = LEASE_STATE_ACTIVE ] ||
    fail "lease $LEASE at height $h is $(field .lease.state) (close reason $(field .lease.close_reason)), not ACTIVE; its escrow holds $(field .balance) udait for $PRICE a block"
  [ "$(field .group_state)/$(field .group_lease)/$(field .bid_state)" = "GROUP_STATE_MATCHED/$LEASE/BID_STATE_ACTIVE" ] ||
    fail "at height $h group $GROUP is $(field .group_state) with lease $(field .group_lease) and bid $BID is $(field .bid_state), not MATCHED/$LEASE/ACTIVE"
  [ "$(field '.tenant_leases | join(",")')" = "$LEASE" ] || fail "at height $h the tenant's leases are $(field .tenant_leases), not [$LEASE]"
  blocks=$((h - CREATED))
  spent=$(field .lease.spent.amount) withdrawn=$(field .lease.withdrawn.amount) withdrawable=$(field .withdrawable)
  bal=$(field .balance) deposited=$(field .escrow.deposited.amount) bdep=$(field .bid_deposit)
  module=$(field .module_balance) tenant=$(field .tenant_balance) prov=$(field .provider_balance)
  [ "$deposited" = "$DEPOSIT" ] || fail "group $GROUP's escrow was deposited $deposited udait, not $DEPOSIT"
  [ "$spent" = $((PRICE * blocks)) ] ||
    fail "lease $LEASE at height $h spent $spent udait, not price $PRICE x $blocks blocks since $CREATED = $((PRICE * blocks))"
  [ "$bal" = $((deposited - spent)) ] && [ "$(field .escrow.balance.amount)" = "$bal" ] ||
    fail "escrow of group $GROUP at height $h: lease-escrow says $bal, group says $(field .escrow.balance.amount), deposited $deposited - spent $spent = $((deposited - spent))"
  [ $((spent - withdrawn - withdrawable)) = $((TAKE * blocks)) ] ||
    fail "lease $LEASE at height $h: spent $spent - withdrawn $withdrawn - withdrawable $withdrawable = $((spent - withdrawn - withdrawable)), not the take $TAKE x $blocks = $((TAKE * blocks))"
  if [ -n "$WITHDRAW_H" ] && [ "$h" -ge "$WITHDRAW_H" ]; then want=$(((PRICE - TAKE) * (WITHDRAW_H - 1 - CREATED))); else want=0; fi
  [ "$withdrawn" = "$want" ] || fail "lease $LEASE at height $h: withdrawn $withdrawn, not $want"
  [ "$module" = $((bal + withdrawable + bdep)) ] ||
    fail "at height $h the module account $MODULE holds $module udait, the module owes escrow $bal + withdrawable $withdrawable + bid deposit $bdep = $((bal + withdrawable + bdep))"
  want=$((TENANT0 - deposited - $(fees_upto tenant "$h")))
  [ "$tenant" = "$want" ] || fail "at height $h the tenant holds $tenant udait, not $TENANT0 - deposit $deposited - fees $(fees_upto tenant "$h") = $want"
  want=$((PROV0 - $(fees_upto provider1 "$h") - bdep + withdrawn))
  [ "$prov" = "$want" ] ||
    fail "at height $h provider1 holds $prov udait, not $PROV0 - fees $(fees_upto provider1 "$h") - bid deposit $bdep + withdrawn $withdrawn = $want"
  ok "height $h, same books on $(nodes "$@"): lease $LEASE ACTIVE, spent $spent = $PRICE x $blocks, escrow $bal = $deposited - spent, pool take $((spent - withdrawn - withdrawable)) = $TAKE x $blocks, withdrawn $withdrawn + withdrawable $withdrawable; module account $module = escrow + withdrawable + bid deposit $bdep; tenant and provider1 balances add up"
}

[ -x "$BIN" ] || fail "$BIN not found: run make build"
say "fault test: 4 validators on 127.0.0.1 in $TN (RPC ports $((BASE + 1)), $((BASE + 11)), $((BASE + 21)), $((BASE + 31)))"

# ---------------------------------------------------------------- (a)
say "(a) fresh network: every node advances; one bank send"
"$NET" fresh | grep -E '^(created|node[0-9] (started|running))' | sed 's/^/      /'
read_timeouts
BOB=$($BIN keys show bob -a $KR)
wait_advance 2 "$(live_s 2)" 0 1 2 3
ok "validators: $(curl -s "$(rpc 0)/validators" | jq -r '[.result.validators[].voting_power] | join(" / ")') voting power"
send_tx 0 1000
passed "(a) 4 validators make blocks; a tx lands"

# ---------------------------------------------------------------- (b)
say "(b) a lease: provider1 registers and is audited, the tenant deploys one group, provider1 bids"
PROV=$($BIN keys show provider1 -a $KR)
TENANT=$($BIN keys show tenant -a $KR)
MODULE=$(qj 0 "" auth module-account computemarket | jq -r '.account.value.address // .account.address')
params=$(qj 0 "" computemarket params)
tx_ok 0 provider1 computemarket create-provider https://provider1.testnet:8443 --attributes "$ATTRS"
PROV0=$(balance 0 $((TX_HEIGHT - 1)) "$PROV")
tx_ok 1 auditor computemarket audit-attribute "$PROV" "$ATTRS"
cat >"$TN/deployment.yaml" <<YAML
groups:
  - name: trainer
    resources:
      gpu: { count: 1, memory_gb: 80, class: hopper }
      cpu_millis: 8000
      memory_mb: 64000
      storage_gb: 100
    requirements:
      - { key: region, op: "=", value: na-east }
      - { key: gpu_memory_gb, op: ">=", value: "80" }
    max_price: 20000udait
    deposit: ${DEPOSIT}udait
YAML
tx_ok 2 tenant computemarket create-deployment "$TN/deployment.yaml"
TENANT0=$(balance 2 $((TX_HEIGHT - 1)) "$TENANT")
groups=$(qj 2 "" computemarket groups --deployment-id "$(qj 2 "" computemarket deployments --owner "$TENANT" | jq -r '.deployments[0].id')")
[ "$(echo "$groups" | jq '.groups | length')" = 1 ] || fail "the deployment should have one group: $groups"
GROUP=$(echo "$groups" | jq -r '.groups[0].id')
auction_end=$(echo "$groups" | jq -r '.groups[0].auction_end')
ok "group $GROUP: $(echo "$groups" | jq -r '.groups[0].state'), auction from $(echo "$groups" | jq -r '.groups[0].opened_at') to $auction_end"
tx_ok 3 provider1 computemarket create-bid "$GROUP" "${BID_PRICE}udait"
bid_h=$TX_HEIGHT
BID=$(qj 3 "" computemarket bids --group "$GROUP" | jq -r '[.bids[] | select(.provider == "'"$PROV"'")][0].id // empty')
[ -n "$BID" ] || fail "no bid of provider1 on group $GROUP"
# The lease starts at the auction's EndBlock, or at once if the bid came
# after the window (the group is then ORDERED): both are the market's rules.
at=$((auction_end > bid_h ? auction_end : bid_h))
wait_heights "$at" "$(live_s $((at - bid_h + 1)))" 0 1 2 3
grp=$(qj 0 "$at" computemarket group "$GROUP")
LEASE=$(echo "$grp" | jq -r '.group.lease_id // "0"')
[ "$(echo "$grp" | jq -r .group.state)" = GROUP_STATE_MATCHED ] && [ "$LEASE" != 0 ] ||
  fail "group $GROUP at height $at (auction end $auction_end, bid at $bid_h) is $(echo "$grp" | jq -r .group.state) with no lease; bids: $(qj 0 "$at" computemarket bids --group "$GROUP" | jq -c '[.bids[] | {id, state, price: .price.amount}]')"
le=$(qj 0 "$at" computemarket lease-escrow "$LEASE")
PRICE=$(echo "$le" | jq -r .lease.price.amount)
TAKE=$(echo "$le" | jq -r .lease.take.amount)
CREATED=$(echo "$le" | jq -r .lease.created_height)
[ "$PRICE" = "$BID_PRICE" ] || fail "lease $LEASE pays $PRICE a block, not the bid's $BID_PRICE"
[ "$TAKE" = $((PRICE * $(echo "$params" | jq -r .params.take_rate_bps) / 10000)) ] ||
  fail "lease $LEASE's take is $TAKE, not floor($PRICE x take_rate_bps / 10000)"
case "$CREATED" in
  "$auction_end") ok "lease $LEASE created at the auction's end ($CREATED) from bid $BID: $PRICE udait a block, take $TAKE" ;;
  "$bid_h") ok "bid $BID came after the window: group ORDERED, lease $LEASE created with the bid at $CREATED: $PRICE udait a block, take $TAKE" ;;
  *) fail "lease $LEASE created at $CREATED: neither the auction's end $auction_end nor the bid's height $bid_h" ;;
esac
[ "$(echo "$le" | jq -r .blocks_left)" -gt $((2 * LIMIT)) ] ||
  fail "lease $LEASE's escrow pays only $(echo "$le" | jq -r .blocks_left) blocks: it must outlast the test ($LIMIT s)"
market_check "$(min_height 0 1 2 3)" 0 1 2 3
passed "(b) a provider bids, the auction makes an ACTIVE lease; its books agree on 4 nodes"

# ---------------------------------------------------------------- (c)
say "(c) SIGTERM node3 (1 of 4 down, 75% of the power left)"
"$NET" stop 3 | sed 's/^/      /'
wait_advance 4 "$(live_s 4)" 0 1 2
send_tx 1 2000
hb=$(min_height 0 1 2)
ok "block $hb carries $(signers_at 1 "$hb") of 4 precommit signatures"
passed "(c) 3 of 4 validators keep the chain live; a tx lands"

# ---------------------------------------------------------------- (d)
say "(d) SIGTERM node2 (2 of 4 down, 50% left: below the 2/3 quorum)"
"$NET" stop 2 | sed 's/^/      /'
hs=$(max_height 0 1)
say "  at the stop: $(heights 0 1); watching until no height changes for ${HALT_MS} ms"
wait_halt "$hs" 0 1
hc=$HALT_AT
same_at "$hc" 0 1
passed "(d) with 2 of 4 down the chain halts at $hc without forking"

# ---------------------------------------------------------------- (e)
say "(e) restart node2 and node3"
"$NET" start 2 | sed 's/^/      /'
"$NET" start 3 | sed 's/^/      /'
# After a halt the rounds' timeouts have grown: allow 60 s more.
wait_advance 3 $(($(live_s 3) + 60)) 0 1 2 3
send_tx 3 3000
wait_heights "${TXH[-1]}" 30 0 1 2 3
txs_everywhere 0 1 2 3
same_at "$hc" 0 1 2 3
market_check "$(min_height 0 1 2 3)" 0 1 2 3
passed "(e) the chain resumes; every committed tx is on every node; the lease's books agree"

# ---------------------------------------------------------------- (f)
say "(f) SIGKILL node1 mid-run; provider1 withdraws while it is down; restart node1"
h=$(max_height 0 1 2 3)
pid1=$(cat "$TN/node1/daitd.pid")
kill -9 "$pid1"
for _ in $(seq 1 20); do kill -0 "$pid1" 2>/dev/null || break; sleep 0.25; done
kill -0 "$pid1" 2>/dev/null && fail "node1 (pid $pid1) survived SIGKILL"
say "  node1 (pid $pid1) killed at height ~$h"
tx_ok 2 provider1 computemarket withdraw "$LEASE"
WITHDRAW_H=$TX_HEIGHT
send_tx 3 4000
wait_advance 3 "$(live_s 3)" 0 2 3
hk=$(max_height 0 2 3)
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
market_check "$WITHDRAW_H" 0 1 2 3
market_check "$common" 0 1 2 3
passed "(f) a SIGKILLed validator restarts, catches up and agrees on block and app hashes and on the lease's books"
say "all fault scenarios passed"
