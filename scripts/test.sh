#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests need
# (Debian packages, when missing), then `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v python3 >/dev/null || need+=(python3)
# Browser tests drive Debian's Chromium through its ChromeDriver (no downloads).
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
# A CJK font, so that the theme tests' screenshots show the Chinese text.
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-noto-cjk)
# A TrueType CJK font: Chromium prints it as a CID font with a ToUnicode map,
# as Word and WPS write Chinese PDFs (the attachment search test reads one).
fc-list 2>/dev/null | grep -q "WenQuanYi Micro Hei" || need+=(fonts-wqy-microhei)
# A real SMB share for the publish tests (scripts/smb-share.sh starts and stops it):
# Samba's server and client, and smbnetfs to mount it through FUSE.
[ -x /usr/sbin/smbd ] || need+=(samba)
[ -x /usr/bin/smbclient ] || need+=(smbclient)
[ -x /usr/bin/smbnetfs ] || need+=(smbnetfs)
# fusermount (unmounting) is only recommended by smbnetfs; ps stops the daemons by PID.
command -v fusermount >/dev/null || need+=(fuse)
command -v ps >/dev/null || need+=(procps)
# pdftotext and pdftoppm read the printed PDFs of the theme tests.
command -v pdftotext >/dev/null || need+=(poppler-utils)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq "${need[@]}"
  else
    # sudo resets the environment: DEBIAN_FRONTEND goes through env.
    sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
  fi
fi

cargo test --locked "$@"
