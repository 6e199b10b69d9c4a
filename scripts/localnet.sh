#!/usr/bin/env bash
# Local single-validator daitchain with funded test accounts.
#
#   scripts/localnet.sh start   # resume the chain in $LOCALNET_HOME, or create it
#   scripts/localnet.sh fresh   # wipe $LOCALNET_HOME and create a new chain
#   scripts/localnet.sh stop    # stop the node
#   scripts/localnet.sh status  # height and accounts
#
# Accounts (test keyring in $LOCALNET_HOME): validator, tenant, provider1..3
# (bonded to the provider tier, registered as providers, their attributes
# audited), auditor (in the auditor whitelist).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${DAITD:-$PWD/build/daitd}
HOME_DIR=${LOCALNET_HOME:-$PWD/.localnet}
CHAIN_ID=${CHAIN_ID:-daitchain-local}
DENOM=udait
KR="--keyring-backend test --home $HOME_DIR"
TXF="$KR --chain-id $CHAIN_ID --gas auto --gas-adjustment 1.5 --gas-prices 0.025$DENOM --yes --output json"
PROVIDER_BOND=${PROVIDER_BOND:-2000000000$DENOM} # 2,000 DAIT, above the 1,000 DAIT tier
PIDFILE=$HOME_DIR/daitd.pid
LOG=$HOME_DIR/daitd.log

. scripts/need.sh

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

addr() { $BIN keys show "$1" -a $KR; }

height() { curl -s localhost:26657/status | jq -r '.result.sync_info.latest_block_height' 2>/dev/null || echo 0; }

wait_height() { # wait until the chain reaches height $1
  for _ in $(seq 1 60); do
    h=$(height); if [ "${h:-0}" != null ] && [ "${h:-0}" -ge "$1" ] 2>/dev/null; then return 0; fi
    sleep 1
  done
  echo "the node did not reach height $1; see $LOG" >&2; exit 1
}

wait_tx() { # wait until tx $1 is in a block; fail on a non-zero code
  for _ in $(seq 1 30); do
    if out=$($BIN query tx "$1" --home "$HOME_DIR" --output json 2>/dev/null); then
      code=$(echo "$out" | jq -r '.code')
      [ "$code" = 0 ] || { echo "tx $1 failed: $(echo "$out" | jq -r '.raw_log')" >&2; exit 1; }
      return 0
    fi
    sleep 1
  done
  echo "tx $1 was not included" >&2; exit 1
}

tx() { # run a tx command and wait for it
  local out hash
  out=$($BIN tx "$@" $TXF 2>>"$HOME_DIR/tx.log")
  hash=$(echo "$out" | jq -r '.txhash')
  [ "$(echo "$out" | jq -r '.code')" = 0 ] || { echo "tx refused: $(echo "$out" | jq -r '.raw_log')" >&2; exit 1; }
  wait_tx "$hash"
}

create() {
  rm -rf "$HOME_DIR"
  $BIN init localnet --chain-id "$CHAIN_ID" --home "$HOME_DIR" >/dev/null 2>&1
  for k in validator tenant provider1 provider2 provider3 auditor; do
    $BIN keys add "$k" $KR --output json >"$HOME_DIR/$k.key.json" 2>&1
  done
  for k in validator tenant provider1 provider2 provider3 auditor; do
    $BIN genesis add-genesis-account "$(addr $k)" 100000000000000$DENOM --home "$HOME_DIR"
  done
  gen=$HOME_DIR/config/genesis.json
  jq --arg a "$(addr auditor)" --arg d "${BID_DURATION_BLOCKS:-30}" \
    '.app_state.computemarket.params.auditor_whitelist = [$a] | .app_state.computemarket.params.bid_duration_blocks = $d' "$gen" >"$gen.tmp" && mv "$gen.tmp" "$gen"
  # Short gov periods so that a param change can be tried locally.
  jq '.app_state.gov.params.voting_period = "60s" | .app_state.gov.params.expedited_voting_period = "30s"' "$gen" >"$gen.tmp" && mv "$gen.tmp" "$gen"
  $BIN genesis gentx validator 10000000000000$DENOM --chain-id "$CHAIN_ID" $KR >/dev/null 2>&1
  $BIN genesis collect-gentxs --home "$HOME_DIR" >/dev/null 2>&1
  $BIN genesis validate --home "$HOME_DIR" >/dev/null
  # Loopback only, about one block a second, REST and gRPC on.
  sed -i 's|^timeout_commit = .*|timeout_commit = "1s"|; s|^laddr = "tcp://0.0.0.0:26656"|laddr = "tcp://127.0.0.1:26656"|' "$HOME_DIR/config/config.toml"
  sed -i 's|^minimum-gas-prices = .*|minimum-gas-prices = "0.025'$DENOM'"|' "$HOME_DIR/config/app.toml"
  sed -i '/^\[api\]/,/^\[/ s|^enable = false|enable = true|' "$HOME_DIR/config/app.toml"
  sed -i 's|^chain-id = .*|chain-id = "'"$CHAIN_ID"'"|; s|^keyring-backend = .*|keyring-backend = "test"|' "$HOME_DIR/config/client.toml"
  touch "$HOME_DIR/.new"
}

