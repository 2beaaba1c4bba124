#!/bin/bash
# Installs latchkeyd, the latchkey CLI, a default settings file, the service
# user's sysusers.d entry and the systemd unit. Called by `make install`;
# tests call it with a DESTDIR.
#   scripts/install.sh LATCHKEYD LATCHKEY_CLI   (PREFIX, DESTDIR from the environment)
set -euo pipefail
daemon=$1
cli=$2
prefix=${PREFIX:-/usr/local}
dest=${DESTDIR:-}
here=$(cd "$(dirname "$0")/.." && pwd)
deploy=$here/docs/deploy
bindir=$prefix/bin
unitdir=${UNITDIR:-/etc/systemd/system}

install -d "$dest$bindir" "$dest/etc/latchkey" "$dest$unitdir" "$dest/usr/lib/sysusers.d"
install -m 0755 "$daemon" "$dest$bindir/latchkeyd"
install -m 0755 "$cli" "$dest$bindir/latchkey"
# Never overwrite settings someone has edited.
if [ ! -e "$dest/etc/latchkey/latchkeyd.env" ]; then
  install -m 0640 "$deploy/latchkeyd.env" "$dest/etc/latchkey/latchkeyd.env"
fi
sed "s|@BINDIR@|$bindir|g" "$deploy/latchkeyd.service" > "$dest$unitdir/latchkeyd.service"
chmod 0644 "$dest$unitdir/latchkeyd.service"
install -m 0644 "$deploy/latchkey.sysusers" "$dest/usr/lib/sysusers.d/latchkey.conf"

echo "installed $dest$bindir/latchkeyd, $dest$bindir/latchkey and $dest$unitdir/latchkeyd.service"
if [ -z "$dest" ]; then
  if command -v systemd-sysusers >/dev/null; then systemd-sysusers latchkey.conf || true; fi
  echo "next: edit /etc/latchkey/latchkeyd.env, then: systemctl daemon-reload && systemctl enable --now latchkeyd"
  echo "the first start writes the admin key to the journal; then replace it with one only you see:"
  echo "  sudo -u latchkey latchkeyd admin-key rotate --data-dir /var/lib/latchkey"
fi
