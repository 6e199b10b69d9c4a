# need TOOL [PACKAGE]: installs Debian's PACKAGE (TOOL by default) when TOOL
# is not on the PATH. Sourced by the scripts that use jq, curl, protoc or dockerd.
need() {
  command -v "$1" >/dev/null 2>&1 && return
  echo "$1 not found: installing Debian's ${2:-$1}" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  # Wait for another apt (e.g. an unattended upgrade) instead of failing.
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq &&
    $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${2:-$1}" >/dev/null
}
