#!/usr/bin/env bash
# Installs what the VS Code client's tests need, from scratch and idempotently (a second run
# does nothing): Debian's chromium, ripgrep and libkrb5-dev; the extension's npm packages
# (vscode-client/); the e2e harness with code-server 4.100.3 and playwright-core
# (vscode-client/e2e/, never part of the .vsix); the Python venv with the sidecar.
# Only the npm registry, PyPI and Debian's archive are needed. First run ≈ 3–4 minutes.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CLIENT="$ROOT/vscode-client"
say() { echo "vscode-e2e-setup: $*"; }

# -- Debian packages ------------------------------------------------------------------------
need=()
command -v chromium >/dev/null || need+=(chromium)                 # the browser playwright-core drives
command -v rg >/dev/null || need+=(ripgrep)                        # seeds @vscode/ripgrep (below)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need+=(libkrb5-dev)         # gssapi headers: code-server's kerberos module
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  say "installing ${need[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
fi

# -- npm environment ------------------------------------------------------------------------
# nodedir=/usr: node-gyp uses the headers the nodejs package ships in /usr/include/node instead of
#   downloading them (the prefix, not /usr/include/node)
# yes=true: node-pty's postinstall runs `npx node-gyp`, which must not stop at a prompt
# unsafe_perm=true: code-server's postinstall refuses to run as root without it
if [ -f /usr/include/node/node_api.h ]; then export npm_config_nodedir=/usr; fi
export npm_config_yes=true npm_config_unsafe_perm=true npm_config_fund=false npm_config_audit=false

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" != 20 ]; then
  say "warning: Node $node_major; code-server 4.100.3 installs only on Node 20"
fi

# code-server's bundled VS Code depends on @vscode/ripgrep@1.15.11, whose postinstall downloads rg
# from GitHub. It first looks in <os.tmpdir()>/vscode-ripgrep-cache-<version>/<asset>: seed it with
# Debian's rg.
case "$(uname -m)" in
  x86_64) RG_TARGET=x86_64-unknown-linux-musl ;;
  aarch64) RG_TARGET=aarch64-unknown-linux-musl ;;
  *) say "unsupported architecture $(uname -m)"; exit 1 ;;
esac
RG_CACHE="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-1.15.11"
mkdir -p "$RG_CACHE"
[ -f "$RG_CACHE/ripgrep-v13.0.0-10-$RG_TARGET.tar.gz" ] ||
  tar czf "$RG_CACHE/ripgrep-v13.0.0-10-$RG_TARGET.tar.gz" -C "$(dirname "$(command -v rg)")" rg

# `npm ci` when node_modules is missing or older than the lock file.
npm_ci() {
  local dir="$1"; shift
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "npm ci in ${dir#"$ROOT"/}"
    (cd "$dir" && npm ci "$@")
  fi
}

npm_ci "$CLIENT"
npm_ci "$CLIENT/e2e" --foreground-scripts
[ -x "$CLIENT/e2e/node_modules/.bin/code-server" ] || { say "code-server did not install"; exit 1; }

# -- the sidecar's Python -------------------------------------------------------------------
[ -x "$ROOT/.venv/bin/python" ] || "$ROOT/tools/bootstrap"

say "ready: $(cd "$CLIENT/e2e" && node -p "'code-server ' + require('code-server/package.json').version"), $(chromium --version 2>/dev/null | head -1)"
