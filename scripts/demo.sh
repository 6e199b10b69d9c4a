#!/usr/bin/env bash
# make demo: the marketplace running by itself, narrated. A fresh one-node
# chain, three provider daemons with different hardware and pricing, and a
# tenant deploying a two-group GPU workload whose services the winners run
# (process runtime) and serve through their gateways. Finishes by itself
# and leaves nothing running.
set -euo pipefail
cd "$(dirname "$0")/.."

export LOCALNET_HOME=${DEMO_HOME:-$PWD/.demo}
export BID_DURATION_BLOCKS=${BID_DURATION_BLOCKS:-8}
BIN=$PWD/build/daitd
H="--home $LOCALNET_HOME"
GAS="--gas auto --gas-adjustment 1.5 --gas-prices 0.025udait"
DAEMONS=()

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
note() { printf '   %s\n' "$*"; }
cleanup() {
  for pid in "${DAEMONS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${DAEMONS[@]}"; do wait "$pid" 2>/dev/null || true; done
  ./scripts/localnet.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

q() { $BIN query computemarket "$@" $H -o json; }
bal() { $BIN query bank balance "$1" udait $H -o json | jq -r '.balance.amount'; }
height() { curl -s 127.0.0.1:26657/status | jq -r .result.sync_info.latest_block_height; }
addr() { $BIN keys show "$1" -a $H --keyring-backend test; }

say "1. A fresh chain: one validator, a tenant, three bonded and audited providers"
./scripts/localnet.sh fresh >/dev/null
for p in provider1 provider2 provider3; do
  note "$p: $(q provider-attributes "$(addr $p)" | jq -r '[.records[0].attributes[] | "\(.key)=\(.value)"] | join(" ")')"
done

say "2. Three provider daemons start, each with its own hardware and pricing"
mkdir -p "$LOCALNET_HOME/daemons"
cat >"$LOCALNET_HOME/daemons/provider1.yaml" <<YAML
engine: { withdraw_every: 5s, reconnect_min: 200ms, reconnect_max: 5s }
inventory: { gpus: [ { class: hopper, count: 8, memory_gb: 80 } ], cpu_millis: 128000, memory_mb: 1024000, storage_gb: 8000 }
pricing: { strategy: fixed, fixed: { gpu_per_block: { hopper: "2500000" }, cpu_per_1000_millis: "20000", memory_per_gb: "500", storage_per_gb: "50" } }
metrics_listen: 127.0.0.1:9471
gateway: { listen: 127.0.0.1:8441 }
serving: { manifest_timeout: 2m, tick: 500ms, host_ports: [31000, 31999] }
runtime: { kind: process, stop_grace: 5s }
data_dir: $LOCALNET_HOME/daemons/provider1
YAML
cat >"$LOCALNET_HOME/daemons/provider2.yaml" <<YAML
engine: { withdraw_every: 5s, reconnect_min: 200ms, reconnect_max: 5s }
inventory: { gpus: [ { class: ada, count: 4, memory_gb: 48 } ], cpu_millis: 64000, memory_mb: 256000, storage_gb: 4000 }
pricing:
  strategy: cost_based
  cost_based:
    energy_per_kwh: "150000"
    block_seconds: "1"
    gpus: { ada: { watts: "300", amortisation_per_block: "1900000" } }
    cpu_watts_per_1000_millis: "10"
    cpu_amortisation_per_1000_millis: "10000"
    memory_amortisation_per_gb: "200"
    storage_amortisation_per_gb: "20"
    margin_bps: 1000
    idle_factor: "0.8"
    full_factor: "1.5"
metrics_listen: 127.0.0.1:9472
gateway: { listen: 127.0.0.1:8442 }
serving: { manifest_timeout: 2m, tick: 500ms, host_ports: [32000, 32999] }
runtime: { kind: process, stop_grace: 5s }
data_dir: $LOCALNET_HOME/daemons/provider2
YAML
cat >"$LOCALNET_HOME/daemons/provider3.yaml" <<YAML
engine: { withdraw_every: 5s, reconnect_min: 200ms, reconnect_max: 5s }
inventory: { gpus: [ { class: ampere, count: 2, memory_gb: 24 } ], cpu_millis: 32000, memory_mb: 128000, storage_gb: 2000 }
pricing: { strategy: fixed, fixed: { gpu_per_block: { ampere: "800000" }, cpu_per_1000_millis: "15000", memory_per_gb: "300", storage_per_gb: "30" } }
metrics_listen: 127.0.0.1:9473
gateway: { listen: 127.0.0.1:8443 }
serving: { manifest_timeout: 2m, tick: 500ms, host_ports: [33000, 33999] }
runtime: { kind: process, stop_grace: 5s }
data_dir: $LOCALNET_HOME/daemons/provider3
YAML
for p in provider1 provider2 provider3; do
  $BIN provider run --config "$LOCALNET_HOME/daemons/$p.yaml" --from $p $H --gas-prices 0.025udait >"$LOCALNET_HOME/daemons/$p.log" 2>&1 &
  DAEMONS+=($!)
  note "$p daemon: pid $!, metrics on $(grep metrics_listen "$LOCALNET_HOME/daemons/$p.yaml" | cut -d' ' -f2)/metrics, gateway https://$(grep -o '127.0.0.1:844[0-9]' "$LOCALNET_HOME/daemons/$p.yaml")"
done
# Each daemon publishes its gateway (host URI and certificate fingerprint)
# on chain before it bids: wait for all three records.
for p in provider1 provider2 provider3; do
  for _ in $(seq 1 60); do
    [ -n "$(q provider "$(addr $p)" | jq -r '.provider.tls_cert_sha256 // empty')" ] && break
    sleep 1
  done
  note "$p gateway on chain: $(q provider "$(addr $p)" | jq -r '"\(.provider.host_uri), cert sha256 \(.provider.tls_cert_sha256 | .[0:16])..."')"
done

say "3. The tenant deploys a two-group GPU workload, waits for the auctions, and sends its services to the winners"
go build -o "$LOCALNET_HOME/hello" ./examples/hello
cat >"$LOCALNET_HOME/deployment.yaml" <<YAML
groups:
  - name: trainer                 # 2 GPUs with >= 40 GB, in North America or Europe
    resources: { gpu: { count: 2, memory_gb: 40 }, cpu_millis: 16000, memory_mb: 128000, storage_gb: 500 }
    requirements:
      - { key: gpu_memory_gb, op: ">=", value: "40" }
      - { key: region, op: in, values: [na-east, eu-west] }
    max_price: 6000000udait        # per block
    deposit: 50000000udait         # 50 DAIT: about ten blocks at these prices
    services:                      # what the winner runs (examples/hello, a small web server)
      - name: trainer
        command: [ "$LOCALNET_HOME/hello" ]
        env: { MODEL: llama-3-8b }
        ports: [ { port: 8080, proto: http } ]
        health: { http: /healthz, every: 1s, fail_after: 3 }
        gpus: 2
  - name: api                     # CPU only, in North America
    resources: { cpu_millis: 4000, memory_mb: 8000, storage_gb: 20 }
    requirements:
      - { key: region, op: "=", value: na-east }
    max_price: 200000udait
    deposit: 50000000udait
    services:
      - name: api
        command: [ "$LOCALNET_HOME/hello" ]
        ports: [ { port: 8080, proto: http } ]
        health: { http: /healthz, every: 1s, fail_after: 3 }
YAML
tenant=$(addr tenant)
tenant0=$(bal "$tenant")
module=$($BIN query auth module-account computemarket $H -o json | jq -r '.account.value.address // .account.address')
pool0=$($BIN query distribution community-pool $H -o json | jq -r '.pool[0] // "0udait"')
$BIN tenant deploy "$LOCALNET_HOME/deployment.yaml" --wait --from tenant $H $GAS 2>/dev/null | sed 's/^/   /'

say "3b. The services answer through the providers' gateways"
# The gateways' certificates are self-signed; the chain holds their sha256.
# curl trusts exactly the winner's certificate (what the tenant client pins).
status=$($BIN tenant status 1 --from tenant $H -o json)
fetch() { # fetch <url>: GET through the gateway of the lease's provider
  local port=${1#https://127.0.0.1:}
  curl -s --cacert "$LOCALNET_HOME/daemons/provider$((${port%%/*} - 8440))/gateway/tls.crt" "$1"
}
for g in 0 1; do
  url=$(jq -r ".groups[$g].served.services[0].ports[0].url" <<<"$status")
  lease=$(jq -r ".groups[$g].lease.id" <<<"$status")
  note "lease $lease ($(jq -r ".groups[$g].group.spec.name" <<<"$status")) at $url"
  page=$(fetch "$url")
  note "  GET -> $page"
  case "$page" in "hello from lease $lease"*) ;; *) echo "demo: FAIL: $url did not answer with the service's page" >&2; exit 1 ;; esac
