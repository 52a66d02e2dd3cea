#!/usr/bin/env bash
# Installs what ordo needs to build, test and benchmark on Debian 12 (bookworm).
# Why each package is there: README.md, section "Dependencies".
set -euo pipefail
packages=(build-essential cmake ninja-build pkg-config git
  liburing-dev libxxhash-dev libboost-dev libfmt-dev nlohmann-json3-dev libcli11-dev
  catch2 libbenchmark-dev clang-16 libclang-rt-16-dev libsqlite3-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
