#!/usr/bin/env bash
# Install (or update) the gsmjobs agent on a Raspberry Pi from an unpacked release tarball
# (gsmjobs-agent-<version>-linux-<arch>.tar.gz). Safe to run twice: what is already in place is
# left alone, an existing config is never overwritten, the service is restarted only when the
# executable or the unit changed.
#
#   sudo ./install.sh                     install to /opt/gsmjobs-agent, enable the service
#   sudo ./install.sh --no-start          install and enable, but do not (re)start
#   ./install.sh --destdir /tmp/root      stage into a directory only (no user, no systemctl,
#                                         no udevadm): for packaging and tests
#   options: --prefix DIR (default /opt/gsmjobs-agent), --user NAME (default gsmjobs)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
prefix=/opt/gsmjobs-agent
destdir=""
user=gsmjobs
start=1

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
    --destdir) destdir="${2:?--destdir needs a directory}"; shift 2 ;;
    --user) user="${2:?--user needs a name}"; shift 2 ;;
    --no-start) start=0; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
case "$prefix" in /*) ;; *) echo "install.sh: --prefix must be absolute" >&2; exit 2 ;; esac
if [ -n "$destdir" ]; then
  mkdir -p "$destdir"
  destdir="$(cd "$destdir" && pwd)"
fi

say() { printf '%s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

for f in gsmjobs-agent gsmjobs-agent.service gsmjobs-agent-doctor agent.example.yaml 99-gsmmodem.rules manifest.json; do
  [ -e "$here/$f" ] || die "$f is missing next to install.sh: run it from the unpacked release directory"
done
[ -d "$here/prebuilds" ] || die "prebuilds/ is missing next to install.sh"

# The executable must match this machine: a 64-bit kernel with a 32-bit (armhf) userland cannot
# run the arm64 build (it fails with "No such file or directory": no arm64 loader).
pkg_arch=$(sed -n 's/.*"arch": *"\([a-z0-9]*\)".*/\1/p' "$here/manifest.json" | head -n1)
if [ -z "$destdir" ]; then
  if command -v dpkg >/dev/null 2>&1; then machine=$(dpkg --print-architecture); else machine=$(uname -m); fi
  case "$machine" in amd64|x86_64) machine=x64 ;; arm64|aarch64) machine=arm64 ;; esac
  [ "$machine" = "$pkg_arch" ] || die "this release is for linux-$pkg_arch, this system is $machine (64-bit Raspberry Pi OS needs the arm64 release)"
  [ "$(id -u)" -eq 0 ] || die "run as root (sudo ./install.sh), or stage with --destdir"
fi

changed_bin=0
changed_unit=0
fresh_config=0

# put SRC DEST MODE [OWNER:GROUP]: install a file atomically when it differs; report what happened.
put() {
  local src="$1" dest="$2" mode="$3" owner="${4:-}"
  mkdir -p "$(dirname "$dest")"
  if [ -f "$dest" ] && cmp -s "$src" "$dest"; then
    chmod "$mode" "$dest"
    [ -n "$owner" ] && [ -z "$destdir" ] && chown "$owner" "$dest"
    say "unchanged  ${dest#"$destdir"}"
    return 1
  fi
  local tmp="$dest.new.$$"
  cp "$src" "$tmp"
  chmod "$mode" "$tmp"
  [ -n "$owner" ] && [ -z "$destdir" ] && chown "$owner" "$tmp"
  # rename, never overwrite in place: a running executable stays intact ("text file busy").
  mv -f "$tmp" "$dest"
  say "installed  ${dest#"$destdir"}"
  return 0
}

# 1. user and group (system account, no login), member of dialout for the serial port
if [ -z "$destdir" ]; then
  if ! getent group "$user" >/dev/null; then groupadd --system "$user"; say "created    group $user"; fi
  if ! id -u "$user" >/dev/null 2>&1; then
    useradd --system --gid "$user" --home-dir /var/lib/gsmjobs-agent --no-create-home --shell /usr/sbin/nologin --comment "gsmjobs agent" "$user"
    say "created    user $user"
  fi
  if ! id -nG "$user" | tr ' ' '\n' | grep -qx dialout; then usermod -a -G dialout "$user"; say "added      $user to dialout"; fi
else
  say "skipped    user $user (--destdir)"
fi

# 2. executable and its native addon (node-gyp-build finds prebuilds/ beside the executable)
root="$destdir$prefix"
mkdir -p "$root"
if put "$here/gsmjobs-agent" "$root/gsmjobs-agent" 0755; then changed_bin=1; fi
while IFS= read -r -d '' f; do
  rel="${f#"$here/"}"
  if put "$f" "$root/$rel" 0644; then changed_bin=1; fi
done < <(find "$here/prebuilds" -type f -print0 | sort -z)
# Addon files no longer shipped are removed, so node-gyp-build cannot pick a stale one.
while IFS= read -r -d '' f; do
  rel="${f#"$root/"}"
  if [ ! -e "$here/$rel" ]; then rm -f "$f"; say "removed    ${f#"$destdir"}"; changed_bin=1; fi