done
case "$(fetch "$(jq -r '.groups[0].served.services[0].ports[0].url' <<<"$status")")" in
  *"gpus ["[0-9]*,[0-9]*"]"*) note "the trainer sees its own two GPUs (CUDA_VISIBLE_DEVICES)" ;;
  *) echo "demo: FAIL: the trainer was not given its two GPUs" >&2; exit 1 ;;
esac
trainer_lease=$(jq -r '.groups[0].lease.id' <<<"$status")
trainer_url=$(jq -r '.groups[0].served.services[0].ports[0].url' <<<"$status")
trainer_port=$(jq -r '.groups[0].served.services[0].ports[0].host_ports[0]' <<<"$status")
note "its logs (daitd tenant logs $trainer_lease --tail 3 --from tenant):"
$BIN tenant logs "$trainer_lease" --tail 3 --from tenant $H | sed 's/^/     /'

say "4. The bids, the winners and why"
for g in 1 2; do
  name=$(q group $g | jq -r .group.spec.name)
  note "group $g ($name): max price $(q group $g | jq -r '.group.spec.max_price.amount')udait per block"
  q bids --group $g | jq -r '.bids[] | "     bid \(.id) by \(.provider[0:16])... at \(.price.amount)udait: \(.state)"'
done
for p in provider1 provider2 provider3; do
  skips=$(curl -s "127.0.0.1:947${p: -1}/metrics" | awk '/^daitd_provider_skips_total/ && $2 > 0 {print $1"="$2}' | sed 's/daitd_provider_skips_total//' | tr '\n' ' ')
  note "$p skipped: ${skips:-nothing}"
