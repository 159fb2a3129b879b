#!/bin/bash
# tests/pg_server.sh — a throwaway PostgreSQL server on loopback for the specs.
#
#   tests/pg_server.sh start DIR   initdb into DIR (created), start on a free port of 127.0.0.1 with its unix
#                                  socket in DIR, create database "knob_test"; prints the URL
#                                  postgresql://USER@127.0.0.1:PORT/knob_test on stdout (the last line)
#   tests/pg_server.sh stop DIR    stop the server and remove DIR
#
# As root the server runs as the 'postgres' user (initdb refuses root). Uses Debian's binaries
# (/usr/lib/postgresql/<version>/bin) or initdb/pg_ctl from PATH. Exits non-zero with a message on stderr
# when the server cannot be started.
set -u
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

bindir=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
  [ -x "$d/initdb" ] && { bindir=$d; break; }
done
if [ -z "$bindir" ]; then
  p=$(command -v initdb 2>/dev/null) && bindir=$(dirname "$p")
fi
[ -n "$bindir" ] || { echo "pg_server: no initdb found (install Debian's postgresql)" >&2; exit 1; }

user=$(id -un)
as_user() { # run a command as the server's user
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$1"; else bash -c "$1"; fi
}
[ "$(id -u)" = 0 ] && user=postgres

case "$cmd" in
start)
  mkdir -p "$dir" || exit 1
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
         || echo $((20000 + RANDOM % 20000)))
  as_user "'$bindir/initdb' -D '$dir/data' -U '$user' -A trust --no-sync -E UTF8 >'$dir/initdb.log' 2>&1" \
    || { echo "pg_server: initdb failed: $(tail -3 "$dir/initdb.log")" >&2; exit 1; }
  as_user "'$bindir/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -t 30 \
    -o \"-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$dir' -c fsync=off -c max_connections=50\" \
    start >/dev/null 2>&1" || { echo "pg_server: pg_ctl start failed: $(tail -3 "$dir/server.log" 2>/dev/null)" >&2; exit 1; }
  as_user "'$bindir/createdb' -h 127.0.0.1 -p $port -U '$user' knob_test" \
    || { echo "pg_server: createdb failed" >&2; exit 1; }
  echo "postgresql://$user@127.0.0.1:$port/knob_test"
  ;;
stop)
  [ -d "$dir/data" ] && as_user "'$bindir/pg_ctl' -D '$dir/data' -m immediate -w stop >/dev/null 2>&1"
  rm -rf "$dir"
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
