#!/usr/bin/env bash
# Ensure the Debian packages a target needs. As root: install what is missing (apt-get).
# Otherwise: print exactly what to install and fail.
#   scripts/system-deps.sh run    -> gettext (compile translations)
#   scripts/system-deps.sh test   -> gettext, chromium, CJK fonts (browser tests, PDFs)
set -euo pipefail

want=(gettext:msgfmt)
if [ "${1:-run}" = "test" ]; then
  want+=(chromium:/usr/bin/chromium fonts-wqy-zenhei:/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc)
fi

missing=()
for entry in "${want[@]}"; do
  pkg=${entry%%:*}; probe=${entry#*:}
  if [[ $probe == /* ]]; then [ -e "$probe" ] || missing+=("$pkg")
  else command -v "$probe" >/dev/null 2>&1 || missing+=("$pkg"); fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "Missing system packages: ${missing[*]}" >&2
echo "Install them with:  sudo apt-get install -y ${missing[*]}" >&2
exit 1