done
note "The lowest eligible price wins each group; ties would go to the earlier bid, then the address."

say "5. Escrow streams every block"
for i in 1 2 3; do
  sleep 2
  note "height $(height): $($BIN tenant status 1 $H | awk 'NR>2 {print $2": escrow "$6", blocks left "$7}' | tr '\n' ';')"
done

say "6. A top-up of the trainer's escrow moves its exhaustion later"
lease=$(q leases --tenant "$tenant" | jq -r '[.leases[] | select(.group_id=="1")][0].id')
before=$(q lease-escrow "$lease" | jq -r .exhaustion_height)
$BIN tenant top-up 1 20000000udait --from tenant $H $GAS 2>/dev/null | sed 's/^/   /'
after=$(q lease-escrow "$lease" | jq -r .exhaustion_height)
note "lease $lease: runs dry at height $before before the top-up, $after after"

say "7. When the money runs out, the lease warns and closes by itself"
# It runs dry at $after and closes at $after+1: wait on heights, and fail
# loudly if it is still open ten blocks past that.
st=
while :; do
  st=$(q lease "$lease" | jq -r .lease.state)
  [ "$st" = LEASE_STATE_CLOSED ] && break
  h=$(height)
  case "$h" in '' | null | *[!0-9]*) h=0 ;; esac
  if [ "$h" -gt $((after + 11)) ]; then
    echo "demo: FAIL: lease $lease is $st at height $h; it should have closed by itself at $((after + 1))" >&2
    exit 1
  fi
  sleep 1
done
[ "$(q lease "$lease" | jq -r .lease.close_reason)" = CLOSE_REASON_INSUFFICIENT_FUNDS ] ||
  { echo "demo: FAIL: lease $lease closed, but not for lack of funds" >&2; exit 1; }
