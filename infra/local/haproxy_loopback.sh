#!/bin/sh
# HAProxy for a local run (RAY_SERVE_HAPROXY_BINARY_PATH): Ray Serve 2.60 writes its stats and Prometheus
# frontends as `bind *:PORT` / `bind :PORT` (every interface) with no option to change it, so this rewrites the
# config file Serve passes (-f FILE) to bind them on 127.0.0.1, then runs the real HAProxy ($VIGIE_HAPROXY).
config=""
previous=""
for arg in "$@"; do
    [ "$previous" = "-f" ] && config="$arg"
    previous="$arg"
done
[ -n "$config" ] || { echo "haproxy_loopback.sh: no -f CONFIG argument" >&2; exit 2; }
[ -x "$VIGIE_HAPROXY" ] || { echo "haproxy_loopback.sh: VIGIE_HAPROXY is not an executable" >&2; exit 2; }
sed -i 's/^\([[:space:]]*bind[[:space:]][[:space:]]*\)\*\{0,1\}:/\1127.0.0.1:/' "$config" || exit 2
exec "$VIGIE_HAPROXY" "$@"