done < <(find "$root/prebuilds" -type f -print0 | sort -z)
for f in README.md LICENSE.node manifest.json agent.example.yaml; do
  [ -e "$here/$f" ] && { put "$here/$f" "$root/$f" 0644 || true; }
done
mkdir -p "$destdir/usr/local/bin"
link="$destdir/usr/local/bin/gsmjobs-agent"
if [ "$(readlink "$link" 2>/dev/null || true)" != "$prefix/gsmjobs-agent" ]; then
  ln -sfn "$prefix/gsmjobs-agent" "$link"
  say "linked     /usr/local/bin/gsmjobs-agent -> $prefix/gsmjobs-agent"
else
  say "unchanged  /usr/local/bin/gsmjobs-agent"
fi

# 3. config (never overwritten) and secrets file
etc="$destdir/etc/gsmjobs"
mkdir -p "$etc"
chmod 0755 "$etc"
if [ -e "$etc/agent.yaml" ]; then
  say "kept       /etc/gsmjobs/agent.yaml (existing config is never overwritten)"
else
  put "$here/agent.example.yaml" "$etc/agent.yaml" 0640 "root:$user" || true
  fresh_config=1
fi
if [ ! -e "$etc/agent.env" ]; then
  printf '# Secrets for the gsmjobs agent (GSMJOBS_AGENT_*), read by systemd. Mode 0600.\n# GSMJOBS_AGENT_MQTT__PASSWORD=\n# GSMJOBS_AGENT_MODEM__PIN=\n' > "$etc/agent.env"
  chmod 0600 "$etc/agent.env"
  say "installed  /etc/gsmjobs/agent.env"
else
  say "kept       /etc/gsmjobs/agent.env"
fi

# 4. data directory (systemd's StateDirectory= also creates it; this serves `sudo -u gsmjobs
#    gsmjobs-agent send ...` run by hand before the first start)
data="$destdir/var/lib/gsmjobs-agent"
mkdir -p "$data"
chmod 0750 "$data"
[ -z "$destdir" ] && chown "$user:$user" "$data"

# 5. systemd unit and doctor helper (adjusted to --prefix and --user), the udev rule example
unit_src="$here/gsmjobs-agent.service"
tmp_unit="$(mktemp)"
trap 'rm -f "$tmp_unit" "$tmp_unit.doctor"' EXIT
sed -e "s#/opt/gsmjobs-agent#$prefix#g" -e "s#^User=gsmjobs\$#User=$user#" -e "s#^Group=gsmjobs\$#Group=$user#" "$unit_src" > "$tmp_unit"
if put "$tmp_unit" "$destdir/etc/systemd/system/gsmjobs-agent.service" 0644; then changed_unit=1; fi
sed -e "s#^EXE=.*#EXE=$prefix/gsmjobs-agent#" -e "s#^RUN_AS=.*#RUN_AS=$user#" "$here/gsmjobs-agent-doctor" > "$tmp_unit.doctor"
put "$tmp_unit.doctor" "$destdir/usr/local/sbin/gsmjobs-agent-doctor" 0755 || true
rm -f "$tmp_unit.doctor"
rules="$destdir/etc/udev/rules.d/99-gsmmodem.rules"
rules_new=0
if [ -e "$rules" ]; then
  say "kept       /etc/udev/rules.d/99-gsmmodem.rules"
else
  put "$here/99-gsmmodem.rules" "$rules" 0644 || true
  rules_new=1
fi

# 6. activate
if [ -n "$destdir" ]; then
  say "skipped    systemctl and udevadm (--destdir)"
elif [ ! -d /run/systemd/system ]; then
  say "skipped    systemctl (systemd is not running here)"
else
  if [ "$rules_new" -eq 1 ] && command -v udevadm >/dev/null 2>&1; then
    udevadm control --reload && udevadm trigger --subsystem-match=tty || true
  fi
  [ "$changed_unit" -eq 1 ] && systemctl daemon-reload
  if systemctl enable gsmjobs-agent.service >/dev/null 2>&1; then
    say "enabled    gsmjobs-agent.service"
  else
    say "WARNING    could not enable gsmjobs-agent.service: systemctl enable gsmjobs-agent" >&2
  fi
  if [ "$start" -eq 0 ]; then
    say "not started (--no-start)"
  elif [ "$fresh_config" -eq 1 ]; then
    say "not started: edit /etc/gsmjobs/agent.yaml (site, mqtt, modem.port) and /etc/gsmjobs/agent.env first, then: sudo systemctl start gsmjobs-agent"
  elif [ "$changed_bin" -eq 1 ] || [ "$changed_unit" -eq 1 ]; then
    systemctl restart gsmjobs-agent.service && say "restarted  gsmjobs-agent.service"
  else
    systemctl start gsmjobs-agent.service && say "running    gsmjobs-agent.service (nothing changed)"
  fi
fi

say ""
say "check the site:  sudo gsmjobs-agent-doctor   (stops the service, runs doctor as $user with the config and secrets, starts it again)"
say "logs:            journalctl -u gsmjobs-agent -f"