q lease "$lease" | jq -r '.lease | "   lease \(.id): \(.state), reason \(.close_reason), closed at \(.closed_height), spent \(.spent.amount)udait"'
note "group 1 is now $(q group 1 | jq -r .group.state); what is left of its escrow stays for the tenant"
grep -h "insufficient\|lease closed" "$LOCALNET_HOME"/daemons/*.log | head -3 | sed 's/^/   daemon: /'
# Its workload is stopped within two blocks of the close, and the gateway
# no longer routes to it.
closed=$(q lease "$lease" | jq -r .lease.closed_height)
while (exec 3<>"/dev/tcp/127.0.0.1/$trainer_port") 2>/dev/null; do
  h=$(height)
  case "$h" in '' | null | *[!0-9]*) h=0 ;; esac
  [ "$h" -le $((closed + 2)) ] || { echo "demo: FAIL: lease $lease's workload still listens on $trainer_port at height $h (closed at $closed)" >&2; exit 1; }
  sleep 0.2
done
note "its workload is gone (port $trainer_port closed by height $(height)); the gateway answers: $(fetch "$trainer_url" | jq -r .code)"

say "7b. The order book: a standing offer, a limit buy resting below it, a re-price that fills it"
# tx <key> <args...>: send a tx and wait for its block; a provider's
# daemon signs with the same key, so a sequence clash (code 32) is retried.
tx() {
  local key=$1 out hash code
  shift
  for _ in $(seq 1 8); do
    out=$($BIN tx "$@" --from "$key" $H $GAS -y -o json 2>/dev/null) || { sleep 1; continue; }
    [ "$(jq -r .code <<<"$out")" = 32 ] && { sleep 1; continue; }
    hash=$(jq -r .txhash <<<"$out")
    for _ in $(seq 1 30); do
      code=$($BIN query tx "$hash" $H -o json 2>/dev/null | jq -r .code) && break
      sleep 1
    done
    [ "$code" = 0 ] && { echo "$hash"; return 0; }
    [ "$code" = 32 ] && continue
    echo "demo: FAIL: tx $* -> code ${code:-not included}" >&2
    exit 1
  done
  echo "demo: FAIL: tx $* did not go through" >&2
  exit 1
}
ob() { $BIN query orderbook "$@" $H -o json; }
unit='{"gpu_class":"ampere","gpu_memory_gb":24,"gpus":1,"cpu_millis":8000,"memory_mb":32000,"storage_gb":100}'
tx provider3 orderbook create-offer "$unit" 900000udait 2 >/dev/null
offer=$(ob offers --provider "$(addr provider3)" | jq -r '.offers[-1].id')
note "provider3 offers 2 ampere GPUs at 900000udait per GPU per block (offer $offer)"
cat >"$LOCALNET_HOME/limit.yaml" <<YAML
groups:
  - name: batch                   # a batch job: one ampere GPU, only below 850000udait
    resources: { gpu: { count: 1, memory_gb: 24, class: ampere }, cpu_millis: 8000, memory_mb: 32000, storage_gb: 100 }
    max_price: 850000udait
    deposit: 50000000udait
    order: limit
    expires_at: $(($(height) + 300))
YAML
tx tenant computemarket create-deployment "$LOCALNET_HOME/limit.yaml" >/dev/null
limit_dep=$(q deployments --owner "$tenant" | jq -r '.deployments[-1].id')
limit_group=$(q deployment "$limit_dep" | jq -r '.groups[0].id // .deployment.groups[0].id // empty')
[ -n "$limit_group" ] || limit_group=$(q groups --deployment-id "$limit_dep" | jq -r '.groups[0].id')
note "the tenant's limit buy (group $limit_group) is $(q group "$limit_group" | jq -r .group.state): 900000 is above its 850000"
q order-book gpu:ampere:24 | jq -r '"   book gpu:ampere:24: asks \([.asks[] | "\(.units)@\(.price.amount)"] | join(" ")), bids \([.bids[] | "\(.orders)@\(.limit.amount)"] | join(" "))"'
tx provider3 orderbook update-offer "$offer" 800000udait 2 >/dev/null
for _ in $(seq 1 20); do
  [ "$(q group "$limit_group" | jq -r .group.state)" = GROUP_STATE_MATCHED ] && break
  sleep 1
done
[ "$(q group "$limit_group" | jq -r .group.state)" = GROUP_STATE_MATCHED ] ||
  { echo "demo: FAIL: the limit buy was not filled after the re-price below its limit" >&2; exit 1; }
limit_lease=$(q group "$limit_group" | jq -r .group.lease_id)
note "re-priced to 800000: the next block fills it; lease $limit_lease at $(q lease "$limit_lease" | jq -r .lease.price.amount)udait per block"
$BIN query computemarket market gpu:ampere:24 $H -o json | jq -r '"   market gpu:ampere:24: last \(.last_price), VWAP \(.vwap), trades \(.total_trades), open offers \(.open_offers), resting buys \(.resting_buys)"'
tx tenant computemarket close-deployment "$limit_dep" >/dev/null
tx provider3 orderbook close-offer "$offer" >/dev/null
note "the tenant closes it and provider3 closes its offer (its deposit comes back)"

say "8. The tenant closes the deployment; the balances add up"
hash=$($BIN tx computemarket close-deployment 1 --from tenant $H $GAS -y -o json 2>/dev/null | jq -r .txhash)
code=
for _ in $(seq 1 30); do # wait for its block, not for a time
  code=$($BIN query tx "$hash" $H -o json 2>/dev/null | jq -r .code) && break
  sleep 1
done
[ "$code" = 0 ] || { echo "demo: FAIL: close-deployment tx $hash: code ${code:-not included}" >&2; exit 1; }
spent=$(q leases --tenant "$tenant" | jq '[.leases[].spent.amount | tonumber] | add')
fees=$($BIN query txs --query "message.sender='$tenant'" $H -o json 2>/dev/null | jq '[.txs[].tx.auth_info.fee.amount[0].amount | tonumber] | add // 0')
tenant1=$(bal "$tenant")
note "tenant: $tenant0 -> $tenant1 udait; leases spent $spent, fees $fees"
note "check: $tenant0 - $spent - $fees = $((tenant0 - spent - fees)) (tenant now $tenant1)"
note "module account now holds $(bal "$module") udait (nothing is live)"
note "community pool: $pool0 -> $($BIN query distribution community-pool $H -o json | jq -r '.pool[0]') (the 1% take plus inflation's share)"
[ "$((tenant0 - spent - fees))" = "$tenant1" ] && [ "$(bal "$module")" = 0 ] && say "Demo finished: every udait is accounted for." || { say "Demo finished: balances do NOT add up"; exit 1; }
