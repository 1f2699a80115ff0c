#!/usr/bin/env bash
# Makes a Docker engine and Taskyard's default workspace image available on this machine.
#
# Idempotent, and works as root on a fresh Debian with only the package registries reachable:
#   1. apt-get install docker.io (and mmdebstrap) when missing;
#   2. start dockerd when no engine answers, and wait for its socket (skipped when DOCKER_HOST
#      names another engine: that one must already be up);
#   3. build the base image when missing: a bookworm minbase rootfs from the host's Debian mirror
#      (mmdebstrap), `docker import`ed: no container registry is involved;
#   4. build the workspace image (images/workspace/Dockerfile, legacy builder) when missing or
#      when its inputs changed (tracked by the label dev.taskyard.image-hash).
#
# Environment: TASKYARD_BASE_IMAGE, TASKYARD_IMAGE (tags), DEBIAN_MIRROR (default: the host's).
# Prints one line per step with its duration; exits non-zero with a reason when a step fails.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
BASE_IMAGE="${TASKYARD_BASE_IMAGE:-taskyard-base:bookworm-minbase}"
IMAGE="${TASKYARD_IMAGE:-taskyard-workspace:bookworm}"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/taskyard-dockerd.log}"

log() { printf '[docker-setup] %s\n' "$*"; }
die() { printf '[docker-setup] error: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

apt_updated=0
apt_install() {
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null \
        || die "missing $*: install it (apt-get install $*) and rerun"
    # Another apt run (an unattended upgrade, a parallel job) may hold the lock: wait for it.
    local wait=(-o DPkg::Lock::Timeout=600)
    if [ "$apt_updated" = 0 ]; then
        apt-get "${wait[@]}" update -qq
        apt_updated=1
    fi
    log "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get "${wait[@]}" install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- 1. the engine's packages --------------------------------------------------------------------
t=$(now)
if [ -z "${DOCKER_HOST:-}" ] && ! command -v dockerd >/dev/null; then
    # docker.io brings dockerd, containerd, runc, tini (docker-init for --init) and a CLI.
    apt_install docker.io
    log "docker.io installed ($(since "$t"))"
fi
command -v docker >/dev/null || apt_install docker.io

# --- 2. a running engine -------------------------------------------------------------------------
engine_up() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
if ! engine_up; then
    case "${DOCKER_HOST:-unix:///var/run/docker.sock}" in
        unix:///var/run/docker.sock) ;;
        *) die "no engine answers at DOCKER_HOST=$DOCKER_HOST (start it there, or unset DOCKER_HOST)" ;;
    esac
    [ "$(id -u)" = 0 ] || die "dockerd is not running and only root can start it here"
    t=$(now)
    log "starting dockerd (log: $DOCKERD_LOG)"
    # Its own session, so it outlives this script and the shell that ran it.
    setsid dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
    for _ in $(seq 1 300); do
        engine_up && break
        sleep 0.2
    done
    engine_up || { tail -n 20 "$DOCKERD_LOG" >&2 || true; die "dockerd did not come up in 60 s"; }
    log "dockerd is up ($(since "$t"))"
fi
log "engine $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')"

# --- 3. the base image ---------------------------------------------------------------------------
if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    command -v mmdebstrap >/dev/null || apt_install mmdebstrap
    mirror="${DEBIAN_MIRROR:-}"
    if [ -z "$mirror" ] && [ -f /etc/apt/sources.list.d/debian.sources ]; then
        mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
    fi
    if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
        mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list)
    fi
    mirror="${mirror:-http://deb.debian.org/debian}"
    t=$(now)
    log "building $BASE_IMAGE: mmdebstrap minbase bookworm from $mirror"
    # Docs, man pages and translations are dropped: nothing in a workspace reads them.
    mmdebstrap --quiet --variant=minbase \
        --aptopt='Acquire::Languages "none"' \
        --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        bookworm - "$mirror" \
        | docker import --change 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >/dev/null
    log "$BASE_IMAGE imported ($(since "$t"))"
fi

# --- 4. the workspace image ----------------------------------------------------------------------
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp -r "$root/images/workspace/." "$context/"
bundle=/etc/ssl/certs/ca-certificates.crt
if [ -f "$bundle" ]; then cp "$bundle" "$context/host-ca-bundle.crt"; else : >"$context/host-ca-bundle.crt"; fi
base_id=$(docker image inspect --format '{{.Id}}' "$BASE_IMAGE")
hash=$( (cd "$context" && find . -type f | LC_ALL=C sort | xargs sha256sum; echo "$base_id") \
    | sha256sum | cut -c1-16)
current=$(docker image inspect --format '{{ index .Config.Labels "dev.taskyard.image-hash" }}' \
    "$IMAGE" 2>/dev/null || true)
if [ "$current" != "$hash" ]; then
    t=$(now)
    log "building $IMAGE (legacy builder) from images/workspace"
    # The legacy builder prints a deprecation notice on every build: show its output only when
    # the build fails, where it explains why.
    if ! DOCKER_BUILDKIT=0 docker build --quiet --build-arg "BASE=$BASE_IMAGE" \
        --label "dev.taskyard.image-hash=$hash" -t "$IMAGE" "$context" >"$context.log" 2>&1; then
        tail -n 30 "$context.log" >&2
        rm -f "$context.log"
        die "building $IMAGE failed"
    fi
    rm -f "$context.log"
    log "$IMAGE built ($(since "$t"))"
else
    log "$IMAGE is up to date ($hash)"
fi
log "ready: $(docker image inspect --format '{{.Size}}' "$IMAGE" | awk '{ printf "%d MB", $1/1e6 }') image $IMAGE"
