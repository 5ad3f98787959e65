#!/bin/sh
# make bench: rnsbox exec against the raw-syscall floor (bench/floor-exec) and against
# every peer installed (util-linux unshare, busybox unshare, toybox unshare, bwrap), many
# interleaved runs (bench/bench). ROUNDS (default 400) sets the runs per command. Works
# as root or as a user: every command makes its own user namespace.
set -u
cd "$(dirname "$0")/.." || exit 2
rounds=${ROUNDS:-400}
# the true program on PATH (command -v would name the shell's builtin)
true=''
for d in $(echo "$PATH" | tr ':' ' '); do [ -x "$d/true" ] && true=$d/true && break; done
[ -n "$true" ] || { echo "bench: no true program on PATH" >&2; exit 2; }
# NAME|COMMAND pairs, |-separated (bench splits each COMMAND on spaces, no shell)
list="floor|bench/floor-exec $true|rnsbox exec -rn|$PWD/rnsbox exec -rn $true"
list="$list|rnsbox exec -rn --no-lo|$PWD/rnsbox exec -rn --no-lo $true"
# add NAME PROG ARG...: a peer, when PROG is installed
add() {
	name=$1
	prog=$(command -v "$2") || { echo "# not installed, skipped: $name"; return 0; }
	shift 2
	list="$list|$name|$prog $*"
}
add "util-linux unshare -rn" unshare -rn "$true"
add "busybox unshare -rn" busybox unshare -rn "$true"
add "toybox unshare -rn" toybox unshare -rn "$true"
add "bwrap (user+net)" bwrap --unshare-user --unshare-net --uid 0 --gid 0 --bind / / "$true"
echo "# $(date -u +%Y-%m-%d) $(uname -r), $(nproc) cpus, $rounds interleaved rounds; ms"
echo "# rnsbox exec -rn and the floor also bring loopback up; the peers do not (compare --no-lo)"
IFS='|'
# shellcheck disable=SC2086 # split the list on |
set -- $list
unset IFS
exec bench/bench "$rounds" "$@"
