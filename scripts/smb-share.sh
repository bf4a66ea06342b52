#!/usr/bin/env bash
# A real SMB share on this machine for the publish tests and benchmarks: Samba's
# smbd on 127.0.0.1 only (a port of its own, so that several runs can share the
# machine), and three FUSE mounts of it through smbnetfs, each with its own
# HOME: two stand in for two PCs, the third for a reader that caches nothing.
# Everything lives in STATE; nothing else on the machine is changed except a
# system user, dangan-smb, that owns the share.
#
#   scripts/smb-share.sh start STATE [--watch PID]
#       Starts them and prints, one per line:
#         SHARE=<the share's folder on the server side>
#         MOUNT1=<the share through the first client>
#         MOUNT2=<the share through the second client>
#         READER=<the share through the third client, which caches nothing>
#       With --watch PID, they are stopped (and STATE removed) once process PID
#       has ended, so that a test run killed halfway leaves nothing running.
#   scripts/smb-share.sh stop STATE
#       Stops exactly the processes start recorded (by PID), unmounts.
#
# Needs root (smbd serves each user's files as that user), or sudo without a
# password, and Debian's samba, smbclient and smbnetfs (scripts/test.sh installs
# them). Fails with a message saying what is missing, never silently.
set -euo pipefail

die() { echo "smb-share.sh: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: $0 start|stop STATE [--watch PID]"
cmd=$1
STATE=$(realpath -m "$2")
shift 2
USER_NAME=dangan-smb

if [ "$(id -u)" != 0 ]; then
  if sudo -n true 2>/dev/null; then
    exec sudo -n "$0" "$cmd" "$STATE" "$@" --for-uid "$(id -u)"
  fi
  die "the SMB share needs root (smbd runs the share as user $USER_NAME): run as root, or give this user sudo without a password"
fi

# Stop one recorded process: TERM, then KILL after 5 s. A PID whose program is no
# longer the one started (reused) is left alone; a zombie counts as stopped.
stop_pid() {
  local file=$STATE/$1.pid comm=$2 pid state
  [ -s "$file" ] || return 0
  pid=$(cat "$file")
  if [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = "$comm" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
      state=$(ps -o stat= -p "$pid" 2>/dev/null || true)
      case $state in "" | Z*) break ;; esac
      sleep 0.1
    done
    state=$(ps -o stat= -p "$pid" 2>/dev/null || true)
    case $state in "" | Z*) ;; *) kill -KILL "$pid" 2>/dev/null || true ;; esac
  fi
  rm -f "$file"
}

stop() {
  for i in 1 2 3; do
    if mountpoint -q "$STATE/mnt$i" 2>/dev/null; then
      fusermount -u "$STATE/mnt$i" 2>/dev/null || fusermount -u -z "$STATE/mnt$i" || true
    fi
    stop_pid "smbnetfs$i" smbnetfs
  done
  stop_pid smbd smbd # its children (one per connection, the rpc helpers) end with it
  if [ "${1:-}" != from-watchdog ]; then
    stop_pid watchdog bash
  fi
}

case $cmd in
  stop)
    stop "${1:-}"
    exit 0
    ;;
  start) ;;
  *) die "unknown command $cmd (start or stop)" ;;
esac

watch=""
for_uid=0
while [ $# -gt 0 ]; do
  case $1 in
    --watch) watch=$2; shift 2 ;;
    --for-uid) for_uid=$2; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done

for tool in smbd smbpasswd smbclient smbnetfs fusermount; do
  command -v "$tool" >/dev/null || die "$tool is missing: install Debian's samba, smbclient and smbnetfs (scripts/test.sh does)"
done
[ -c /dev/fuse ] || die "/dev/fuse is missing: the kernel (or container) offers no FUSE, so the share cannot be mounted"

# The share's owner: a system user without a login.
if ! id "$USER_NAME" >/dev/null 2>&1; then
  useradd --system --no-create-home --shell /usr/sbin/nologin "$USER_NAME" 2>/dev/null ||
    id "$USER_NAME" >/dev/null 2>&1 || die "could not add the user $USER_NAME"
fi

mkdir -p "$STATE"/{lock,state,cache,private,pid,ncalrpc,log,share,mnt1,mnt2,mnt3}
mkdir -p "$STATE"/{client1,client2,client3}/.smb
chmod 755 "$STATE"
chown "$USER_NAME": "$STATE/share"
chmod 700 "$STATE/private" "$STATE"/client*/.smb
# smbd enters the share as $USER_NAME: every folder above it must let it through.
dir=$STATE
while [ "$dir" != / ]; do
  dir=$(dirname "$dir")
  [ "$(( 0$(stat -c %a "$dir") & 1 ))" = 1 ] ||
    die "$dir does not let other users through (chmod o+x), so smbd cannot reach the share in $STATE"
done
PASS=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

