#!/usr/bin/env bash
# Installs everything flinkops' tests and demo need on a fresh machine of this kind:
# Debian packages (git, redis-server, chromium; kubectl is expected on the image) and the npm dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
need_apt=()
command -v git >/dev/null 2>&1 || need_apt+=(git)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
# kubectl ships with this machine image; Debian's kubernetes-client is the fallback
command -v kubectl >/dev/null 2>&1 || need_apt+=(kubernetes-client)
# the browser test drives Debian's chromium through playwright-core (no browser download)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}"
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
