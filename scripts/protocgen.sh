#!/usr/bin/env bash
# Regenerates the Go code of every .proto under proto/ offline: protoc from
# Debian, plugins pinned as Go tools in go.mod, includes from the module cache.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/need.sh
need protoc protobuf-compiler

bin="$PWD/build/tools"
mkdir -p "$bin"
GOBIN="$bin" go install github.com/cosmos/gogoproto/protoc-gen-gocosmos github.com/grpc-ecosystem/grpc-gateway/protoc-gen-grpc-gateway
export PATH="$bin:$PATH"

moddir() { go mod download "$1" && go list -m -f '{{.Dir}}' "$1"; }
sdk=$(moddir github.com/cosmos/cosmos-sdk)
gogo=$(moddir github.com/cosmos/gogoproto)
cosmosproto=$(moddir github.com/cosmos/cosmos-proto)
gateway=$(moddir github.com/grpc-ecosystem/grpc-gateway)

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for dir in $(find proto -name '*.proto' -exec dirname {} \; | sort -u); do
  protoc \
    -I proto -I "$sdk/proto" -I "$gogo" -I "$cosmosproto/proto" \
    -I "$gateway/third_party/googleapis" -I /usr/include \
    --gocosmos_out=plugins=grpc,Mgoogle/protobuf/any.proto=github.com/cosmos/gogoproto/types/any:"$out" \
    --grpc-gateway_out=logtostderr=true,allow_colon_final_segments=true:"$out" \
    "$dir"/*.proto
done

cp -r "$out"/github.com/daitchain/daitchain/. ./
