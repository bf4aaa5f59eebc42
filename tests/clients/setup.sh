#!/usr/bin/env bash
# Installs what the client-library tests (tests/tests/clients.rs) need:
# the npm packages of package-lock.json (ethers, viem, @foundry-rs/cast) and
# a Python venv with requirements.txt (web3.py). Idempotent: re-running it
# only reinstalls what changed. Needs node >= 20 with npm, and python3.
#
#   bash tests/clients/setup.sh
#
# PYTHON picks the interpreter for the venv (default python3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
PYTHON="${PYTHON:-python3}"

die() {
  echo "setup.sh: $*" >&2
  exit 1
}

# --- node / npm --------------------------------------------------------------
command -v node >/dev/null || die "node is not installed (node >= 20 is needed)"
command -v npm >/dev/null || die "npm is not installed"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
((node_major >= 20)) || die "node $(node --version) is too old: node >= 20 is needed"

lock_stamp="node_modules/.orac-setup-stamp"
lock_hash="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1) $(node --version)"
if [[ -f "$lock_stamp" && "$(cat "$lock_stamp")" == "$lock_hash" ]]; then
  echo "npm packages: up to date with package-lock.json"
else
  echo "npm ci in $here"
  npm ci --no-audit --no-fund
  echo "$lock_hash" >"$lock_stamp"
fi

# The cast binary comes from the platform package of @foundry-rs/cast.
cast_bin="$(node -e '
  const arch = { x64: "amd64", arm64: "arm64" }[process.arch];
  const pkg = `@foundry-rs/cast-${process.platform}-${arch}`;
  console.log(require.resolve(`${pkg}/bin/cast${process.platform === "win32" ? ".exe" : ""}`));
')" || die "the cast binary of @foundry-rs/cast is missing for $(node -p 'process.platform + "-" + process.arch')"
"$cast_bin" --version >/dev/null || die "$cast_bin does not run"

# --- python venv with web3.py --------------------------------------------
command -v "$PYTHON" >/dev/null || die "$PYTHON is not installed"
venv_hash="$(sha256sum requirements.txt | cut -d' ' -f1) $("$PYTHON" --version 2>&1)"
venv_stamp=".venv/.orac-setup-stamp"
if [[ -x .venv/bin/python && -f "$venv_stamp" && "$(cat "$venv_stamp")" == "$venv_hash" ]] \
  && .venv/bin/python -c 'import web3' 2>/dev/null; then
  echo "python venv: up to date with requirements.txt"
else
  echo "python venv: creating .venv with $("$PYTHON" --version 2>&1) and installing requirements.txt"
  rm -rf .venv
  if ! "$PYTHON" -m venv .venv; then
    # Debian ships venv's ensurepip separately (python3.X-venv).
    rm -rf .venv
    py_venv_pkg="python$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')-venv"
    if command -v apt-get >/dev/null && [[ "$(id -u)" == 0 ]]; then
      echo "installing $py_venv_pkg"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$py_venv_pkg" || apt-get install -y -qq python3-venv
      "$PYTHON" -m venv .venv
    else
      die "$PYTHON -m venv failed: install $py_venv_pkg (or python3-venv)"
    fi
  fi
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
  echo "$venv_hash" >"$venv_stamp"
fi

# --- what got installed ----------------------------------------------------
pkg_version() { node -p "require('./node_modules/$1/package.json').version"; }
echo "installed:"
echo "  node     $(node --version)  (npm $(npm --version 2>/dev/null))"
echo "  ethers   $(pkg_version ethers)"
echo "  viem     $(pkg_version viem)"
echo "  cast     $(pkg_version @foundry-rs/cast) npm package; $("$cast_bin" --version | head -1)"
echo "  python   $(.venv/bin/python --version 2>&1 | cut -d' ' -f2) (.venv)"
echo "  web3.py  $(.venv/bin/python -c 'import web3; print(web3.__version__)')"
