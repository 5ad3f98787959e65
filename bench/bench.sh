#!/bin/sh
# make bench: rnsbox against raw-syscall floors (bench/floor-*) and against every peer
# installed, many interleaved runs (bench/bench). ROUNDS (default 400) sets the runs per
# command. exec: rnsbox exec -rn against floor-exec, util-linux, busybox and toybox
# unshare and bwrap; works as root or as a user (every command makes its own user
# namespace). newns (root only, in a private mount namespace so the host's mounts are
# untouched): create+remove against floor-newns, ip netns add+del and util-linux
# unshare --net=FILE + umount, then 1000 pins made and removed (PINS, default 1000),
# by the floor and by rnsbox. userns-handle (root): 100 handles a run against
# floor-userns, its cache hits, and fork+exec of a helper binary (UROUNDS, default 100).
# Published ports (root): a TCP round trip through the builtin relay's, slirp4netns's and
# pasta's published port against loopback (bench/tcp-echo; PROUNDS, default 400), and
# the throughput each way (TPUT_MIB, default 1024 MiB, TROUNDS times, default 3). Helper start-up: exec -Ur
# --net-helper=pasta and =slirp4netns against exec -Ur alone (HROUNDS, default 50).
set -u
cd "$(dirname "$0")/.." || exit 2
rounds=${ROUNDS:-400}
here=$PWD
# NAME|COMMAND pairs, |-separated (bench splits each COMMAND on spaces, no shell)
list=''
# add NAME PROG ARG...: a peer, when PROG is installed (" ; PROG2 ARG..." may follow)
add() {
	name=$1
	prog=$(command -v "$2") || { echo "# not installed, skipped: $name"; return 0; }
	shift 2
	list="$list|$name|$prog $*"
}
# run: bench the list, split on | (no shell between bench and the commands)
run() {
	IFS='|'
	# shellcheck disable=SC2086 # split the list on |
	set -- ${list#|}
	unset IFS
	bench/bench "$rounds" "$@"
}

# the true program on PATH (command -v would name the shell's builtin)
true=''
for d in $(echo "$PATH" | tr ':' ' '); do [ -x "$d/true" ] && true=$d/true && break; done
[ -n "$true" ] || { echo "bench: no true program on PATH" >&2; exit 2; }

if [ "${1-}" != newns ]; then
	list="|floor|bench/floor-exec $true|rnsbox exec -rn|$here/rnsbox exec -rn $true"
	list="$list|rnsbox exec -rn --no-lo|$here/rnsbox exec -rn --no-lo $true"
	add "util-linux unshare -rn" unshare -rn "$true"
	add "busybox unshare -rn" busybox unshare -rn "$true"
	add "toybox unshare -rn" toybox unshare -rn "$true"
	add "bwrap (user+net)" bwrap --unshare-user --unshare-net --uid 0 --gid 0 --bind / / "$true"
	echo "# exec: $(date -u +%Y-%m-%d) $(uname -r), $(nproc) cpus, $rounds interleaved rounds; ms"
	echo "# rnsbox exec -rn and the floor also bring loopback up; the peers do not (compare --no-lo)"
	run || exit
	# helper start-up: rnsbox exec -Ur with each helper (start it, configure tap0, run true,
	# end it) against exec -Ur alone, and the helper alone and rootlesskit where they can run
	list="|exec -Ur, no helper|$here/rnsbox exec -Ur $true"
	for h in pasta slirp4netns; do
		command -v $h >/dev/null && list="$list|exec -Ur --net-helper=$h|$here/rnsbox exec -Ur --net-helper=$h $true"
	done
	# as root Debian 12's pasta --config-net never ends (it spins after failing to set
	# ping_group_range), so pasta alone is timed only as a user
	[ "$(id -u)" = 0 ] || add "pasta --config-net alone" pasta --config-net "$true"
	add "rootlesskit (slirp4netns)" rootlesskit --net=slirp4netns --disable-host-loopback "$true"
	rounds=${HROUNDS:-50}
	echo
	echo "# helper start-up: $(date -u +%Y-%m-%d), $rounds interleaved rounds; ms"
	run || exit
	rounds=${ROUNDS:-400}
	[ "$(id -u)" = 0 ] || { echo "# newns: skipped, it needs root"; exit 0; }
	# the newns part runs again in a private mount namespace of its own
	exec "$here/rnsbox" exec -m sh "$0" newns
fi

d=$(mktemp -d) || exit 2
[ -d /run/netns ] || made_run_netns=1
list="|floor|bench/floor-newns add $d/f ; bench/floor-newns del $d/f"
list="$list|rnsbox newns + --rm|$here/rnsbox newns $d/r ; $here/rnsbox newns --rm $d/r"
list="$list|rnsbox newns --no-lo + --rm|$here/rnsbox newns --no-lo $d/n ; $here/rnsbox newns --rm $d/n"
add "ip netns add + del" ip netns add rnsbox-bench \; "$(command -v ip)" netns del rnsbox-bench
: >"$d/u" # util-linux wants the file to exist; umount leaves it for the next round
add "unshare --net=F + umount" unshare --net="$d/u" "$true" \; "$(command -v umount)" "$d/u"
echo
echo "# newns: $(date -u +%Y-%m-%d) $(uname -r), $(nproc) cpus, $rounds interleaved rounds; ms"
echo "# rnsbox newns and the floor also bring loopback up; ip and unshare do not (compare --no-lo)"
run
pins=${PINS:-1000}
echo
echo "# newns: $pins pins made, then removed, in one directory: cost per run as pins accumulate;"
echo "# the floor's series shows what the kernel's own cost of many live namespaces adds"
for s in "floor (net)|bench/floor-newns add $d/f{}|bench/floor-newns del $d/f{}" \
	"rnsbox newns (net)|$here/rnsbox newns $d/p{}|$here/rnsbox newns --rm $d/p{}" \
	"rnsbox newns -t uts|$here/rnsbox newns -t uts $d/u{}|$here/rnsbox newns --rm $d/u{}"; do
	echo "## ${s%%|*}"
	s=${s#*|}
	bench/bench --series "$pins" "$((pins / 10))" "${s%%|*}" "${s#*|}"
done

# userns-handle: 100 distinct mappings in one call, each handle kept at an fd for the command
h=100
maps=''
i=0
while [ $i -lt $h ]; do
	maps="$maps --map-users 0:$((100000 + 10 * i)):10 --map-groups 0:$((100000 + 10 * i)):10 --fd $((10 + i))"
	i=$((i + 1))
done
# shellcheck disable=SC2086 # split the options on purpose
"$here/rnsbox" userns-handle --cache="$d/cache" $maps -- "$true" # warm the cache
list="|floor|bench/floor-userns floor $h $true"
list="$list|rnsbox userns-handle|$here/rnsbox userns-handle$maps -- $true"
list="$list|rnsbox (cache hits)|$here/rnsbox userns-handle --cache=$d/cache$maps -- $true"
list="$list|fork+exec helper (cat)|bench/floor-userns forkexec $h $(command -v cat) $true"
rounds=${UROUNDS:-100}
echo
echo "# userns-handle: $h distinct mappings a run; $(date -u +%Y-%m-%d), $rounds interleaved rounds; ms a run"
echo "# (divide by $h for a handle; each run also starts rnsbox or the floor once and execs true)"
run

# published ports: connect, one byte each way, close, through a port each helper publishes
# on the host's loopback to the same echo server inside, against that server reached on
# the loopback directly (PROUNDS round trips each, interleaved, default 400)
# accepts PORT: whether a round trip to 127.0.0.1:PORT goes through
accepts() { ! bench/tcp-echo rtt 1 probe "$1" | grep -q failed; }
p=47500 lst="direct $p" pids=''
bench/tcp-echo serve $p &
pids=$!
"$here/rnsbox" exec -n --port-driver=builtin --publish "127.0.0.1:$((p + 1)):8080" -- "$here/bench/tcp-echo" serve 8080 &
pids="$pids $!" lst="$lst rnsbox-builtin $((p + 1))" i=2
for h in slirp4netns pasta; do
	command -v $h >/dev/null || { echo "# not installed, skipped: $h"; continue; }
	"$here/rnsbox" exec --net-helper $h --publish "127.0.0.1:$((p + i)):8080" -- "$here/bench/tcp-echo" serve 8080 &
	pids="$pids $!" lst="$lst $h $((p + i))" i=$((i + 1))
done
for port in $lst; do
	case $port in *[!0-9]*) continue ;; esac
	w=0
	until accepts "$port" || [ $w -ge 100 ]; do sleep 0.1; w=$((w + 1)); done
done
echo
echo "# published TCP port: $(date -u +%Y-%m-%d), ${PROUNDS:-400} interleaved round trips each; ms"
echo "# (connect + 1 byte out + 1 byte back + close, to 127.0.0.1; the server is the same program)"
# shellcheck disable=SC2086 # NAME PORT pairs
bench/tcp-echo rtt "${PROUNDS:-400}" $lst
echo
echo "# published TCP port throughput: $(date -u +%Y-%m-%d), ${TPUT_MIB:-1024} MiB each way, ${TROUNDS:-3} interleaved rounds; median MiB/s"
# shellcheck disable=SC2086 # NAME PORT pairs
bench/tcp-echo tput "${TPUT_MIB:-1024}" "${TROUNDS:-3}" $lst
# shellcheck disable=SC2086 # the pids
kill $pids
wait
for f in "$d"/cache/*; do [ -f "$f" ] && umount "$f" 2>/dev/null; done
rm -rf "$d"
[ -z "${made_run_netns-}" ] || { umount /run/netns; rmdir /run/netns; }
