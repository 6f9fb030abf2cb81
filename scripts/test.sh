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

# Headless Chromium for the HTML report tests (Debian's chromium package).
if [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM:-}" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "installing chromium (apt-get) for the HTML report tests ..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
  else
    echo "missing /usr/bin/chromium: the HTML report tests need it; as root run: apt-get install -y chromium (or set CHROMIUM to a Chromium binary)" >&2
    exit 1
  fi
fi
mkdir -p test-artifacts

# Python venv for the official-SDK tests (peers/sdk, run by go test ./peers):
# pinned hubspot-api-client and simple-salesforce from PyPI.
if [ ! -x .cache/venv/bin/python ]; then
  python3 -m venv .cache/venv
fi
.cache/venv/bin/pip install -q --disable-pip-version-check -r peers/requirements.txt

# ../shared holds the benchmark seeds the quality tests score against.
if [ ! -d ../shared/datasets ]; then
  echo "missing ../shared/datasets beside the repository: the seed quality tests need it" >&2
  exit 1
fi

go vet ./...
go test -count=1 -timeout 60m "$@" ./...

# Fuzz: every parser and normaliser for a few seconds (their seed corpora,
# testdata/fuzz/, also run as plain tests above); `task fuzz` runs longer.
# FUZZTIME=0 skips this block.
fuzztime="${FUZZTIME:-5s}"
if [ "$fuzztime" != "0" ]; then
  while read -r pkg target; do
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
  done <<'FUZZ'
./sim/salesforce FuzzParseSOQL
./crm/hubspot FuzzListPage
./crm/salesforce FuzzQueryPage
./transform FuzzNormalizers
./seed FuzzLoadCSV
./pipelines FuzzParse
FUZZ
fi