write_conf() {
  cat >"$STATE/smb.conf" <<EOF
[global]
   server role = standalone server
   interfaces = 127.0.0.1
   bind interfaces only = yes
   smb ports = $PORT
   disable netbios = yes
   load printers = no
   printing = bsd
   printcap name = /dev/null
   disable spoolss = yes
   map to guest = never
   unix charset = UTF-8
   lock directory = $STATE/lock
   state directory = $STATE/state
   cache directory = $STATE/cache
   private dir = $STATE/private
   pid directory = $STATE/pid
   ncalrpc dir = $STATE/ncalrpc
   log file = $STATE/log/log.%m
   max log size = 1000
   passdb backend = tdbsam:$STATE/private/passdb.tdb
[archive]
   path = $STATE/share
   read only = no
   valid users = $USER_NAME
   case sensitive = no
   preserve case = yes
   short preserve case = yes
EOF
}

# The server: loopback only, no NetBIOS (nothing is broadcast), Windows-like names.
# setsid: smbd signals its whole process group when it stops. A port taken
# between choosing and binding it: try another.
started=""
for _ in 1 2 3 4 5; do
  PORT=$(free_port)
  write_conf
  printf '%s\n%s\n' "$PASS" "$PASS" | smbpasswd -c "$STATE/smb.conf" -s -a "$USER_NAME" >/dev/null
  setsid smbd -s "$STATE/smb.conf" --foreground --no-process-group </dev/null >>"$STATE/log/smbd.out" 2>&1 &
  echo $! >"$STATE/smbd.pid"
  for _ in $(seq 100); do
    if smbclient -s "$STATE/smb.conf" -p "$PORT" -U "$USER_NAME%$PASS" //127.0.0.1/archive -c ls >/dev/null 2>&1; then
      started=yes
      break
    fi
    kill -0 "$(cat "$STATE/smbd.pid")" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$started" ] && break
  stop_pid smbd smbd
done
# (The log is quoted: the folder goes once the test process that asked has ended.)
[ -n "$started" ] || die "smbd did not start:
$(tail -n 5 "$STATE/log/smbd.out" 2>/dev/null || true)"

if [ -n "$watch" ]; then
  # Started before the mounts, so that a failure below is cleaned up too.
  setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; "$2" stop "$3" from-watchdog; rm -rf "$3"' \
    watchdog "$watch" "$(realpath "$0")" "$STATE" </dev/null >/dev/null 2>&1 &
  echo $! >"$STATE/watchdog.pid"
fi

# The clients: smbnetfs (a FUSE client over libsmbclient; the kernel here may
# have no cifs module), network browsing off (it would broadcast), a password
# for 127.0.0.1. The share is MOUNT/127.0.0.1:PORT/archive. The two PCs cache
# as a client does by default; the reader caches nothing (no names, no times,
# no "not found"), as the tests read through it what the others write. (Not
# for writing: smbnetfs may then answer "not found" for a folder it has just
# made.)
allow=""
[ "$for_uid" = 0 ] || allow=",allow_other"
for i in 1 2 3; do
  home=$STATE/client$i
  cat >"$home/.smb/smb.conf" <<EOF
[global]
   interfaces = 127.0.0.1
   bind interfaces only = yes
   disable netbios = yes
   name resolve order = lmhosts
   client min protocol = SMB2
   unix charset = UTF-8
EOF
  cat >"$home/.smb/smbnetfs.conf" <<EOF
smb_query_browsers  "false"
local_charset       "UTF-8"
samba_charset       "UTF-8"
include             "smbnetfs.auth"
EOF
  echo "auth \"127.0.0.1\" \"$USER_NAME\" \"$PASS\"" >"$home/.smb/smbnetfs.auth"
  chmod 600 "$home/.smb/smbnetfs.auth"
  opts="smb_query_browsers=false$allow"
  [ "$i" = 3 ] && opts="$opts,neg_cache_timeout=1,entry_timeout=0,attr_timeout=0,negative_timeout=0"
  HOME=$home setsid smbnetfs "$STATE/mnt$i" -f -o "$opts" </dev/null >>"$STATE/log/smbnetfs$i.out" 2>&1 &
  echo $! >"$STATE/smbnetfs$i.pid"
  mounted=""
  for _ in $(seq 100); do
    if mountpoint -q "$STATE/mnt$i" && ls "$STATE/mnt$i/127.0.0.1:$PORT/archive" >/dev/null 2>>"$STATE/log/mount$i.err"; then
      mounted=yes
      break
    fi
    kill -0 "$(cat "$STATE/smbnetfs$i.pid")" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$mounted" ]; then
    why="smbnetfs could not mount the share at $STATE/mnt$i:
$(tail -n 5 "$STATE/log/smbnetfs$i.out" "$STATE/log/mount$i.err" 2>/dev/null || true)"
    stop # (it counts with i too)
    die "$why"
  fi
done

echo "SHARE=$STATE/share"
echo "MOUNT1=$STATE/mnt1/127.0.0.1:$PORT/archive"
echo "MOUNT2=$STATE/mnt2/127.0.0.1:$PORT/archive"
echo "READER=$STATE/mnt3/127.0.0.1:$PORT/archive"
