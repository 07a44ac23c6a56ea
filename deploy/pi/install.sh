#!/bin/sh
# Installs (or upgrades) Hearth as a systemd service on Raspberry Pi OS (64-bit), or on any
# Debian-like system with systemd (a mini-PC: give it hearth-linux-x64).
#
#   sudo sh deploy/pi/install.sh ./hearth-linux-arm64
#
# Creates the system user "hearth", installs the binary to /usr/local/bin/hearth, the unit to
# /etc/systemd/system/hearth.service and, the first time only, /etc/hearth/hearth.env from the
# template; then enables and (re)starts the service. An existing hearth.env is never replaced;
# an existing binary is kept as /usr/local/bin/hearth.previous.
set -eu

BIN=${1:-./hearth-linux-arm64}
DEPLOY=$(cd "$(dirname "$0")/.." && pwd)
SYSTEMCTL=${SYSTEMCTL:-systemctl}

fail() { echo "install: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "run as root: sudo sh $0 $BIN"
[ -f "$BIN" ] || fail "no binary at $BIN (build it with 'npm run compile', or copy dist/hearth-linux-arm64 here)"
for f in hearth.service hearth.env.example; do
  [ -f "$DEPLOY/$f" ] || fail "$f must be in $DEPLOY"
done
# Running it proves it suits this machine: a 32-bit Raspberry Pi OS or the x64 build fails here.
chmod 0755 "$BIN"
"$BIN" --help >/dev/null 2>&1 || fail "$BIN does not run on this system ($(uname -m)); a Raspberry Pi needs 64-bit Raspberry Pi OS and hearth-linux-arm64"

if ! getent passwd hearth >/dev/null; then
  useradd --system --user-group --home-dir /var/lib/hearth --no-create-home --shell /usr/sbin/nologin hearth
  echo "created system user hearth"
fi

upgrading=no
if "$SYSTEMCTL" is-active --quiet hearth 2>/dev/null; then
  upgrading=yes
  echo "stopping hearth for the upgrade"
  "$SYSTEMCTL" stop hearth
fi

# The binary being replaced stays as hearth.previous, for a rollback (docs/operations.md, Upgrade).
if [ -e /usr/local/bin/hearth ]; then
  cp -p /usr/local/bin/hearth /usr/local/bin/hearth.previous
fi
# Copy first, then rename: a half-written binary is never the one systemd starts.
install -m 0755 -o root -g root "$BIN" /usr/local/bin/hearth.new
mv -f /usr/local/bin/hearth.new /usr/local/bin/hearth
install -m 0644 -o root -g root "$DEPLOY/hearth.service" /etc/systemd/system/hearth.service
# The settings may hold a key passphrase: readable by root and the hearth group only.
install -d -m 0750 -o root -g hearth /etc/hearth
if [ ! -e /etc/hearth/hearth.env ]; then
  install -m 0640 -o root -g hearth "$DEPLOY/hearth.env.example" /etc/hearth/hearth.env
  echo "wrote /etc/hearth/hearth.env: set HEARTH_PUBLIC_URL to this box's name, then: sudo systemctl restart hearth"
fi

"$SYSTEMCTL" daemon-reload
"$SYSTEMCTL" enable hearth
"$SYSTEMCTL" restart hearth

echo
if [ "$upgrading" = yes ]; then
  echo "Hearth upgraded and restarted. Its log: journalctl -u hearth -e"
else
  echo "Hearth is installed and running. The one-time link to create the first admin is in its log:"
  echo "  journalctl -u hearth | grep -A3 'No admin yet'"
fi