start_node() {
  if running; then echo "localnet already running (pid $(cat "$PIDFILE"))"; return; fi
  nohup "$BIN" start --home "$HOME_DIR" >"$LOG" 2>&1 &
  echo $! >"$PIDFILE"
  wait_height 2
}

# Each provider: region, GPU class and memory (audited by the auditor).
PROVIDER_ATTRS=(
  "region=na-east,gpu_class=hopper,gpu_memory_gb=80,tier=datacenter"
  "region=eu-west,gpu_class=ada,gpu_memory_gb=48,tier=datacenter"
  "region=na-east,gpu_class=ampere,gpu_memory_gb=24,tier=community"
)

bond_providers() {
  val=$($BIN keys show validator --bech val -a $KR)
  for i in 1 2 3; do
    p=provider$i
    tx staking delegate "$val" "$PROVIDER_BOND" --from "$p"
    tx computemarket create-provider "https://$p.localnet:8443" --attributes "${PROVIDER_ATTRS[$((i-1))]}" --from "$p"
    tx computemarket audit-attribute "$(addr $p)" "${PROVIDER_ATTRS[$((i-1))]}" --from auditor
  done
  rm -f "$HOME_DIR/.new"
}

describe() {
  cat <<MSG

daitchain localnet is running (pid $(cat "$PIDFILE"), height $(height)).
  home      $HOME_DIR      log $LOG
  RPC       http://127.0.0.1:26657
  REST      http://127.0.0.1:1317/daitchain/computemarket/v1/params
  gRPC      127.0.0.1:9090
  accounts  validator tenant provider1 provider2 provider3 auditor (test keyring)

Three providers are registered and audited. Try, as the tenant:
  $BIN tenant deploy docs/examples/deployment.yaml --wait --from tenant --home $HOME_DIR --gas auto --gas-adjustment 1.5 --gas-prices 0.025udait
and, while it waits, bid as a provider (group ids are printed by deploy):
  $BIN tx computemarket create-bid 1 4000udait --from provider1 --home $HOME_DIR --gas auto --gas-adjustment 1.5 --gas-prices 0.025udait -y
Then:
  $BIN tenant status 1 --home $HOME_DIR
  $BIN query computemarket providers --home $HOME_DIR
Stop it with: make localnet-stop   (make localnet resumes it; make localnet-fresh starts over)
MSG
}

case "${1:-start}" in
  fresh)
    "$0" stop >/dev/null 2>&1 || true
    need jq jq; need curl curl
    create; start_node; bond_providers; describe ;;
  start)
    need jq jq; need curl curl
    [ -f "$HOME_DIR/config/genesis.json" ] || create
    start_node
    [ -f "$HOME_DIR/.new" ] && bond_providers
    describe ;;
  stop)
    if running; then kill "$(cat "$PIDFILE")"; for _ in $(seq 1 20); do running || break; sleep 0.5; done; fi
    rm -f "$PIDFILE"; echo "localnet stopped" ;;
  status)
    running && echo "running, height $(height)" || echo "stopped" ;;
  *) echo "usage: $0 start|fresh|stop|status" >&2; exit 2 ;;
esac
