#!/usr/bin/env bash
# Installs the pinned real coding agents that Taskyard's integration tests drive, into
# <repo>/.cache/agents/ (override with AGENTS_DIR):
#
#   claude/        npm project holding @anthropic-ai/claude-code (a native binary in a platform package)
#   aider-venv/    a virtualenv with aider-chat, made with ${PYTHON:-python3}
#   bin/claude     stable symlinks the tests put on PATH
#   bin/aider
#
# Idempotent: an agent already present at the pinned version is skipped. Works as root on a fresh
# Debian with only the package registries reachable: missing node/npm, python3-venv or git come from apt.
set -euo pipefail

CLAUDE_VERSION=2.1.197
AIDER_VERSION=0.86.2

root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${AGENTS_DIR:-$root/.cache/agents}"
python="${PYTHON:-python3}"
mkdir -p "$dest/bin"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
log() { printf '[install-agents] %s\n' "$*"; }

# apt is only a fallback for bare machines; it needs root, and one `apt-get update` is enough per run.
apt_updated=0
apt_install() {
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        log "missing $*: install it (apt-get install $*) and rerun"
        exit 1
    fi
    if [ "$apt_updated" = 0 ]; then
        apt-get update -qq
        apt_updated=1
    fi
    log "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- Claude Code ---------------------------------------------------------------------------------

claude_binary() {
    # The npm package ships the real binary in an optional platform package; its postinstall
    # hard-links it over bin/claude.exe. Prefer the platform binary: it exists even if a future npm
    # refuses to run install scripts.
    local dir="$dest/claude/node_modules/@anthropic-ai" candidate
    for candidate in "$dir"/claude-code-linux-*/claude "$dir/claude-code/bin/claude.exe"; do
        if [ -x "$candidate" ] && [ -s "$candidate" ]; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    return 1
}

claude_installed() {
    local pkg="$dest/claude/node_modules/@anthropic-ai/claude-code/package.json"
    [ -f "$pkg" ] && grep -q "\"version\": \"$CLAUDE_VERSION\"" "$pkg" && claude_binary >/dev/null
}

install_claude() {
    local start
    start="$(now)"
    if claude_installed; then
        log "claude $CLAUDE_VERSION already present"
    else
        command -v npm >/dev/null || apt_install nodejs npm
        mkdir -p "$dest/claude"
        # A package.json of its own keeps npm from walking up into an unrelated parent project.
        if [ ! -f "$dest/claude/package.json" ]; then
            printf '{\n  "name": "taskyard-agent-claude",\n  "private": true\n}\n' >"$dest/claude/package.json"
        fi
        log "npm install @anthropic-ai/claude-code@$CLAUDE_VERSION"
        # --yes: the user's ~/.npmrc may say yes=false, which would stop at a prompt.
        # --unsafe-perm: as root, npm would otherwise skip or downgrade the postinstall.
        (cd "$dest/claude" && npm install --yes --unsafe-perm --no-audit --no-fund --save-exact \
            --loglevel=error "@anthropic-ai/claude-code@$CLAUDE_VERSION")
        claude_installed || { log "claude install finished but no binary was found"; exit 1; }
    fi
    # Relative link: the cache folder may be bind-mounted elsewhere (e.g. into a container).
    local bin
    bin="$(claude_binary)"
    ln -sfn "../${bin#"$dest/"}" "$dest/bin/claude"
    log "claude ready ($("$dest/bin/claude" --version 2>/dev/null | head -1)) in $(elapsed "$start") s"
}

# --- Aider ---------------------------------------------------------------------------------------

aider_installed() {
    [ -x "$dest/aider-venv/bin/aider" ] &&
        [ "$("$dest/aider-venv/bin/python" -c \
            'import importlib.metadata as m; print(m.version("aider-chat"))' 2>/dev/null)" = "$AIDER_VERSION" ]
}

install_aider() {
    local start venv="$dest/aider-venv"
    start="$(now)"
    if aider_installed; then
        log "aider $AIDER_VERSION already present"
    else
        command -v "$python" >/dev/null || apt_install python3 python3-venv
        command -v git >/dev/null || apt_install git # aider refuses to work outside a git repo
        # A venv left half-made by an interrupted run has no working python: start it over.
        if [ -d "$venv" ] && ! "$venv/bin/python" -c pass 2>/dev/null; then
            rm -rf "$venv"
        fi
        if [ ! -d "$venv" ]; then
            # Debian's python3 lacks ensurepip until python3-venv is installed.
            if ! "$python" -m venv "$venv" 2>/dev/null; then
                rm -rf "$venv"
                apt_install python3-venv
                "$python" -m venv "$venv"
            fi
        fi
        log "pip install aider-chat==$AIDER_VERSION (into $venv, with $("$venv/bin/python" -V))"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
            "aider-chat==$AIDER_VERSION"
        aider_installed || { log "aider install finished but aider-chat $AIDER_VERSION is missing"; exit 1; }
    fi
    ln -sfn ../aider-venv/bin/aider "$dest/bin/aider"
    log "aider ready in $(elapsed "$start") s"
}

total="$(now)"
install_claude
install_aider
log "all agents ready in $(elapsed "$total") s: $dest/bin"
