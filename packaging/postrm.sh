#!/bin/sh
# After the package is removed (deb: remove or purge; rpm: erased, no version left), the
# folders its 软件更新 made under /var/cache go too. Not on an upgrade (deb: upgrade; rpm: a
# version left): the package being installed is read from there.
set -e
case "$1" in
    remove | purge | 0) rm -rf /var/cache/placecode-desk ;;
esac
exit 0
