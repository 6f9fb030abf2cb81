#!/usr/bin/env bash
# Installs what crmhub's tests need, then runs them: `bash scripts/test.sh`.
# Needs only Go (with cgo) on the machine; everything else comes from the
# Go module proxy into ./.cache/bin. Extra arguments go to `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."

bin="$PWD/.cache/bin"
mkdir -p "$bin"
export PATH="$bin:$PATH"

# A real S3 server for the lake's S3 tests (DESIGN.md: Versity Gateway).
if ! command -v versitygw >/dev/null 2>&1; then
  echo "installing versitygw v1.8.0 into $bin ..."
  GOBIN="$bin" GOFLAGS=-mod=mod go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
fi

# ../shared holds the benchmark seeds the quality tests score against.
if [ ! -d ../shared/datasets ]; then
  echo "missing ../shared/datasets beside the repository: the seed quality tests need it" >&2
  exit 1
fi

go vet ./...
go test -count=1 -timeout 60m "$@" ./...
