#!/usr/bin/env bash
# Install jewelrender and everything it needs into ./.venv, on Debian/Ubuntu, as root.
# Idempotent: a second run only checks. Fails with one clear line when the machine cannot work.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'error: SETUP_FAILED: %s\n' "$*" >&2; exit 1; }

PY=${PYTHON:-python3}
command -v "$PY" >/dev/null 2>&1 || { command -v apt-get >/dev/null && apt-get update -qq && apt-get install -y -qq python3 >/dev/null; }
command -v "$PY" >/dev/null 2>&1 || die "python3 not found; install Python 3.10-3.12"
pyver=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
case "$pyver" in
  3.10|3.11|3.12) ;;
  *) die "Python $pyver found; mediapipe 0.10.21 (the last release with offline hand models) needs Python 3.10-3.12: set PYTHON=/path/to/python3.11" ;;
esac

# libLLVM >= 16 for the CPU renderer (drjit 1.5 fails on 14 and 15).
have_llvm() {
  for f in /usr/lib/*-linux-gnu/libLLVM*.so* /usr/lib/llvm-*/lib/libLLVM*.so*; do
    [ -e "$f" ] || continue
    v=$(basename "$f" | sed -nE 's/^libLLVM-([0-9]+).*/\1/p; s/^libLLVM\.so\.([0-9]+).*/\1/p')
    [ -z "$v" ] && v=$(echo "$f" | sed -nE 's#.*/llvm-([0-9]+)/.*#\1#p')
    [ -n "$v" ] && [ "$v" -ge 16 ] && return 0
  done
  return 1
}
apt_pkgs=()
"$PY" -c 'import venv, ensurepip' >/dev/null 2>&1 || apt_pkgs+=("python3-venv")
# The page's browser test drives Debian's chromium through Playwright (no browser download).
[ -x /usr/bin/chromium ] || apt_pkgs+=("chromium")
if ! have_llvm; then
  command -v apt-get >/dev/null || die "libLLVM >= 16 not found and no apt-get: install LLVM 16+ (or set DRJIT_LIBLLVM_PATH)"
  apt-get update -qq
  llvm_pkg=""
  for v in 19 18 17 16 20; do
    if apt-cache show "libllvm$v" >/dev/null 2>&1; then llvm_pkg="libllvm$v"; break; fi
  done
  [ -n "$llvm_pkg" ] || die "no libllvm16..20 package in this distribution's repositories; install LLVM >= 16 and set DRJIT_LIBLLVM_PATH"
  apt_pkgs+=("$llvm_pkg")
fi
if [ ${#apt_pkgs[@]} -gt 0 ]; then
  say "installing ${apt_pkgs[*]}"
  [ "$(id -u)" = 0 ] || die "need root to apt-get install ${apt_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_pkgs[@]}" >/dev/null || die "apt-get install ${apt_pkgs[*]} failed"
fi
have_llvm || die "libLLVM >= 16 still not found after installing"

# The Khronos glTF validator (npm) for the export test; optional: that test skips without node.
if command -v npm >/dev/null 2>&1 && [ ! -d .tools/node_modules/gltf-validator ]; then
  say "installing the Khronos glTF validator into .tools/"
  npm install --no-save --silent --prefix .tools gltf-validator@2.0.0-dev.3.10 >/dev/null 2>&1 \
    || say "could not install gltf-validator (no network?): its test will skip"
fi

stamp=.venv/.jewelrender-installed
want="$(sha256sum pyproject.toml | cut -c1-16) $pyver"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "creating .venv and installing jewelrender (first run: a few minutes)"
  [ -x .venv/bin/python ] || "$PY" -m venv .venv || die "could not create .venv"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
  # protobuf<5: mediapipe 0.10.21 breaks with 5.x (ray[default] and ipykernel's dependencies would pull it up)
  .venv/bin/python -m pip install -q -e ".[test,service,batch,gltf,notebooks]" "protobuf<5" || die "pip install failed (see above)"
  echo "$want" > "$stamp"
fi
.venv/bin/jewelrender doctor >/dev/null 2>&1 || die "the render backend does not work here: run '.venv/bin/jewelrender doctor' for details"
say "ready: .venv/bin/jewelrender"
