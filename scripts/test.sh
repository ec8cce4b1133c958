#!/usr/bin/env bash
# The whole suite: SQLite and PostgreSQL, and the browser tests in Debian's Chromium.
# With CI=true, missing system parts (PostgreSQL server binaries, Chromium) are installed, never skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  need_apt+=(postgresql)
fi
if ! command -v chromium >/dev/null 2>&1; then
  need_apt+=(chromium)
fi
if ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then
  need_apt+=(fonts-noto-cjk)  # rendered document pages in Chinese; screenshots of the Chinese console
fi
if ! dpkg -s fonts-dejavu-core >/dev/null 2>&1; then
  need_apt+=(fonts-dejavu-core)  # rendered document pages in Latin script
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "${CI:-}" = "true" ] || [ "${REETRACE_INSTALL_SYSTEM_DEPS:-}" = "1" ]; then
    echo "installing system packages: ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "note: ${need_apt[*]} not installed; tests needing PostgreSQL, Chromium or the fonts will be skipped" \
         "(set REETRACE_INSTALL_SYSTEM_DEPS=1, or run as CI=true, to install them)"
  fi
fi

set +e
.venv/bin/python -m pytest -n 2 --dist load "$@"
status=$?
set -e
if [ $status -eq 5 ]; then
  echo "pytest collected no tests: that is a failure" >&2
  exit 1
fi
exit $status
