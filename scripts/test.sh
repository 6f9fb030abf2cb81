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

# Fuzz: every parser and normaliser briefly (their seed corpora,
# testdata/fuzz/, also run as plain tests above); `task fuzz` runs longer.
# Budgets are execution counts, about 5 s each on a quiet 2-core machine:
# a duration budget (-fuzztime 5s) races Go 1.26's fuzz coordinator, which
# can report its own deadline as "context deadline exceeded" when a worker
# is mid-call (golang/go#75804, fixed in Go 1.27). FUZZTIME overrides every
# budget (a count like 5000x or a duration); FUZZTIME=0 skips this block.
fuzztime="${FUZZTIME:-}"
if [ "$fuzztime" != "0" ]; then
  while read -r pkg target budget; do
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "${fuzztime:-$budget}" "$pkg"
  done <<'FUZZ'
./sim/salesforce FuzzParseSOQL 40000x
./crm/hubspot FuzzListPage 6000x
./crm/salesforce FuzzQueryPage 20000x
./transform FuzzNormalizers 4000x
./seed FuzzLoadCSV 30000x
./pipelines FuzzParse 3000x
FUZZ
fi
