#!/usr/bin/env bash
# Installs what the tests talk to and a fresh machine may lack: the email
# tests start a real Dovecot (IMAP) and a real SMTP server (aiosmtpd) and
# make certificates with openssl. Safe to run again: it only installs what
# is missing.
set -euo pipefail

sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi

missing=()
command -v dovecot >/dev/null 2>&1 || missing+=(dovecot-imapd)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "test-deps: installing ${missing[*]} (apt-get)" >&2
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! python3 -c "import aiosmtpd" >/dev/null 2>&1; then
  echo "test-deps: installing aiosmtpd (pip)" >&2
  python3 -m pip install -q aiosmtpd
fi
