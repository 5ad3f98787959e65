#!/bin/sh
# rnsbox's test suite. POSIX sh. Run as root it covers everything, dropping to a temporary
# unprivileged user for the rootless cases; run as a user it skips the root-only cases.
# Every claim of rnsbox is checked against an independent observer: the kernel's /proc
# files, toybox, or the shell itself. Prints one line a case and, last,
# "N passed, N failed, N skipped". Anything changed on the machine (a user, a subuid line)
# is restored by the EXIT trap.
# Scripts given to sh -c in single quotes expand their own $0 and $1, on purpose; and some
# helpers are called only through wait_for or a trap, which shellcheck cannot see:
# shellcheck disable=SC2016,SC2317
set -u
cd "$(dirname "$0")" || exit 2
# The groups, in the order ./test.sh runs them; ./test.sh GROUP... runs those alone, and
# ./test.sh --list names each with what it tests. cross and watchdog run only when named.
groups="harness dispatch detect quiet rootless subids output brokenproc initramfs seccomp exec_ns exec_pid1 exec_maps nsenter unshare_new dryrun applets cgroups exec_fds exec_mounts newns newns_rootless userns network interrupt hygiene fuzz install shellcheck"
if [ "${1-}" = --list ]; then
	awk '/^# --- / {last = substr($0, 7)} /^group_[a-z_0-9]*\(\) \{$/ {sub(/^group_/, ""); sub(/\(\) \{$/, ""); print $0 ": " last}' "$0"
	exit 0
fi
for g; do
	case " $groups cross watchdog " in *" $g "*) ;; *) echo "test.sh: no group '$g' (./test.sh --list)" >&2; exit 2 ;; esac
done
# As root the suite runs in a mount and a network namespace of its own (made by toybox),
# so the pins, mounts and veth pairs the tests make never reach the host's, even when a
# case fails or the run is killed.
if [ "$(id -u)" = 0 ] && [ -z "${RNSBOX_TEST_NS-}" ] && command -v toybox >/dev/null; then
	RNSBOX_TEST_NS=1 exec toybox unshare -mn sh "$0" "$@"
fi
if [ "${RNSBOX_TEST_NS-}" = 1 ]; then
	toybox mount -o rprivate none / && toybox ifconfig lo up || exit 2
fi

pass=0 fail=0 skipped=0 n=0
# Every case ends in ok, not_ok or skip, which also tell the watchdog (below) that the
# suite moves on; a case the watchdog had to end fails, whatever its assertion said.
ok() {
	if [ -e "$tmp/hung" ]; then not_ok "$1"; return; fi
	n=$((n + 1)) pass=$((pass + 1))
	echo "ok $n - $1"
	: >"$tmp/alive"
}
not_ok() {
	n=$((n + 1)) fail=$((fail + 1))
	echo "not ok $n - $1"
	shift
	for line in "$@"; do printf '#   %s\n' "$line"; done
	if [ -e "$tmp/hung" ]; then echo "#   hung: the watchdog ended its processes after $case_timeout s"; rm -f "$tmp/hung"; fi
	: >"$tmp/alive"
}
skip() { n=$((n + 1)) skipped=$((skipped + 1)); echo "ok $n # SKIP $1"; : >"$tmp/alive"; }

# assert_eq NAME EXPECTED ACTUAL
assert_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected: $2" "actual:   $3"; fi
}
# assert_contains NAME HAYSTACK NEEDLE
assert_contains() {
	case $2 in
	*"$3"*) ok "$1" ;;
	*) not_ok "$1" "expected to contain: $3" "actual: $2" ;;
	esac
}
# assert_exit NAME STATUS COMMAND...: the command's exit status (its output is kept in $out)
assert_exit() {
	name=$1 want=$2
	shift 2
	out=$("$@" 2>&1)
	got=$?
	if [ "$got" = "$want" ]; then ok "$name"; else not_ok "$name" "exit $got, expected $want" "output: $out"; fi
}
have() { command -v "$1" >/dev/null 2>&1; }
# wait_for COMMAND...: run COMMAND until it succeeds, for at most about 5 s; its last status.
# Every wait on another process is one of these, never a bare sleep.
wait_for() {
	w=0
	until "$@"; do
		[ $w -ge 100 ] && return 1
		sleep 0.05
		w=$((w + 1))
	done
}
# comm_is PID NAME: whether process PID runs NAME (/proc/PID/comm; false once it is gone)
comm_is() { [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]; }
# gone PID: whether PID has ended (gone, or a zombie)
gone() { ! { read -r _ _ st _ <"/proc/$1/stat"; } 2>/dev/null || [ "$st" = Z ]; }
# field N: the Nth word of each input line
field() { awk -v n="$1" '{print $n}'; }
# words: the input's words on one line, separated by single spaces
words() { tr -s ' \t\n' '   ' | sed 's/^ //; s/ $//'; }

# --- setup: a private copy of the binary every user can run, and the cleanup trap
tmp=$(mktemp -d) || exit 2
# Every process the suite starts carries this mark in its environment (as_user passes it
# through env -i), and so do the network helpers rnsbox starts: helpers() counts only the
# suite's own, whatever else runs on the machine.
RNSBOX_TEST_RUN=$$-${tmp##*.}
export RNSBOX_TEST_RUN
tuser='' subuid_saved='' subgid_saved='' made_run_netns='' made_etc_netns='' made_cg='' made_ctl='' made_run_rnsbox=''
# restore FILE HOW: put /etc/FILE back as it was (HOW: yes = saved copy, absent = remove)
restore() {
	case $2 in
	yes) cat "$tmp/$1.orig" >"/etc/$1" ;;
	absent) rm -f "/etc/$1" ;;
	esac
}
# kill_user: end every process of the test user (a failed case must not leave one behind)
kill_user() {
	[ -n "$tuser" ] || return 0
	for st in /proc/[0-9]*/status; do
		awk -v u="$tuid" '/^Uid:/ {exit !($2 == u)}' "$st" 2>/dev/null || continue
		p=${st#/proc/}
		kill -KILL "${p%/status}" 2>/dev/null
	done
}
# cg_remove DIR: end the processes of a cgroup the suite made and of its children, then remove them
cg_remove() {
	for d in "$1"/*/ "$1/"; do
		[ -d "$d" ] || continue
		while read -r p; do kill -KILL "$p"; done <"${d}cgroup.procs" 2>/dev/null
		wait_for sh -c '! read -r _ <"$0/cgroup.procs"' "$d"
	done
	rmdir "$1"/*/ "$1" 2>/dev/null
}
cleanup() {
	[ -s "$tmp/watchdog" ] && kill "$(cat "$tmp/watchdog")" 2>/dev/null
	kill_user
	restore subuid "$subuid_saved"
	restore subgid "$subgid_saved"
	[ -n "$tuser" ] && userdel "$tuser" 2>/dev/null && rm -rf "/tmp/rnsbox-$tuid"
	rm -rf "/etc/netns/rnsbox-e$$" "/etc/netns/rnsbox-h$$"
	[ -n "$made_etc_netns" ] && rmdir /etc/netns 2>/dev/null
	[ -n "$made_run_netns" ] && rmdir /run/netns 2>/dev/null
	[ -n "$made_run_rnsbox" ] && rm -rf /run/rnsbox
	[ -n "$made_cg" ] && cg_remove "$made_cg"
	[ -n "$made_ctl" ] && echo "-$made_ctl" >"$cg2/cgroup.subtree_control"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The watchdog: a case that hangs (a command that never ends) must fail by name and let the
# suite go on. When no case has ended for RNSBOX_CASE_TIMEOUT seconds (120), it kills every
# descendant of this shell (only the suite's own processes), and the case then ending is
# reported as failed. It ends with the suite. It is started twice removed, so that it is
# no child of this shell, which a bare `wait` would wait for.
case_timeout=${RNSBOX_CASE_TIMEOUT:-120}
: >"$tmp/alive"
# descendants PID: PID's descendant processes
descendants() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$1" '
		{ pid = $1; sub(/.*\) /, ""); parent[pid] = $2 }
		END { for (p in parent) { q = p
			while (q in parent && q != root && q > 1) q = parent[q]
			if (q == root && p != root) print p } }'
}
( (
	read -r me _ </proc/self/stat
	echo "$me" >"$tmp/watchdog"
	main=$$
	while sleep 2 && kill -0 "$main" 2>/dev/null; do
		[ -n "$(find "$tmp/alive" -newermt "$case_timeout seconds ago" 2>/dev/null)" ] && continue
		[ -e "$tmp/alive" ] || exit 0
		: >"$tmp/hung" && : >"$tmp/alive"
		echo "# watchdog: no case ended for $case_timeout s; ending the suite's processes" >&2
		# shellcheck disable=SC2046 # a list of pids
		kill -KILL $(descendants "$main") 2>/dev/null
	done
) & )
chmod 755 "$tmp"
# flags: where commands run as the test user say they are ready (wait_for test -e ...)
mkdir "$tmp/flags" && chmod 1777 "$tmp/flags"
# RNSBOX_BIN: the build under test. make check-asan gives its ASan+UBSan build and sets
# RNSBOX_SANITIZED=1: it is dynamically linked against the system libc, so the few cases
# that need a static musl binary skip, each with its reason. as_user passes ASAN_OPTIONS
# through env -i.
cp "${RNSBOX_BIN:-rnsbox}" "$tmp/rnsbox" || exit 2
san=${RNSBOX_SANITIZED:-0} eloop='Symbolic link loop'
[ "$san" = 1 ] && eloop='Too many levels of symbolic links'
cp tests/seccomp-deny tests/listen-fds tests/foreign-socket tests/pidfd-ino "$tmp/" 2>/dev/null
R=$tmp/rnsbox

root=0
[ "$(id -u)" = 0 ] && root=1
# root's fallback runtime directory: detect, newns and exec make it; removed by the trap if new
[ $root = 1 ] && [ ! -e /run/rnsbox ] && made_run_rnsbox=1
# as_user COMMAND...: run as the unprivileged test user with a clean environment
if [ $root = 1 ]; then
	tuser=rnsbox-t$$
	userdel "$tuser" 2>/dev/null
	useradd -r -M -N -d /nonexistent -s /bin/false "$tuser" || exit 2
	tuid=$(id -u "$tuser") tgid=$(id -g "$tuser")
	as_user() { setpriv --reuid="$tuid" --regid="$tgid" --clear-groups env -i PATH="$PATH" RNSBOX_TEST_RUN="$RNSBOX_TEST_RUN" ${ASAN_OPTIONS:+"ASAN_OPTIONS=$ASAN_OPTIONS"} "$@"; }
	# spawn_user COMMAND... &: as as_user, but exec'd, so that $! is the command itself
	spawn_user() { exec setpriv --reuid="$tuid" --regid="$tgid" --clear-groups env -i PATH="$PATH" RNSBOX_TEST_RUN="$RNSBOX_TEST_RUN" ${ASAN_OPTIONS:+"ASAN_OPTIONS=$ASAN_OPTIONS"} "$@"; }
else
	tuser=''
	tuid=$(id -u) tgid=$(id -g)
	as_user() { env -i PATH="$PATH" RNSBOX_TEST_RUN="$RNSBOX_TEST_RUN" ${ASAN_OPTIONS:+"ASAN_OPTIONS=$ASAN_OPTIONS"} "$@"; }
	spawn_user() { exec env -i PATH="$PATH" RNSBOX_TEST_RUN="$RNSBOX_TEST_RUN" ${ASAN_OPTIONS:+"ASAN_OPTIONS=$ASAN_OPTIONS"} "$@"; }
fi
have toybox && tb=1 || tb=0
have jq && jqok=1 || jqok=0
# json FILTER: read one JSON document on stdin, print the filter's raw result
json() { jq -r "$1"; }

echo "# rnsbox $("$R" --version), kernel $(uname -r), as uid $(id -u), test uid $tuid"
finish() {
	echo "$pass passed, $fail failed, $skipped skipped"
	[ "$fail" = 0 ]
}

# --- the library: helpers the groups share (defined before any group runs)
# save_subids: keep /etc/subuid and /etc/subgid as they are, for restore (and the trap)
save_subids() {
	for f in subuid subgid; do
		if [ -e "/etc/$f" ]; then cp "/etc/$f" "$tmp/$f.orig" && eval "${f}_saved=yes"; else eval "${f}_saved=absent"; fi
	done
}
restore_subids() {
	restore subuid "$subuid_saved" && subuid_saved=''
	restore subgid "$subgid_saved" && subgid_saved=''
}
# nsino TYPE: the inode of this shell's namespace of TYPE
nsino() { stat -L -c %i "/proc/self/ns/$1"; }
# child_of PID NAME: PID's child, once it runs NAME
child_of() { c=$(cat "/proc/$1/task/$1/children" 2>/dev/null) && c=${c% } && comm_is "$c" "$2" && echo "$c"; }
maps() { cat /proc/self/uid_map /proc/self/gid_map; }
# target_of PID: the process that runs the command under rnsbox PID (itself, or its child)
target_of() { c=$(awk '{print $1}' "/proc/$1/task/$1/children" 2>/dev/null); echo "${c:-$1}"; }
# blocked_on PID FD: whether PID sits in read(2) on FD (/proc/PID/syscall: number 0 on x86_64)
blocked_on() { case $(cat "/proc/$1/syscall" 2>/dev/null) in "0 0x$2 "*) ;; *) return 1 ;; esac; }
prop() { awk '$5 == "/" {o=""; for (i = 7; $i != "-"; i++) o = o $i " "; print o}' /proc/self/mountinfo; }
eff() { awk '/^CapEff:/ {print $2}'; }
# nsfs_at PATH: the root ("net:[INODE]") of the nsfs mount at PATH in mountinfo; empty if none
nsfs_at() { awk -v p="$1" '$5 == p && / - nsfs / {print $4}' /proc/self/mountinfo; }
# pins: how many nsfs mounts this mount namespace has
pins() { awk '/ - nsfs / {n++} END {print n + 0}' /proc/self/mountinfo; }
# procs: how many processes run the test's copy of rnsbox
procs() { find /proc/[0-9]*/exe -maxdepth 0 -lname "$R" 2>/dev/null | wc -l; }
no_procs() { [ "$(procs)" = 0 ]; }
# has_dev DEV: whether this network namespace has the device (the kernel's /proc/net/dev)
has_dev() { awk -F: -v d="$1" '{gsub(/ /, "", $1)} $1 == d {f=1} END {exit !f}' /proc/net/dev; }
# gone_dev DEV: wait (bounded) for DEV to go: a namespace is torn down after its last user
gone_dev() {
	i=0
	while has_dev "$1" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	! has_dev "$1"
}
# leftovers DIR: what a failed newns may not leave: files in DIR, nsfs mounts, rnsbox processes
leftovers() {
	f=''
	for e in "$1"/* "$1"/.[!.]*; do [ -e "$e" ] || [ -L "$e" ] && f="$f ${e##*/}"; done
	echo "files:${f# } pins:$(($(pins) - base)) procs:$(procs)"
}
clean="files: pins:0 procs:0" # what leftovers says when nothing is left
# umaps FILE: the uid and gid maps of the user namespace at FILE, as a process in it reads them
umaps() { nsenter --user="$1" --preserve-credentials cat /proc/self/uid_map /proc/self/gid_map | words; }
# serve PORT FILE: a one-connection TCP server on the loopback of the suite's network
# namespace, writing what it receives to FILE; returns once it listens (/proc/net/tcp)
serve() {
	sleep 15 | toybox nc -l -p "$1" -s 127.0.0.1 >"$2" 2>/dev/null & # stdin at EOF could end it early
	hex=$(printf '%04X' "$1") i=0
	while ! awk -v p=":$hex" '$2 ~ p"$" && $4 == "0A" {f=1} END {exit !f}' /proc/net/tcp && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
# helpers: how many of the suite's network helpers are running: by name, with the suite's
# mark in their environment (a zombie has none); a process that ends mid-scan is skipped
helpers() {
	c=0 ps=$(cat /proc/[0-9]*/stat 2>/dev/null | awk '$3 != "Z" && $2 ~ /^\((slirp4netns|pasta|passt)/ {print $1}')
	for p in $ps; do
		tr '\0' '\n' 2>/dev/null <"/proc/$p/environ" | grep -qx "RNSBOX_TEST_RUN=$RNSBOX_TEST_RUN" && c=$((c + 1))
	done
	echo "$c"
}
helpers_back() { [ "$(helpers)" = "$helpers_before" ]; }
helpers_back_to() { [ "$(helpers)" = "$1" ]; }
# received FILE: what a server got, once it has it (bounded wait)
received() {
	i=0
	while [ ! -s "$1" ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
	cat "$1"
}

# the applets, as links named unshare and nsenter
ln -s rnsbox "$tmp/unshare"
ln -s rnsbox "$tmp/nsenter"
# cg2: the cgroup v2 hierarchy, on a cgroup2 or a hybrid host ('' if none)
cg2=''
for d in /sys/fs/cgroup /sys/fs/cgroup/unified; do [ "$(stat -f -c %T "$d" 2>/dev/null)" = cgroup2fs ] && cg2=$d && break; done
# made_cg: the suite's own cgroup below it (made by the groups that need it, removed by the
# trap): every cgroup case runs in it, never in the host's cgroups
[ $root = 1 ] && [ -n "$cg2" ] && made_cg=$cg2/rnsbox-test-$$

# --- cross (only when named; make check-cross): the armhf build under qemu-system-arm
# The armhf build (RNSBOX_CROSS_BIN, from make check-cross) booted under
# qemu-system-arm with Debian's armhf kernel and busybox (RNSBOX_CROSS_BOOT, from
# tests/cross-sysroot.sh): ids from 2^31 up, which a 32-bit long made negative, and core
# exec, nsenter and newns cases, checked inside against /proc, busybox and the kernel.
group_cross() {
	xb=${RNSBOX_CROSS_BIN:-} boot=${RNSBOX_CROSS_BOOT:-}
	if [ ! -x "$xb" ] || [ ! -r "$boot/vmlinuz" ] || ! have qemu-system-arm || ! have cpio || ! have gzip; then
		skip "cross: needs RNSBOX_CROSS_BIN, RNSBOX_CROSS_BOOT (tests/cross-sysroot.sh), qemu-system-arm, cpio, gzip"
		return
	fi
	ird=$tmp/cross
	mkdir -p "$ird/bin" && cp "$boot/busybox" "$ird/bin/" && cp "$xb" "$ird/rnsbox" && cp "$boot/veth.ko" "$ird/"
	cat >"$ird/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /run /dev && mount -t proc proc /proc && mount -t sysfs sysfs /sys && mount -t tmpfs tmpfs /run &&
	mount -t devtmpfs dev /dev
R=/rnsbox
ids='echo $(id -u) $(id -g)'
say() { k=$1; shift; echo "$k $(echo "$@" | tr -s ' \n' '  ')"; }
echo "KERNEL $(uname -r) $(uname -m)"
say SETUID "$($R exec -S 3000000000 -G 3000000000 sh -c "$ids")"
say SETUID2 "$($R exec -S 2147483648 -G 2147483648 sh -c "$ids") $($R exec -S 4294967294 -G 4294967294 sh -c "$ids")"
say SETUIDBAD "$($R exec -S 4294967295 true 2>&1; echo $?)"
say MAPUSER "$($R exec -U --map-user=3000000000 --map-group=3000000000 cat /proc/self/uid_map /proc/self/gid_map)"
say MAPC "$($R exec -S 3000000000 -G 3000000000 $R exec -c cat /proc/self/uid_map /proc/self/gid_map)"
$R exec -m sleep 300 & m=$!
$R exec -U --map-users=0:0:4294967295 --map-groups=0:0:4294967295 sleep 300 & u=$!
i=0; while [ $i -lt 100 ] && { [ "$(readlink /proc/$m/ns/mnt)" = "$(readlink /proc/self/ns/mnt)" ] ||
	[ "$(readlink /proc/$u/ns/user)" = "$(readlink /proc/self/ns/user)" ]; }; do sleep 0.05; i=$((i + 1)); done
say NSENTER_A "$($R nsenter -t $m -a -S 3000000000 -G 3000000000 sh -c "$ids")"
say NSENTER_U "$($R nsenter -t $u -U -S 3000000000 -G 3000000000 sh -c "$ids")"
say NSENTER_U0 "$($R nsenter -t $u -U sh -c "$ids")"
kill $m $u
say EXEC_RN "$($R exec -rn sh -c 'cat /proc/self/uid_map; readlink /proc/self/ns/net') $(readlink /proc/self/ns/net)"
say EXEC_P "$($R exec -p --mount-proc sh -c 'echo $$; ls /proc | grep "^[0-9]"')"
say NEWNS "$($R newns -t net,uts /run/n1 /run/u1) $(stat -c %i /run/n1) $($R nsenter --net=/run/n1 stat -L -c %i /proc/self/ns/net)"
$R newns --rm /run/n1 /run/u1; say NEWNS_RM "$? $(ls /run)"
insmod /veth.ko
say VETH "$($R newns --veth v0:eth0 --addr eth0=10.9.0.2/24 --mtu eth0=1400 /run/n2 2>&1) $($R nsenter --net=/run/n2 ip -o -4 addr show eth0 | awk '{print $4}') $($R nsenter --net=/run/n2 ip -o link show eth0 | grep -o 'mtu [0-9]*') $(ip -o link show v0 | grep -c v0)"
$R newns --rm /run/n2; say VETH_RM "$? $(ip -o link show v0 2>/dev/null | grep -c v0) $(ls /run)"
say DETECT "$($R detect -q; echo $?) $($R detect --shell | grep -E '^RNSBOX_(ROOTLESS|UID)=')"
poweroff -f
INIT
	chmod 755 "$ird/init"
	(cd "$ird" && find . | cpio -o -H newc 2>/dev/null) | gzip >"$tmp/cross.gz"
	timeout 300 qemu-system-arm -M virt -cpu cortex-a15 -m 256 -nographic -no-reboot -kernel "$boot/vmlinuz" \
		-initrd "$tmp/cross.gz" -append "console=ttyAMA0 quiet panic=-1" </dev/null 2>&1 | tr -d '\r' >"$tmp/boot"
	got() { sed -n "s/^$1 //p" "$tmp/boot" | sed 's/ *$//'; }
	echo "# booted: $(got KERNEL)"
	assert_eq "armhf: exec -S 3000000000 -G 3000000000 runs as 3000000000:3000000000, not root" \
		"3000000000 3000000000" "$(got SETUID)"
	assert_eq "armhf: exec -S/-G 2147483648 and 4294967294 (the highest id)" \
		"2147483648 2147483648 4294967294 4294967294" "$(got SETUID2)"
	assert_eq "armhf: exec -S 4294967295 ((uid_t)-1) is a usage error naming it" \
		"rnsbox: exec: --setuid: unknown user '4294967295' rnsbox: exec: hint: see 'rnsbox exec --help' 2" "$(got SETUIDBAD)"
	assert_eq "armhf: exec -U --map-user=3000000000 --map-group=3000000000 writes both maps" \
		"3000000000 0 1 3000000000 0 1" "$(got MAPUSER)"
	assert_eq "armhf: exec -c as uid 3000000000 maps it to itself" \
		"3000000000 3000000000 1 3000000000 3000000000 1" "$(got MAPC)"
	assert_eq "armhf: nsenter -t PID -a -S 3000000000 -G 3000000000" "3000000000 3000000000" "$(got NSENTER_A)"
	assert_eq "armhf: nsenter -t PID -U -S 3000000000 -G 3000000000 (a user namespace that maps them)" \
		"3000000000 3000000000" "$(got NSENTER_U)"
	assert_eq "armhf: nsenter -t PID -U without -S/-G takes 0:0" "0 0" "$(got NSENTER_U0)"
	# shellcheck disable=SC2046 # words, split on purpose
	set -- $(got EXEC_RN)
	assert_eq "armhf: exec -rn maps 0 to 0 and is in a new network namespace" "0 0 1 new" \
		"${1-} ${2-} ${3-} $([ -n "${4-}" ] && [ "${4-}" != "${5-}" ] && echo new)"
	assert_eq "armhf: exec -p --mount-proc: the command is PID 2 under rnsbox, and sees only the new PID namespace" \
		"2 1 2 3 4" "$(got EXEC_P)"
	# shellcheck disable=SC2046
	set -- $(got NEWNS)
	assert_eq "armhf: newns -t net,uts pins both; nsenter --net=PIN is in the pinned one" \
		"/run/n1 /run/u1 same" "${1-} ${2-} $([ -n "${3-}" ] && [ "${3-}" = "${4-}" ] && echo same)"
	assert_eq "armhf: newns --rm removes both pins" "0" "$(got NEWNS_RM)"
	assert_eq "armhf: newns --veth --addr --mtu over rtnetlink (32-bit structs), the host end there" \
		"/run/n2 10.9.0.2/24 mtu 1400 1" "$(got VETH)"
	assert_eq "armhf: newns --rm deletes the pair and the pin" "0 0" "$(got VETH_RM)"
	assert_eq "armhf: detect -q exits 1 as root (not rootless), --shell says so" \
		"1 RNSBOX_ROOTLESS='0' RNSBOX_UID='0'" "$(got DETECT)"
}
# --- watchdog (only when named): one case that hangs, then one that passes (harness checks it)
group_watchdog() {
	assert_exit "a case that hangs" 0 sleep 600
	ok "the suite goes on"
}
case ${1-} in
cross) group_cross; finish; exit ;;
watchdog) group_watchdog; finish; exit ;;
esac

# --- the watchdog: a hung case fails by name and the suite goes on
group_harness() {
w=$(RNSBOX_CASE_TIMEOUT=3 timeout 120 ./test.sh watchdog 2>&1)
assert_contains "a hung case fails, by name" "$w" "not ok 1 - a case that hangs"
assert_contains "saying the watchdog ended it" "$w" "hung: the watchdog ended its processes after 3 s"
assert_contains "and the suite goes on to the end" "$w" "ok 2 - the suite goes on
1 passed, 1 failed, 0 skipped"
}

# --- build and dispatch
group_dispatch() {
assert_contains "--version prints the stamped version" "$("$R" --version)" "rnsbox 0.1.0"
assert_contains "--help lists detect with a summary" "$("$R" --help)" "detect         rootless or not"
assert_exit "detect --help exits 0" 0 "$R" detect --help
assert_contains "detect --help prints detect's usage" "$out" "usage: rnsbox detect"
assert_exit "no subcommand is a usage error" 2 "$R"
assert_contains "no subcommand says so" "$out" "no subcommand given"
assert_exit "unknown subcommand is a usage error" 2 "$R" frobnicate
assert_contains "unknown subcommand is named" "$out" "unknown subcommand 'frobnicate'"
assert_exit "unknown long option is a usage error" 2 "$R" detect --bogus
assert_contains "unknown long option is named" "$out" "rnsbox: detect: unknown option '--bogus'"
assert_exit "unknown short option is a usage error" 2 "$R" detect -qZ
assert_contains "unknown short option is named" "$out" "unknown option '-Z'"
assert_exit "stray argument is a usage error" 2 "$R" detect extra
assert_contains "stray argument is named" "$out" "unexpected argument 'extra'"
# --version, -V (also in a cluster) and a prefix of --version, on every subcommand; help
v=$("$R" --version) bad=''
for c in detect exec newns userns-handle nsenter unshare; do
	for f in --version -V --vers; do [ "$("$R" "$c" "$f" 2>&1)" = "$v" ] || bad="$bad $c$f"; done
done
assert_eq "every subcommand prints rnsbox's version for --version, -V and --vers" "" "$bad"
assert_eq "exec -rV (in a cluster) is the version too" "$v" "$("$R" exec -rV true)"
assert_eq "exec: --version after the command is the command's" "--version" "$("$R" exec printf '%s\n' --version)"
assert_eq "rnsbox help is rnsbox --help" "$("$R" --help)" "$("$R" help)"
assert_eq "rnsbox help SUBCOMMAND is its --help" "$("$R" newns --help)" "$("$R" help newns)"
assert_exit "rnsbox help of an unknown subcommand is a usage error" 2 "$R" help bogus
assert_contains "naming it" "$out" "unknown subcommand 'bogus'"
# rnsbox.1, made from README by make: renders cleanly, and names every long option of every
# subcommand's --help (so README, the page and the program agree)
if [ -f rnsbox.1 ] && have groff; then
	assert_eq "rnsbox.1 renders without a groff warning (-ww)" "" "$(groff -man -Tascii -ww -z rnsbox.1 2>&1)"
	bs=$(printf '\b')
	page=$(groff -man -Tascii -rLL=300n -rHY=0 rnsbox.1 2>/dev/null | sed "s/.$bs//g")
	missing=''
	for c in detect exec newns userns-handle nsenter; do
		for o in $("$R" "$c" --help | grep -o -- '--[a-z0-9][a-z0-9-]*' | sort -u); do
			case $page in *"$o"*) ;; *) missing="$missing $c:$o" ;; esac
		done
	done
	assert_eq "rnsbox.1 names every long option of every subcommand's --help" "" "$missing"
	assert_contains "rnsbox.1 has each subcommand's synopsis" "$page" "rnsbox userns-handle --map-users=MAP --map-groups=MAP"
	assert_contains "rnsbox.1 has the exit codes" "$page" "127   exec, nsenter: the command was not found"
else
	skip "rnsbox.1: not built (make rnsbox.1) or groff not installed"
fi
ln -s rnsbox "$tmp/rnsbox-detect"
assert_exit "rnsbox-detect link runs detect" 0 "$tmp/rnsbox-detect" --help
assert_contains "rnsbox-detect link prints detect's usage" "$out" "usage: rnsbox detect"

# --help is made from the parser's rows: every option it lists, long and short, in the form
# it shows (=ARG given as 1), is taken by the parser, which then stops at an unknown option
# (or at the value, naming the option), before anything runs
bad=''
for c in detect exec newns userns-handle nsenter unshare; do
	for o in $("$R" "$c" --help | sed -n 's/^  \(-[A-Za-z]\), \(--[a-z0-9-]*=\{0,1\}\).*/\1\2/p; s/^      \(--[a-z0-9-]*=\{0,1\}\).*/\1/p'); do
		long=--${o#*--} short=${o%%--*}
		case $long in --help | --version) continue ;; esac
		for f in "$long" ${short:+"$short"}; do
			case $long in *=) f=${f}1 ;; esac
			got=$(timeout 5 "$R" "$c" "$f" --zz-bogus 2>&1)
			case $got in *"unknown option '--zz-bogus'"* | *"${long%=}"*) ;; *) bad="$bad $c:$f" ;; esac
		done
	done
done
assert_eq "every option of every --help, long and short, is one the parser takes" "" "$bad"
assert_exit "--help is answered by the parser for each subcommand: exec -h" 0 "$R" exec -h
assert_contains "listing --help and --version" "$out" "-V, --version"

# rnsbox's own option parser (in place of musl's getopt_long)
assert_exit "a long option missing its argument is a usage error" 2 "$R" exec --root
assert_contains "naming it" "$out" "option '--root' needs an argument"
assert_exit "a short one too" 2 "$R" exec -R
assert_exit "an argument to a long option that takes none is refused" 2 "$R" exec --fork=1 true
assert_exit "an ambiguous prefix is refused" 2 "$R" exec --map true
assert_contains "named as given" "$out" "unknown option '--map'"
assert_eq "a unique prefix works, and short options cluster (-Uc)" "0 $(id -u)" "$("$R" exec --forward-s -Uc -- sh -c 'echo $? $(id -u)')"
assert_eq "options stop at the first operand: argv is not permuted" "-r" "$("$R" exec echo -r)"
}

# --- detect as the caller (root in CI): every fact against the kernel's own files
group_detect() {
rep=$("$R" detect --json)
st=$?
assert_eq "detect --json exits 0" 0 "$st"
if [ "$jqok" = 0 ]; then
	skip "JSON checks: jq not installed"
else
	assert_eq "detect --json is one valid JSON object" object "$(printf '%s' "$rep" | json type)"
	assert_eq "uid matches id -u" "$(id -u)" "$(printf '%s' "$rep" | json .uid)"
	assert_eq "gid matches id -g" "$(id -g)" "$(printf '%s' "$rep" | json .gid)"
	map=$(awk '{printf "%s%s:%s:%s", s, $1, $2, $3; s=" "}' /proc/self/uid_map)
	assert_eq "uid_map matches /proc/self/uid_map" "$map" "$(printf '%s' "$rep" | json '.uid_map|join(" ")')"
	want=false
	awk '$1 == 0 && $2 != 0 {f=1} END {exit !f}' /proc/self/uid_map && want=true
	assert_eq "rootless agrees with /proc/self/uid_map" "$want" "$(printf '%s' "$rep" | json .rootless)"
	cap=$(awk '/^CapEff:/ {print "0x" $2}' /proc/self/status)
	assert_eq "cap_effective matches CapEff in /proc/self/status" "$cap" "$(printf '%s' "$rep" | json .cap_effective)"
	nnp=$(awk '/^NoNewPrivs:/ {print ($2 ? "true" : "false")}' /proc/self/status)
	assert_eq "no_new_privs matches /proc/self/status" "$nnp" "$(printf '%s' "$rep" | json .no_new_privs)"
	bad=''
	for ns in user cgroup ipc uts net pid mnt time; do
		if [ -e "/proc/self/ns/$ns" ]; then want=$(stat -L -c %i "/proc/self/ns/$ns"); else want=null; fi
		got=$(printf '%s' "$rep" | json ".namespaces.$ns")
		[ "$want" = "$got" ] || bad="$bad $ns:$want/$got"
	done
	assert_eq "namespace inodes match stat -L /proc/self/ns/*" "" "$bad"
	want=$(cat /proc/sys/user/max_user_namespaces)
	assert_eq "user.max_user_namespaces matches /proc/sys" "$want" \
		"$(printf '%s' "$rep" | json '.sysctl."user.max_user_namespaces"')"
	if [ -e /proc/sys/kernel/unprivileged_userns_clone ]; then want=$(cat /proc/sys/kernel/unprivileged_userns_clone); else want=null; fi
	assert_eq "kernel.unprivileged_userns_clone matches /proc/sys (or absent)" "$want" \
		"$(printf '%s' "$rep" | json '.sysctl."kernel.unprivileged_userns_clone"')"
	if [ -e /proc/self/ns/time ]; then want=present; else want=absent; fi
	assert_eq "time namespace support agrees with /proc/self/ns/time" "$want" \
		"$(printf '%s' "$rep" | json .kernel.time_namespaces)"
	if p=$(command -v newuidmap); then
		want="$p $(if [ -u "$p" ]; then echo setuid; else echo none; fi)"
	else
		want="null null"
	fi
	case $want in *none) have getcap && getcap "$p" | grep -q cap_setuid && want="$p file-capability" ;; esac
	assert_eq "newuidmap path and privilege agree with the file" "$want" \
		"$(printf '%s' "$rep" | json '"\(.newuidmap.path) \(.newuidmap.privilege)"')"
	if (: <>/dev/net/tun) 2>/dev/null; then want=true; else want=false; fi
	assert_eq "/dev/net/tun usability agrees with the shell opening it" "$want" \
		"$(printf '%s' "$rep" | json .dev_net_tun.usable)"
	if [ $root = 1 ]; then
		assert_eq "root in the initial user namespace: initial, depth 0" "true 0" \
			"$(printf '%s' "$rep" | json '"\(.userns.initial) \(.userns.depth)"')"
	fi
	if [ "$tb" = 1 ] && toybox unshare -rmn toybox ifconfig lo up 2>/dev/null; then want=true; else want=false; fi
	assert_eq "live trial agrees with toybox unshare -rmn + ifconfig lo up" "$want" "$(printf '%s' "$rep" | json .trial.ok)"
	assert_eq "nothing unreadable with /proc mounted" "" "$(printf '%s' "$rep" | json '.unreadable|join(",")')"
fi
txt=$("$R" detect)
assert_contains "text report leads with rootless" "$(printf '%s\n' "$txt" | sed -n 2p)" "rootless: "
assert_contains "text report shows the trial" "$txt" "trial:"
}

# --- quiet mode exit codes
group_quiet() {
if [ $root = 1 ]; then
	assert_exit "detect -q as root in the initial namespace exits 1" 1 "$R" detect -q
	assert_eq "detect -q prints nothing" "" "$out"
fi
assert_exit "detect -q as an unprivileged user on the host exits 1" 1 as_user "$R" detect -q
if [ "$tb" = 1 ]; then
	assert_exit "detect -q under unshare -r (rootless) exits 0" 0 as_user toybox unshare -r "$R" detect -q
else
	skip "detect -q in a user namespace: toybox not installed"
fi
assert_exit "detect -q with a bad option exits 2" 2 "$R" detect -q --nope
}

# --- rootless: an unprivileged user, in and under user namespaces
group_rootless() {
if [ "$jqok" = 1 ]; then
	rep=$(as_user "$R" detect --json)
	assert_eq "as a user: uid is the user's" "$tuid" "$(printf '%s' "$rep" | json .uid)"
	if [ -d "/run/user/$tuid" ]; then want="/run/user/$tuid run-user"; else want="/tmp/rnsbox-$tuid fallback"; fi
	assert_eq "as a user without XDG_RUNTIME_DIR: runtime dir by the documented rule" "$want" \
		"$(printf '%s' "$rep" | json '"\(.runtime_dir.path) \(.runtime_dir.source)"')"
	if [ ! -d "/run/user/$tuid" ] && [ $root = 1 ]; then
		rm -rf "/tmp/rnsbox-$tuid"
		as_user "$R" detect --json >/dev/null
		assert_eq "detect makes the fallback runtime directory: the user's, mode 0700" "700 $tuid" \
			"$(stat -c '%a %u' "/tmp/rnsbox-$tuid" 2>&1)"
		rm -rf "/tmp/rnsbox-$tuid" && mkdir -m 755 "/tmp/rnsbox-$tuid"
		rep=$(as_user "$R" detect --json)
		assert_contains "a fallback directory not the user's with mode 0700 is refused, saying so" \
			"$(printf '%s' "$rep" | json '"\(.runtime_dir.error) \(.unreadable|join(","))"')" \
			"/tmp/rnsbox-$tuid (from fallback): not a directory of the caller's (uid $tuid) with mode 0700 (owner 0, mode 0755) runtime_dir /tmp/rnsbox-$tuid"
		rm -rf "/tmp/rnsbox-$tuid"
		rep=$(as_user "$R" detect --json)
	fi
	# XDG_RUNTIME_DIR gets the same checks: made if missing, the caller's, mode 0700
	got=$(as_user env XDG_RUNTIME_DIR=/nonexistent/rt "$R" detect --json | json .runtime_dir.error)
	assert_eq "XDG_RUNTIME_DIR that cannot be made: the error is reported" \
		"mkdir /nonexistent/rt (from XDG_RUNTIME_DIR): No such file or directory" "$got"
	got=$(as_user env XDG_RUNTIME_DIR=/tmp "$R" detect --json | json .runtime_dir.error)
	assert_contains "XDG_RUNTIME_DIR=/tmp (everyone's) is refused, saying why" "$got" \
		"/tmp (from XDG_RUNTIME_DIR): not a directory of the caller's (uid $tuid) with mode 0700"
	assert_exit "and newns will not use it" 1 as_user env XDG_RUNTIME_DIR=/tmp "$R" exec -Urm "$R" newns
	assert_contains "naming it" "$out" "/tmp (from XDG_RUNTIME_DIR): not a directory of the caller's"
	if as_user sh -c ': <>/dev/net/tun' 2>/dev/null; then want=true; else want=false; fi
	assert_eq "as a user: /dev/net/tun usability agrees with the shell" "$want" "$(printf '%s' "$rep" | json .dev_net_tun.usable)"
	cap=$(as_user awk '/^CapEff:/ {print "0x" $2}' /proc/self/status)
	assert_eq "as a user: cap_effective matches /proc/self/status" "$cap" "$(printf '%s' "$rep" | json .cap_effective)"
	if [ "$tb" = 1 ]; then
		rep=$(as_user toybox unshare -r "$R" detect --json)
		want=$(as_user toybox unshare -r awk '{printf "%s:%s:%s", $1, $2, $3}' /proc/self/uid_map)
		assert_eq "under unshare -r: uid_map matches the kernel's" "$want" "$(printf '%s' "$rep" | json '.uid_map|join(" ")')"
		assert_eq "under unshare -r: rootless, nested at depth 1" "true false 1" \
			"$(printf '%s' "$rep" | json '"\(.rootless) \(.userns.initial) \(.userns.depth)"')"
		assert_eq "under unshare -r: the user namespace inode differs from the host's" "true" \
			"$(printf '%s' "$rep" | json ".namespaces.user != $(stat -L -c %i /proc/self/ns/user)")"
		rep=$(as_user toybox unshare -r toybox unshare -r "$R" detect --json)
		assert_eq "under two unshare -r as a user: depth 2, uid_map 0:0:1, and rootless all the same" "true 2 0:0:1" \
			"$(printf '%s' "$rep" | json '"\(.rootless) \(.userns.depth) \(.uid_map|join(" "))"')"
		assert_exit "and detect -q there exits 0 (rootless)" 0 as_user "$R" exec -Ur -- "$R" exec -Ur -- "$R" detect -q
		if [ $root = 1 ]; then
			assert_exit "root's two nested exec -Ur: uid 0 is the host's root, detect -q exits 1" 1 \
				"$R" exec -Ur -- "$R" exec -Ur -- "$R" detect -q
			rep=$(as_user "$R" exec -Ur -- "$R" exec -Urm -- sh -c 'toybox mount -t tmpfs none /proc/sys && "$0" detect --json; "$0" detect -q; echo "q=$?"' "$R")
			assert_eq "nested, with /proc/sys hidden: rootless unknown (never a guessed no), -q exits 3" "unknown q=3" \
				"$(printf '%s' "$rep" | head -n1 | json .rootless) $(printf '%s' "$rep" | tail -n1)"
			assert_contains "and the report says why" "$(printf '%s' "$rep" | head -n1 | json '.unreadable|join(",")')" \
				"stat /proc/sys/kernel/overflowuid: No such file or directory: rootless unknown"
		fi
		if as_user toybox unshare -rmn toybox ifconfig lo up 2>/dev/null; then want=true; else want=false; fi
		assert_eq "as a user: live trial agrees with toybox unshare -rmn + ifconfig lo up" "$want" \
			"$(as_user "$R" detect --json | json .trial.ok)"
		# The limit is per user namespace: set to 0 inside a throwaway one, gone with it.
		rep=$(as_user toybox unshare -r sh -c 'echo 0 >/proc/sys/user/max_user_namespaces && exec "$0" detect --json' "$R")
		assert_eq "max_user_namespaces=0: trial fails creating the user namespace with ENOSPC" \
			"false create user namespace 28" \
			"$(printf '%s' "$rep" | json '"\(.trial.ok) \(.trial.failed_step) \(.trial.errno)"')"
		assert_contains "max_user_namespaces=0: the hint names the sysctl" \
			"$(printf '%s' "$rep" | json .trial.hint)" "user.max_user_namespaces is 0"
		assert_contains "max_user_namespaces=0: depth is unknown and says why" \
			"$(printf '%s' "$rep" | json '"\(.userns.depth) \(.unreadable|join(","))"')" "unknown user namespace depth probe"
	else
		skip "user namespace cases: toybox not installed"
	fi
else
	skip "rootless JSON checks: jq not installed"
fi
}

# --- subordinate ids, by name and by numeric uid (root only: edits /etc/subuid, restored by trap)
group_subids() {
if [ $root = 1 ] && [ "$jqok" = 1 ]; then
	save_subids
	{ [ -e "$tmp/subuid.orig" ] && cat "$tmp/subuid.orig"
	  printf '# a comment\n#%5000s\n\n%s:200000:65536\nother:100000:65536\n%s:300000:1000\n%s:9:0\nbroken line\n' \
		'' "$tuser" "$tuid" "$tuser"; } >"$tmp/subuid.new"
	cat "$tmp/subuid.new" >/etc/subuid
	{ [ -e "$tmp/subgid.orig" ] && cat "$tmp/subgid.orig"; printf '%s:400000:65536\n' "$tuser"; } >/etc/subgid
	rep=$(as_user "$R" detect --json)
	assert_eq "subuid ranges by name and by uid, comments (one of 5000 bytes) and others skipped" "200000:65536 300000:1000" \
		"$(printf '%s' "$rep" | json '.subuid|join(" ")')"
	assert_eq "subgid range by user name (subgid is keyed by user, not group)" "400000:65536" "$(printf '%s' "$rep" | json '.subgid|join(" ")')"
	line0=0
	[ -e "$tmp/subuid.orig" ] && line0=$(grep -c '' "$tmp/subuid.orig")
	assert_contains "a zero-count subuid line is reported by line number" \
		"$(printf '%s' "$rep" | json '.unreadable|join(",")')" "/etc/subuid:$((line0 + 7)): malformed line"
	assert_contains "a malformed subuid line is reported by line number" \
		"$(printf '%s' "$rep" | json '.unreadable|join(",")')" "/etc/subuid:$((line0 + 8)): malformed line"
	restore_subids
	# --map-auto when the inside ids run out exactly at 2^32 with subordinate ids left over:
	# an error, not a loop (the next inside id once wrapped to 0); in a mount namespace of
	# its own, with /etc/subuid and /etc/subgid bound over by root's one range
	printf 'root:100000:65536\n' >"$tmp/subroot"
	got=$(toybox unshare -m sh -c 'toybox mount -o rprivate none / && toybox mount -o bind "$1" /etc/subuid &&
		toybox mount -o bind "$1" /etc/subgid || exit 99
		timeout 20 "$0" exec -r --map-users 65536:65536:4294901760 --map-groups 65536:65536:4294901760 --map-auto true 2>&1
		echo "exit $?"' "$R" "$tmp/subroot")
	assert_eq "--map-auto with every inside id taken: says the ranges do not fit, exits 1" \
		"rnsbox: exec: --map-auto: the subordinate ranges in /etc/subuid do not fit: 1 id(s) left over past inside id 4294967295 exit 1" \
		"$(printf '%s' "$got" | words)"
else
	skip "subordinate id cases: need root (they edit /etc/subuid) and jq"
fi
}

# --- output safety: a hostile XDG_RUNTIME_DIR survives --shell eval and --json exactly
group_output() {
hostile=$(printf "/tmp/x y'; touch %s/pwned; echo '\$(id)\`id\`\\\\\"\001end" "$tmp")
sh_out=$(XDG_RUNTIME_DIR=$hostile "$R" detect --shell)
got=$(eval "$sh_out" && printf '%s' "$RNSBOX_RUNTIME_DIR_PATH")
assert_eq "--shell: a hostile value round-trips through eval" "$hostile" "$got"
if [ -e "$tmp/pwned" ]; then not_ok "--shell: eval runs nothing from a value"; else ok "--shell: eval runs nothing from a value"; fi
assert_eq "--shell: every line is one RNSBOX_NAME='...' assignment" "" \
	"$(printf '%s\n' "$sh_out" | grep -v "^RNSBOX_[A-Z0-9_]*='.*'\$")"
if [ "$jqok" = 1 ]; then
	got=$(XDG_RUNTIME_DIR=$hostile "$R" detect --json | json .runtime_dir.path)
	assert_eq "--json: a hostile value round-trips through a JSON parser" "$hostile" "$got"
	got=$(XDG_RUNTIME_DIR=relative/dir "$R" detect --json | json .runtime_dir.source)
	assert_eq "a relative XDG_RUNTIME_DIR is ignored" "false" "$([ "$got" = XDG_RUNTIME_DIR ] && echo true || echo false)"
fi
}

# --- a broken /proc: missing, masked, or holding malformed maps (root: needs a mount namespace)
group_brokenproc() {
if [ "$san" = 1 ]; then
	skip "broken /proc cases: the sanitizer runtime itself needs /proc"
elif [ $root = 1 ] && [ "$tb" = 1 ] && [ "$jqok" = 1 ]; then
	priv='toybox mount -o rprivate none / || exit 99;'
	rep=$(toybox unshare -m sh -c "$priv"' toybox umount -l /proc || exit 99; exec "$0" detect --json' "$R" 2>"$tmp/err")
	st=$?
	assert_eq "without /proc: exits 1 (rootless unknown), no crash" 1 "$st"
	assert_contains "without /proc: says the map could not be read" "$(cat "$tmp/err")" "open /proc/self/uid_map: No such file"
	assert_eq "without /proc: rootless, namespaces and sysctls unknown (not null, which is absent), trial fails at the maps" \
		"unknown unknown unknown unknown write uid_map" \
		"$(printf '%s' "$rep" | json '"\(.rootless) \(.uid_map) \(.namespaces.net) \(.sysctl."user.max_user_namespaces") \(.trial.failed_step)"')"
	assert_eq "without /proc: unreadable names uid_map, gid_map and /proc/sys" "3" \
		"$(printf '%s' "$rep" | json '.unreadable[]' | grep -c -e '/proc/self/uid_map: No such' -e '/proc/self/gid_map: No such' -e '^/proc/sys: No such')"
	got=$(toybox unshare -m sh -c "$priv"' toybox umount -l /proc || exit 99; "$0" detect --shell; "$0" detect' "$R" 2>/dev/null)
	assert_contains "without /proc: --shell says unknown too" "$got" "RNSBOX_SYSCTL_USER_MAX_USER_NAMESPACES='unknown'"
	assert_contains "without /proc: and so does the text report" "$got" "  user.max_user_namespaces: unknown"
	assert_contains "without /proc: lists what it could not read" \
		"$(printf '%s' "$rep" | json '.unreadable|join(",")')" "/proc/self/ns: No such file"
	assert_exit "without /proc: detect -q exits 3 (cannot tell)" 3 \
		toybox unshare -m sh -c "$priv"' toybox umount -l /proc || exit 99; exec "$0" detect -q' "$R"
	assert_eq "without /proc: detect -q says nothing at all" "" "$out"
	# an initramfs: a root holding only the static binary, no /proc, /etc, /tmp or /run
	if [ "$san" = 0 ]; then
		mkdir -p "$tmp/initrd" && cp "$R" "$tmp/initrd/rnsbox"
		rep=$(toybox unshare -m toybox chroot "$tmp/initrd" /rnsbox detect --json 2>/dev/null)
		assert_eq "in a bare root (an initramfs): user and sysctls unknown, the fallback directory's failure said" \
			"unknown unknown mkdir /run/rnsbox (from fallback): No such file or directory" \
			"$(printf '%s' "$rep" | json '"\(.user) \(.sysctl."user.max_mnt_namespaces") \(.runtime_dir.error)"')"
		assert_exit "in a bare root: detect -q exits 3, silent" 3 toybox unshare -m toybox chroot "$tmp/initrd" /rnsbox detect -q
		assert_eq "in a bare root: detect -q says nothing" "" "$out"
	fi
	: >"$tmp/empty"
	rep=$(toybox unshare -m sh -c "$priv"' toybox mount -o bind "$1" /proc/sys/user/max_user_namespaces || exit 99
		exec "$0" detect --json' "$R" "$tmp/empty")
	assert_eq "a masked sysctl reads as unknown and is noted" "unknown sysctl user.max_user_namespaces: not a number (masked?)" \
		"$(printf '%s' "$rep" | json '"\(.sysctl."user.max_user_namespaces") \(.unreadable|join(","))"')"
	# A tmpfs over /proc in a private mount namespace lets the test write the map rnsbox reads.
	for m in '0 1000' '0 1000 0' '0 4294967295 2' '0 4294967296 1' 'x 1 1' '0 1 1 junk' '-1 0 1' '0 0 1
5 6'; do
		out=$(toybox unshare -m sh -c "$priv"' toybox mount -t tmpfs none /proc || exit 99; mkdir /proc/self
			printf "%s\n" "$1" >/proc/self/uid_map; printf "0 0 1\n" >/proc/self/gid_map
			"$0" detect -q; echo "q=$?"; "$0" detect --json >/dev/null; echo "exit=$?"' "$R" "$m" 2>&1 | words)
		case $out in
		"q=3 rnsbox: detect: /proc/self/uid_map:"[12]": "*"exit=1") ok "malformed uid_map '$(printf '%s' "$m" | tr '\n' '|')' is refused by file:line (-q: 3, silent)" ;;
		*) not_ok "malformed uid_map '$m' is refused by file:line" "output: $out" ;;
		esac
	done
	out=$(toybox unshare -m sh -c "$priv"' toybox mount -t tmpfs none /proc || exit 99; mkdir /proc/self
		printf "0 1000 1\n1 100000 65536\n" >/proc/self/uid_map; : >/proc/self/gid_map
		"$0" detect -q; echo "exit=$?"' "$R" 2>&1)
	assert_eq "a well-formed map with 0 -> 1000 is rootless (-q exits 0)" "exit=0" "$out"
else
	skip "broken /proc cases: need root, toybox and jq"
fi
}

# --- an initramfs: the static binary and busybox, booted under qemu with Debian's kernel
group_initramfs() {
# (RNSBOX_TEST_KERNEL, which .ci/run fetches), /proc not mounted until the script does it
kernel=${RNSBOX_TEST_KERNEL:-}
if [ "$san" = 1 ]; then
	skip "initramfs boot: needs the static musl binary"
elif [ -r "$kernel" ] && have qemu-system-x86_64 && have cpio && have gzip && [ "$jqok" = 1 ] &&
	[ -x /bin/busybox ] && ! readelf -l /bin/busybox 2>/dev/null | grep -q interpreter; then
	ird=$tmp/initramfs
	mkdir -p "$ird/bin" && cp /bin/busybox "$ird/bin/" && cp "$R" "$ird/rnsbox"
	cat >"$ird/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
echo "KERNEL $(uname -r)"
/rnsbox detect --json >/json 2>/dev/null; echo "JSONEXIT $?"
echo "JSON $(cat /json)"
/rnsbox detect -q >/q 2>&1; echo "QEXIT $? QOUT [$(cat /q)]"
mkdir /proc && mount -t proc proc /proc
echo "TIMENS $(readlink /proc/self/ns/time) $(/rnsbox exec -T --boottime=3600 sh -c 'readlink /proc/self/ns/time; cut -d" " -f1 /proc/uptime' | tr '\n' ' ')"
poweroff -f
INIT
	chmod 755 "$ird/init"
	(cd "$ird" && find . | cpio -o -H newc 2>/dev/null) | gzip >"$tmp/initramfs.gz"
	timeout 300 qemu-system-x86_64 -m 256 -nographic -no-reboot -kernel "$kernel" -initrd "$tmp/initramfs.gz" \
		-append "console=ttyS0 quiet panic=-1" </dev/null 2>&1 | tr -d '\r' >"$tmp/boot"
	kv=$(sed -n 's/.*KERNEL //p' "$tmp/boot") # after the terminal resets the firmware prints
	rep=$(sed -n 's/^JSON //p' "$tmp/boot")
	assert_eq "initramfs ($kv), no /proc: detect exits 1, rootless and the sysctls unknown" "1 unknown unknown unknown" \
		"$(sed -n 's/^JSONEXIT //p' "$tmp/boot") $(printf '%s' "$rep" | json '"\(.rootless) \(.sysctl."user.max_user_namespaces") \(.sysctl."kernel.apparmor_restrict_unprivileged_userns")"')"
	assert_eq "initramfs: unreadable names both maps and /proc/sys, the runtime directory's failure said" \
		"open /proc/self/uid_map: No such file or directory|open /proc/self/gid_map: No such file or directory|/proc/sys: No such file or directory|mkdir /run/rnsbox (from fallback): No such file or directory" \
		"$(printf '%s' "$rep" | json '(.unreadable | map(select(test("uid_map|gid_map|/proc/sys"))) | join("|")) + "|" + .runtime_dir.error')"
	assert_eq "initramfs: detect -q exits 3 and says nothing" "QEXIT 3 QOUT []" "$(grep '^QEXIT' "$tmp/boot")"
	# shellcheck disable=SC2046 # three words, split on purpose
	set -- $(sed -n 's/^TIMENS //p' "$tmp/boot")
	assert_eq "initramfs: exec -T --boottime=3600 runs the command in the new time namespace (uptime ahead)" \
		"new 1" "$([ -n "${2:-}" ] && [ "$1" != "$2" ] && echo new) $(awk -v u="${3:-0}" 'BEGIN {print (u >= 3600)}')"
else
	skip "initramfs boot: needs qemu-system-x86_64, cpio, jq, a static /bin/busybox (busybox-static) and RNSBOX_TEST_KERNEL, a kernel image (.ci/run fetches Debian's)"
fi
}

# --- seccomp: probes and the trial against a filter the fixture installs
group_seccomp() {
if [ -x "$tmp/seccomp-deny" ] && [ "$jqok" = 1 ]; then
	sd=$tmp/seccomp-deny
	rep=$(as_user "$sd" ENOSYS clone3 open_tree mount_setattr pidfd_open -- "$R" detect --json)
	assert_eq "syscalls failing with ENOSYS are absent" "absent absent absent absent" \
		"$(printf '%s' "$rep" | json '.kernel|"\(.clone3) \(.open_tree) \(.mount_setattr) \(.pidfd_open)"')"
	rep=$(as_user "$sd" EPERM clone3 open_tree mount_setattr pidfd_open -- "$R" detect --json)
	assert_eq "syscalls failing with EPERM are blocked" "blocked blocked blocked blocked" \
		"$(printf '%s' "$rep" | json '.kernel|"\(.clone3) \(.open_tree) \(.mount_setattr) \(.pidfd_open)"')"
	rep=$(as_user "$sd" EPERM unshare -- "$R" detect --json)
	assert_eq "seccomp denying unshare: trial fails creating the user namespace with EPERM" \
		"false create user namespace 1" \
		"$(printf '%s' "$rep" | json '"\(.trial.ok) \(.trial.failed_step) \(.trial.errno)"')"
	assert_contains "seccomp denying unshare: the hint names seccomp" "$(printf '%s' "$rep" | json .trial.hint)" "seccomp filter"
	assert_eq "under the filter: seccomp filter and no_new_privs reported" "filter true" \
		"$(printf '%s' "$rep" | json '"\(.seccomp) \(.no_new_privs)"')"
	rep=$(as_user "$sd" KILL unshare -- "$R" detect --json)
	st=$?
	assert_eq "seccomp killing unshare: detect still reports (exit 0)" 0 "$st"
	assert_eq "seccomp killing unshare: the trial says the child was killed by SIGSYS" "false killed by SIGSYS" \
		"$(printf '%s' "$rep" | json '"\(.trial.ok) \(.trial.error)"')"
else
	skip "seccomp cases: tests/seccomp-deny not built (make check builds it) or no jq"
fi
}

# --- exec: creating namespaces, checked from inside with toybox and /proc
group_exec_ns() {
if [ "$tb" = 1 ]; then
	got=$(as_user "$R" exec -Ur -muinpCT -- toybox stat -L -c '%n %i' /proc/self/ns/user /proc/self/ns/mnt \
		/proc/self/ns/uts /proc/self/ns/ipc /proc/self/ns/net /proc/self/ns/pid /proc/self/ns/cgroup /proc/self/ns/time)
	bad=''
	for ns in user mnt uts ipc net pid cgroup time; do
		in=$(printf '%s\n' "$got" | awk -v f="/proc/self/ns/$ns" '$1 == f {print $2}')
		[ -n "$in" ] && [ "$in" != "$(nsino "$ns")" ] || bad="$bad $ns"
	done
	assert_eq "exec -Ur -muinpCT: every namespace inode differs from the host's (rootless)" "" "$bad"
	got=$(as_user "$R" exec -n -- toybox stat -L -c %i /proc/self/ns/net 2>&1)
	assert_eq "exec -n as a user without -U: unshare fails" 1 "$?"
	assert_contains "exec -n as a user: the error names the call and the cause" "$got" "rnsbox: exec: unshare net: Operation not permitted"
	assert_contains "exec -n as a user: a hint says what would work" "$got" "add -U"
	got=$(as_user "$R" exec -r cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups | words)
	assert_eq "exec -r maps uid and gid to 0 and denies setgroups (kernel's view)" "0 $tuid 1 0 $tgid 1 deny" "$got"
	got=$(as_user "$R" exec -c sh -c 'id -u; id -g')
	assert_eq "exec -c maps the caller to itself" "$tuid $tgid" "$(printf '%s' "$got" | words)"
	got=$(as_user "$R" exec --map-user=root --map-group=7 sh -c 'cat /proc/self/uid_map; id -g' | words)
	assert_eq "exec --map-user=NAME --map-group=GID" "0 $tuid 1 7" "$got"
	assert_exit "exec --map-user=nosuchuser is a usage error" 2 "$R" exec --map-user=nosuchuser true
	assert_contains "exec --map-user: the unknown user is named" "$out" "--map-user: unknown user 'nosuchuser'"
	assert_exit "exec --setgroups=allow with a one-id gid map is refused" 2 "$R" exec -r --setgroups=allow true
	got=$(as_user "$R" exec -rn toybox ifconfig lo)
	assert_contains "exec -rn: loopback is up inside (toybox ifconfig)" "$got" "UP"
	assert_contains "exec -rn: loopback has 127.0.0.1" "$got" "127.0.0.1"
	got=$(as_user "$R" exec -rn --no-lo toybox ifconfig lo)
	case $got in *UP*) not_ok "exec --no-lo leaves loopback down" "$got" ;; *) ok "exec --no-lo leaves loopback down" ;; esac
	got=$(as_user "$R" exec -rn --mount-sys toybox ls /sys/class/net)
	assert_eq "exec --mount-sys: /sys shows the new namespace's links only" "lo" "$got"
	assert_exit "exec --mount-sys without -n is a usage error" 2 "$R" exec -r --mount-sys true
else
	skip "exec namespace cases: toybox not installed"
fi
}

# --- exec: PID 1, reaping, exit status, signals
group_exec_pid1() {
got=$(as_user "$R" exec -rp --mount-proc sh -c 'echo $$; cat /proc/1/comm')
assert_eq "exec -p: the command is PID 2 under rnsbox as PID 1" "2 rnsbox" "$(printf '%s' "$got" | words)"
got=$(as_user "$tmp/unshare" -rpf --mount-proc sh -c 'echo $$')
assert_eq "unshare applet -rpf: the command is PID 1, as util-linux has it" "1" "$got"
assert_exit "exec --mount-proc without -p is a usage error" 2 "$R" exec -r --mount-proc true
assert_contains "exec --mount-proc without -p says why" "$out" "--mount-proc: needs a new PID namespace (-p)"
# --no-init: COMMAND itself is PID 1, as util-linux makes it, with rnsbox waiting outside
got=$(as_user "$R" exec -rp --no-init --mount-proc sh -c 'echo $$; cat /proc/1/comm')
assert_eq "exec -p --no-init: the command is PID 1 (/proc/1/comm of the new proc)" "1 sh" "$(printf '%s' "$got" | words)"
spawn_user "$R" exec -rp --no-init sleep 30 &
ni=$!
wait_for child_of "$ni" sleep >/dev/null
nc=$(child_of "$ni" sleep)
assert_eq "exec -p --no-init: rnsbox waits outside; its child is PID 1 inside (NSpid)" "1" \
	"$(awk '/^NSpid:/ {print $3}' "/proc/$nc/status")"
kill "$ni"
wait "$ni" 2>/dev/null
assert_exit "exec -p --no-init: rnsbox exits with the command's status" 7 as_user "$R" exec -rp --no-init sh -c 'exit 7'
assert_exit "exec --no-init without -p is a usage error" 2 "$R" exec -r --no-init true
assert_contains "naming it" "$out" "--no-init: needs a new PID namespace (-p)"
if [ $root = 1 ] && [ "$tb" = 1 ]; then
	: >"$tmp/empty"
	got=$(toybox unshare -m sh -c 'toybox mount -o rprivate none / && toybox mount -o bind "$1" /proc/version || exit 99
		setpriv --reuid="$2" --regid="$3" --clear-groups "$4" exec -rp --mount-proc true; echo "exit=$?"' \
		sh "$tmp/empty" "$tuid" "$tgid" "$R" 2>&1 | words)
	assert_contains "exec --mount-proc under a masked /proc: the mount is refused" "$got" "mount proc on /proc: Operation not permitted"
	assert_contains "exec --mount-proc under a masked /proc: the hint says why, exit 1" "$got" "masked paths (a container's) prevent it exit=1"
fi
# An orphan that exits must be reaped by PID 1. The command leaves one, which exits once the
# command has exec'd sleep (which never reaps); a checker waits (bounded) for the orphan to
# end, then up to 1 s for it to be reaped: 0, or 1 if it is still a zombie. It then ends the
# sleep (as PID 1 the sleep ignores that, and ends by itself).
cat >"$tmp/zombies.sh" <<'ZOMBIES'
me=$$
o=$(sh -c '(until [ "$(cat /proc/$0/comm)" = sleep ]; do sleep 0.01; done) >/dev/null & echo $!' $me)
(i=0
while [ -e /proc/$o ] && [ "$(cut -d' ' -f3 /proc/$o/stat 2>/dev/null)" != Z ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
i=0
while [ -e /proc/$o ] && [ $i -lt 20 ]; do sleep 0.05; i=$((i + 1)); done
if [ -e /proc/$o ]; then echo 1; else echo 0; fi
kill $me 2>/dev/null) &
exec sleep 4 >/dev/null
ZOMBIES
zombies=". $tmp/zombies.sh"
assert_eq "exec -p: PID 1 reaps orphans, no zombie is left" 0 "$(as_user "$R" exec -rp --mount-proc sh -c "$zombies")"
assert_eq "unshare -pf, the command as PID 1 that never reaps: a zombie stays (the check can fail)" 1 \
	"$(as_user "$tmp/unshare" -rpf --mount-proc sh -c "$zombies")"
# the orphan's parent has exited (and so it is re-parented) once $(...) returns
got=$(as_user "$R" exec --reaper sh -c 'o=$(sh -c "sleep 1 >/dev/null & echo \$!"); awk "/^PPid:/ {print \$2}" /proc/$o/status; echo $PPID')
assert_eq "exec --reaper: orphans are re-parented to rnsbox" 1 "$(printf '%s\n' "$got" | uniq | wc -l)"
assert_exit "exec: the command's own exit status" 7 "$R" exec sh -c 'exit 7'
assert_exit "exec -f: the child's exit status" 7 "$R" exec -f sh -c 'exit 7'
assert_exit "exec -f: 128+N when the command dies of signal N" 137 "$R" exec -f sh -c 'kill -KILL $$'
assert_exit "exec: a missing command exits 127" 127 "$R" exec -f no-such-command-rnsbox
assert_contains "exec: a missing command is named" "$out" "rnsbox: exec: exec no-such-command-rnsbox: No such file or directory"
assert_exit "exec: a non-executable command exits 126" 126 "$R" exec /etc/passwd
for sig in TERM HUP USR1 USR2 WINCH CONT; do
	spawn_user "$R" exec -rpf sh -c "trap 'exit 42' $sig; : >$tmp/flags/$sig; while :; do sleep 0.05; done" &
	pid=$!
	wait_for test -e "$tmp/flags/$sig"
	kill -s "$sig" "$pid"
	wait "$pid"
	assert_eq "exec -p: SIG$sig is forwarded to the command (through PID 1)" 42 "$?"
done
spawn_user "$R" exec --kill-child sh -c 'exec sleep 30' &
pid=$!
wait_for child_of "$pid" sleep >/dev/null
child=$(child_of "$pid" sleep)
kill -KILL "$pid"
wait "$pid" 2>/dev/null
[ -n "$child" ] && wait_for gone "$child"
if [ -n "$child" ] && gone "$child"; then ok "exec --kill-child: the command dies with rnsbox"; else not_ok "exec --kill-child: the command dies with rnsbox" "child=$child"; fi
assert_exit "exec --kill-child=BOGUS is a usage error" 2 "$R" exec --kill-child=BOGUS true
assert_contains "exec: an unknown signal is named" "$out" "--kill-child: unknown signal 'BOGUS'"
}

# --- exec: ranged maps (directly as root, through newuidmap rootless), pins, time offsets
group_exec_maps() {
if [ $root = 1 ]; then
	got=$("$R" exec --map-users=0:100000:65536 --map-groups=100000,0,65536 cat /proc/self/uid_map /proc/self/gid_map | words)
	assert_eq "exec --map-users/--map-groups as root: written directly, both map orders" \
		"0 100000 65536 0 100000 65536" "$got"
	save_subids
	{ [ -e "$tmp/subuid.orig" ] && cat "$tmp/subuid.orig"
	  printf '%s:200000:1000\nother:100000:65536\n%s:201000:1000\n%s:%s:5\n' "$tuser" "$tuser" "$tuser" "$tuid"; } >/etc/subuid
	{ [ -e "$tmp/subgid.orig" ] && cat "$tmp/subgid.orig"; printf '%s:300000:65536\n' "$tuser"; } >/etc/subgid
	got=$(as_user "$R" exec -r --map-auto cat /proc/self/uid_map /proc/self/gid_map | words)
	assert_eq "exec -r --map-auto rootless: newuidmap maps 0 to the caller, merged subordinate ranges above" \
		"0 $tuid 1 1 200000 2000 0 $tgid 1 1 300000 65536" "$got"
	got=$(as_user "$R" exec -c --map-auto cat /proc/self/uid_map | words)
	assert_eq "exec -c --map-auto: the ranges are laid out around the caller's own id" \
		"$tuid $tuid 1 0 200000 $tuid $((tuid + 1)) $((200000 + tuid)) $((2000 - tuid))" "$got"
	got=$(as_user "$tmp/unshare" --map-subids cat /proc/self/uid_map /proc/self/gid_map | words)
	assert_eq "unshare --map-subids (util-linux 2.41): the first subordinate ranges, each id to itself" \
		"200000 200000 1000 300000 300000 65536" "$got"
	got=$(as_user "$R" exec -r --map-users=subids --map-groups=subids cat /proc/self/uid_map | words)
	assert_eq "exec -r --map-users=subids: root is the caller, the first range identity-mapped" \
		"0 $tuid 1 200000 200000 1000" "$got"
	assert_exit "exec --map-subids with a range overlapping an explicit one is a usage error" 2 \
		as_user "$R" exec --map-subids --map-users=0:200500:1 true
	assert_contains "naming the two ranges" "$out" "0:200500:1 overlaps 200000:200000:1000"
	# util-linux's nsenter/env: the target is uid 0 of its own user namespace (a subordinate
	# uid outside), so its environ is the caller's to read only from inside that namespace
	spawn_user env UL_TEST_ENV=inherited "$tmp/unshare" --map-auto --map-current-user --setuid=0 --setgid=0 -- \
		sh -c 'echo $$ >"$0/flags/envpid"; exec sleep 30' "$tmp" &
	epid=$!
	wait_for test -s "$tmp/flags/envpid" && wait_for comm_is "$epid" sleep
	assert_exit "the target's environ is unreadable to the caller outside (the case can fail)" 1 \
		as_user sh -c 'cat "/proc/$0/environ"' "$epid"
	got=$(as_user "$tmp/nsenter" --user --setuid=0 --setgid=0 --target="$epid" --env -- sh -c 'echo "UL_TEST_ENV=${UL_TEST_ENV:-UNSET}"')
	assert_eq "nsenter --env: read once the target's user namespace is joined" UL_TEST_ENV=inherited "$got"
	kill "$epid"
	assert_exit "exec --map-users outside the subordinate ranges: newuidmap refuses" 1 as_user "$R" exec --map-users=0:500000:10 true
	assert_contains "exec: newuidmap's own error is shown" "$out" "newuidmap: uid range [0-10) -> [500000-500010) not allowed"
	assert_exit "exec --map-auto without newuidmap on PATH fails" 1 setpriv --reuid="$tuid" --regid="$tgid" --clear-groups \
		env -i PATH=/nonexistent "$R" exec --map-auto /bin/true
	assert_contains "exec: a missing newuidmap is named" "$out" "newuidmap: not found on PATH"
	mkdir "$tmp/nm" && cp "$(command -v newuidmap)" "$tmp/nm/newuidmap" && chmod 755 "$tmp/nm/newuidmap"
	assert_exit "exec --map-auto with a newuidmap that is not set-user-ID fails" 1 setpriv --reuid="$tuid" --regid="$tgid" \
		--clear-groups env -i PATH="$tmp/nm" "$R" exec --map-auto /bin/true
	assert_contains "exec: says newuidmap lacks its privilege" "$out" "is neither set-user-ID root nor has file capabilities"
	printf '%s:400000:0\n' "$tuser" >>/etc/subuid
	assert_exit "exec --map-auto with a zero-count range of the caller's fails" 1 as_user "$R" exec --map-auto true
	assert_contains "exec: the bad subuid line is named" "$out" "/etc/subuid:"
	restore_subids
else
	skip "ranged map cases: need root (they edit /etc/subuid)"
fi
for bad in 0:100000:10,5:100005:1 0:1:0 0:4294967295:2 0:x:1 1,2 auto,x; do
	case $bad in *,5:*) set -- --map-users=0:100000:10 --map-users=5:100005:1 ;; *) set -- --map-users="$bad" ;; esac
	assert_exit "exec --map-users=$bad is refused before anything is made (exit 2)" 2 "$R" exec "$@" true
done
assert_contains "exec: overlapping ranges are named" \
	"$("$R" exec --map-users=0:100000:10 --map-users=5:100005:1 true 2>&1)" "0:100000:10 overlaps 5:100005:1"
set --
i=0
while [ $i -le 340 ]; do set -- "$@" --map-users="$i:$((100000 + i)):1"; i=$((i + 1)); done
assert_exit "exec: 341 map lines (the kernel takes 340) is a usage error" 2 "$R" exec "$@" true
# A negative offset may not move the clock before zero (ERANGE), so -1 s is safe on any uptime.
got=$(as_user "$R" exec -rT --monotonic=86400 --boottime=-1 cat /proc/self/timens_offsets | words)
assert_eq "exec -T --monotonic --boottime: the offsets of the new time namespace" "monotonic 86400 0 boottime -1 0" "$got"
up_in=$(as_user "$R" exec -rT --boottime=3600 cut -d' ' -f1 /proc/uptime)
up_out=$(cut -d' ' -f1 /proc/uptime)
assert_eq "exec --boottime=3600: uptime inside is an hour ahead" 1 \
	"$(awk -v a="$up_in" -v b="$up_out" 'BEGIN {d = a - b; print (d > 3590 && d < 3610)}')"
assert_exit "exec --monotonic=soon is a usage error" 2 "$R" exec --monotonic=soon true
got=$(as_user "$R" exec -rT --boottime=60 sh -c 'cat /proc/$PPID/comm; stat -L -c %i /proc/self/ns/time /proc/$PPID/ns/time_for_children' | words)
assert_eq "exec -T without -f forks: the command, rnsbox's child, is in the new time namespace" \
	"rnsbox $(printf '%s' "${got#* }" | field 2) $(printf '%s' "${got#* }" | field 2)" "$got"
assert_eq "exec -T: and that namespace is not the host's" new "$([ "${got##* }" != "$(nsino time)" ] && echo new)"
if [ $root = 1 ] && [ "$tb" = 1 ]; then
	mkdir "$tmp/pins"
	got=$(toybox unshare -m sh -c 'toybox mount -o rprivate none / || exit 99
		"$0" exec --net="$1/net" --uts="$1/uts" --pid="$1/pid" -f stat -L -c %i /proc/self/ns/net /proc/self/ns/uts /proc/self/ns/pid
		stat -f -c %T "$1/net" "$1/uts" "$1/pid"; stat -L -c %i "$1/net" "$1/uts" "$1/pid"
		"$0" nsenter --net="$1/net" toybox ifconfig lo | grep -c UP' "$R" "$tmp/pins" | words)
	# shellcheck disable=SC2086 # split the words on purpose
	set -- $got
	assert_eq "exec --net=F --uts=F --pid=F: each is an nsfs pin" "nsfs nsfs nsfs" "$4 $5 $6"
	assert_eq "exec pins: the pinned inodes are the command's namespaces" "$1 $2 $3" "$7 $8 $9"
	assert_eq "exec pins: the namespace outlives the command (nsenter --net=F, lo up)" 1 "${10}"
	mkdir "$tmp/pins2"
	got=$(toybox unshare -m sh -c 'toybox mount -o rprivate none / || exit 99
		ln -s /etc/hostname "$1/link"
		"$0" exec --net="$1/net" --uts="$1/link" true; echo "exit=$?"; ls "$1"; grep -c "$1" /proc/self/mountinfo' \
		"$R" "$tmp/pins2" 2>&1 | words)
	assert_eq "exec: a pin onto a symlink is refused, the pins made before it undone" \
		"rnsbox: exec: --uts=$tmp/pins2/link: is a symbolic link exit=1 link 0" "$got"
	assert_exit "exec: a pin in a missing directory fails" 1 "$R" exec --net=/nonexistent-rnsbox/net true
	assert_contains "exec: the missing pin path is named" "$out" "--net=/nonexistent-rnsbox/net: No such file"
fi
}

# --- nsenter: joining a process's namespaces, checked against /proc/PID/ns of the target
group_nsenter() {
spawn_user "$R" exec -Urmnu -w /tmp sleep 30 &
tpid=$!
spawn_user "$R" exec --map-user=5 --map-group=5 -n sleep 30 &
mpid=$!
spawn_user "$R" exec -rpf --mount-proc sleep 30 &
ppid_=$!
# each runs sleep once its namespaces are made: rnsbox execs it itself, or as PID 1 forks it
wait_for comm_is "$tpid" sleep
wait_for comm_is "$mpid" sleep
wait_for child_of "$ppid_" rnsbox >/dev/null && wait_for child_of "$(child_of "$ppid_" rnsbox)" sleep >/dev/null
ppid_=$(target_of "$ppid_")
got=$(as_user "$R" nsenter -t "$tpid" -U -n stat -L -c %i /proc/self/ns/net)
assert_eq "nsenter -t PID -U -n: in the target's network namespace" "$(stat -L -c %i "/proc/$tpid/ns/net")" "$got"
got=$(as_user "$R" nsenter -t "$tpid" -a stat -L -c %i /proc/self/ns/user /proc/self/ns/mnt /proc/self/ns/net /proc/self/ns/uts | words)
assert_eq "nsenter -a: in every namespace of the target" \
	"$(stat -L -c %i "/proc/$tpid/ns/user" "/proc/$tpid/ns/mnt" "/proc/$tpid/ns/net" "/proc/$tpid/ns/uts" | words)" "$got"
assert_eq "nsenter -a: takes root in the target's user namespace" 0 "$(as_user "$R" nsenter -t "$tpid" -a id -u)"
assert_eq "nsenter -w: the target's working directory" /tmp "$(as_user "$R" nsenter -t "$tpid" -a -w pwd)"
assert_exit "nsenter -a with our own process joins nothing and runs" 0 "$R" nsenter -t $$ -a true
assert_exit "nsenter -U into a map without uid 0: taking root fails" 1 as_user "$R" nsenter -t "$mpid" -U -n id -u
assert_contains "nsenter: the failing setuid is named" "$out" "rnsbox: nsenter: setgid 0: Invalid argument"
assert_eq "nsenter --preserve-credentials keeps our ids (uid 5 inside)" 5 \
	"$(as_user "$R" nsenter -t "$mpid" -U -n --preserve-credentials id -u)"
got=$(as_user "$R" nsenter -t "$ppid_" -U -p sh -c 'echo $$; stat -L -c %i /proc/self/ns/pid' | words)
case $got in
"1 "*|"") not_ok "nsenter -p forks: the command lives in the target's PID namespace" "$got" ;;
*) assert_eq "nsenter -p forks: the command lives in the target's PID namespace" "$(stat -L -c %i "/proc/$ppid_/ns/pid")" "${got#* }" ;;
esac
got=$(as_user "$R" nsenter -F -t "$ppid_" -U -p stat -L -c %i /proc/self/ns/pid /proc/self/ns/pid_for_children | words)
assert_eq "nsenter -F: no fork, only children would enter the PID namespace" \
	"$(nsino pid) $(stat -L -c %i "/proc/$ppid_/ns/pid")" "$got"
got=$(as_user "$tmp/nsenter" -t "$tpid" -U -u stat -L -c %i /proc/self/ns/uts)
assert_eq "nsenter applet (a link named nsenter)" "$(stat -L -c %i "/proc/$tpid/ns/uts")" "$got"
if have nsenter && [ "$(command -v nsenter)" != "$tmp/nsenter" ]; then
	# util-linux 2.38 dies on setgroups EPERM in a setgroups-denied namespace; rnsbox does not.
	assert_eq "rnsbox nsenter and util-linux nsenter land in the same namespace" \
		"$(as_user nsenter -t "$tpid" -U -n --preserve-credentials stat -L -c %i /proc/self/ns/net)" \
		"$(as_user "$R" nsenter -t "$tpid" -U -n --preserve-credentials stat -L -c %i /proc/self/ns/net)"
fi
if [ $root = 1 ] && [ "$tb" = 1 ]; then
	: >"$tmp/netpin"
	got=$(toybox unshare -m sh -c 'toybox mount -o rprivate none / && toybox mount -o bind "/proc/$1/ns/net" "$2" &&
		exec "$3" nsenter --net="$2" stat -L -c %i /proc/self/ns/net' sh "$tpid" "$tmp/netpin" "$R")
	assert_eq "nsenter --net=FILE: joins a namespace pinned by a bind mount" "$(stat -L -c %i "/proc/$tpid/ns/net")" "$got"
fi
assert_exit "nsenter: a missing target fails" 1 "$R" nsenter -t 999999999 -n true
assert_contains "nsenter: the missing target is named" "$out" "--target 999999999: no such process"
assert_exit "nsenter: a namespace with neither file nor target is a usage error" 2 "$R" nsenter -n true
assert_contains "nsenter: says which namespace lacks a source" "$out" "--net: neither a file nor a target process (-t) given"
assert_exit "nsenter --all without a target is a usage error" 2 "$R" nsenter -a true
assert_exit "nsenter --target=abc is a usage error" 2 "$R" nsenter -t abc -n true
assert_exit "nsenter: an unreadable namespace file fails" 1 as_user "$R" nsenter -t 1 -n true
assert_contains "nsenter: the unreadable file is named" "$out" "open /proc/1/ns/net: Permission denied"
assert_exit "nsenter: a file of another type is refused" 1 "$R" nsenter --net=/proc/self/ns/uts true
assert_contains "nsenter: the refused file is named, with a hint" "$out" "setns net (/proc/self/ns/uts): Invalid argument"
# util-linux 2.39-2.41 options of nsenter
got=$(as_user "$R" nsenter -t "$tpid" -U --keep-caps awk '/^CapAmb:/ {print $2}' /proc/self/status)
assert_eq "nsenter --keep-caps: the joined user namespace's capabilities are ambient (/proc/self/status)" 000001ffffffffff "$got"
assert_eq "nsenter without --keep-caps: no ambient capabilities" 0000000000000000 \
	"$(as_user "$R" nsenter -t "$tpid" -U awk '/^CapAmb:/ {print $2}' /proc/self/status)"
spawn_user "$R" exec -Urm sh -c 'mount -t tmpfs t /mnt && mkdir /mnt/inside && : >"$0/flags/wdns" && exec sleep 30' "$tmp" &
wpid=$!
wait_for test -e "$tmp/flags/wdns" && wait_for comm_is "$wpid" sleep
assert_eq "nsenter -W DIR: DIR as the joined mount namespace sees it (a tmpfs only the target has)" /mnt/inside \
	"$(as_user "$R" nsenter -t "$wpid" -U -m -W /mnt/inside pwd)"
assert_exit "nsenter -W with -w is a usage error" 2 "$R" nsenter -t "$wpid" -a -w -W /tmp true
assert_contains "saying so" "$out" "--wdns and --wd exclude each other"
assert_exit "nsenter -W into a directory missing there fails" 1 as_user "$R" nsenter -t "$wpid" -U -m -W /mnt/nowhere true
assert_contains "naming it" "$out" "--wdns: chdir /mnt/nowhere: No such file or directory"
kill "$wpid"
spawn_user env UL_TEST_ENV=from-target "$R" exec -rn sleep 30 &
epid=$!
wait_for comm_is "$epid" sleep
got=$(UL_TEST_ENV=ours as_user "$R" nsenter -t "$epid" -U -n -e sh -c 'echo "${UL_TEST_ENV:-UNSET}"')
assert_eq "nsenter -e: the command gets the target's environment" from-target "$got"
assert_exit "nsenter -e without a target is a usage error" 2 "$R" nsenter -n=/proc/self/ns/net -e true
# --user-parent: a target two user namespaces down; its parent's is the outer rnsbox's
spawn_user "$R" exec -rf -- "$R" exec -rn sleep 30 &
upid=$!
wait_for child_of "$upid" sleep >/dev/null
uchild=$(child_of "$upid" sleep)
got=$(as_user "$R" nsenter -t "$uchild" --user-parent -n stat -L -c %i /proc/self/ns/user /proc/self/ns/net | words)
assert_eq "nsenter --user-parent -n: the parent of the target's user namespace, and its network namespace" \
	"$(stat -L -c %i "/proc/$upid/ns/user" "/proc/$uchild/ns/net" | words)" "$got"
assert_exit "nsenter --user-parent of a process in the initial user namespace fails" 1 "$R" nsenter -t $$ --user-parent true
assert_contains "with the reason" "$out" "it is the initial user namespace, or outside ours"
kill "$upid" "$epid"
# -N/--net-socket (2.41), as util-linux's enter-via-socket: a socket of another namespace
assert_exit "nsenter -N without a target is a usage error" 2 "$R" nsenter -N 3 true
assert_contains "naming it" "$out" "--net-socket: needs a target process (-t)"
assert_exit "nsenter -N at an fd the target lacks fails" 1 "$R" nsenter -t "$tpid" -N 99 true
assert_contains "naming the fd and the cause" "$out" "--net-socket 99: pidfd_getfd $tpid: Bad file descriptor"
assert_exit "nsenter -N at an fd that is no socket fails" 1 "$R" nsenter -t "$tpid" -N 0 true
assert_contains "with a hint" "$out" "hint: that fd is not a socket"
if [ $root = 1 ] && [ -x "$tmp/foreign-socket" ]; then
	"$tmp/foreign-socket" >"$tmp/fsock" &
	fpid=$!
	wait_for test -s "$tmp/fsock"
	read -r _ fino <"$tmp/fsock"
	got=$("$tmp/nsenter" --target "$fpid" --net-socket 3 readlink /proc/self/ns/net)
	assert_eq "nsenter --target P --net-socket 3: the socket's namespace, not the process's" "net:[$fino]" "$got"
	assert_eq "the fixture itself is in another namespace (the check can fail)" 1 \
		"$([ "$(readlink "/proc/$fpid/ns/net")" != "net:[$fino]" ] && echo 1)"
	kill "$fpid"
else
	skip "nsenter --net-socket with a foreign socket: needs root (the fixture unshares a network namespace) and tests/foreign-socket"
fi
# -c/--join-cgroup (2.40): the target's cgroup v2 cgroup, on a cgroup2 or a hybrid host
if [ -n "$made_cg" ]; then
	mkdir -p "$made_cg"
	sh -c 'echo $$ >"$0/cgroup.procs" && exec sleep 30' "$made_cg" &
	cpid=$!
	wait_for comm_is "$cpid" sleep
	got=$("$tmp/nsenter" -t "$cpid" -c -n -p grep "^0::" /proc/self/cgroup)
	assert_eq "nsenter -c: the command is in the target's cgroup (/proc/self/cgroup)" "0::/rnsbox-test-$$" "$got"
	assert_exit "nsenter -c into a cgroup the caller may not write fails" 1 as_user "$R" nsenter -t "$cpid" -c -U true
	assert_contains "naming the file" "$out" "--join-cgroup: open $made_cg/cgroup.procs: Permission denied"
	kill "$cpid"
	wait "$cpid" 2>/dev/null
else
	skip "nsenter -c: needs root and a cgroup v2 hierarchy (to make a cgroup of the test's own)"
fi
# -S follow, -G follow (2.39): the target's ids, as its user namespace sees them (5:5 in mpid's)
assert_eq "nsenter -S follow -G follow: the target's uid and gid in its user namespace" "5 5" \
	"$(as_user "$R" nsenter -t "$mpid" -U -n -S follow -G follow sh -c 'echo $(id -u) $(id -g)')"
if [ $root = 1 ]; then
	setpriv --reuid=4321 --regid=8765 --clear-groups sleep 30 &
	fpid=$!
	wait_for comm_is "$fpid" sleep
	assert_eq "nsenter -S follow -G follow as root: the target's uid and gid (/proc/PID/status)" \
		"$(awk '/^Uid:/ {u = $2} /^Gid:/ {g = $2} END {print u, g}' "/proc/$fpid/status")" \
		"$("$R" nsenter -t "$fpid" -m -S follow -G follow sh -c 'echo $(id -u) $(id -g)')"
	assert_eq "nsenter -S follow alone: the target's uid, our gid" "4321 0" \
		"$("$R" nsenter -t "$fpid" -m -S follow sh -c 'echo $(id -u) $(id -g)')"
	kill "$fpid"
fi
assert_exit "nsenter -S follow without a target is a usage error" 2 "$R" nsenter -m=/proc/self/ns/mnt -S follow true
assert_contains "naming it" "$out" "-S/-G follow: needs a target process (-t)"
# --target=PID:INODE (2.42): the inode of the target's pidfd (pidfs, Linux 6.9), here from the fixture
if ino=$("$tmp/pidfd-ino" "$tpid") && [ "${ino#* }" = pidfs ]; then
	ino=${ino% *}
	assert_eq "nsenter -t PID:INODE of that process joins it" "$(stat -L -c %i "/proc/$tpid/ns/net")" \
		"$(as_user "$R" nsenter -t "$tpid:$ino" -U -n stat -L -c %i /proc/self/ns/net)"
	assert_exit "nsenter -t PID:INODE of another process (a reused pid) is refused" 1 \
		as_user "$R" nsenter -t "$tpid:$((ino + 1))" -U -n true
	assert_contains "saying what the pid's pidfd is now" "$out" "--target $tpid:$((ino + 1)): its pidfd's inode is $ino"
else
	skip "nsenter -t PID:INODE: no pidfs here (pidfd-ino: $ino)"
fi
for bad in "$tpid:" "$tpid:0" "$tpid:x" ":5" "$tpid:5:6"; do
	assert_exit "nsenter -t '$bad' is a usage error" 2 "$R" nsenter -t "$bad" -n true
done
assert_contains "naming the form" "$out" "--target: '$tpid:5:6' is not PID or PID:INODE"
kill "$tpid" "$mpid" "$ppid_" 2>/dev/null
wait
}

# --- util-linux 2.39-2.43 options of unshare (the applet and exec), as its own tests run them
group_unshare_new() {
got=$(UL_TEST_ENV=foo "$tmp/unshare" --clear-env /bin/sh -c 'echo "${UL_TEST_ENV:-CLEARED}"; wc -c </proc/$$/environ')
assert_eq "unshare --clear-env: the command gets no environment at all (/proc/PID/environ is empty)" "CLEARED 0" "$(printf '%s' "$got" | words)"
got=$(UL_TEST_ENV1=foo UL_TEST_ENV2=bar "$tmp/unshare" --whitelist-env UL_TEST_ENV1 /bin/sh -c 'echo "${UL_TEST_ENV1}${UL_TEST_ENV2}"')
assert_eq "unshare --whitelist-env VAR: that variable only" foo "$got"
got=$(A=1 B=2 C=3 D=4 "$R" exec --whitelist-env=C,A --whitelist-env=PATH -- env | sort | words)
assert_eq "exec --whitelist-env: comma lists, repeatable; the rest dropped" "A=1 C=3 PATH=$PATH" "$got"
assert_exit "exec --whitelist-env with an empty list is a usage error" 2 "$R" exec --whitelist-env= true
assert_contains "naming it" "$out" "--whitelist-env '': an empty list"
hn=$(cat /proc/sys/kernel/hostname)
got=$(as_user "$R" exec -r --hostname=box.example -- sh -c 'cat /proc/sys/kernel/hostname; stat -L -c %i /proc/self/ns/uts' | words)
assert_eq "exec --hostname=NAME: set in a new UTS namespace (implied -u), rootless" "box.example" "${got% *}"
assert_eq "exec --hostname: the UTS namespace is a new one" new "$([ "${got#* }" != "$(nsino uts)" ] && echo new)"
assert_eq "exec --hostname: the host's name is untouched" "$hn" "$(cat /proc/sys/kernel/hostname)"
assert_exit "exec --hostname longer than 64 bytes is a usage error" 2 "$R" exec -ru \
	--hostname=12345678901234567890123456789012345678901234567890123456789012345 true
assert_contains "naming it" "$out" "longer than 64 bytes"
# --forward-signals (2.42) implies --fork; the command gets SIGTERM sent to unshare, with and
# without --kill-child, and exits with it (the peer's test_sigreceive, here a trap)
for kc in "" --kill-child; do
	rm -f "$tmp/flags/fwd"
	spawn_user "$tmp/unshare" --user --map-root-user --pid --mount-proc --fork --forward-signals $kc \
		sh -c "trap 'exit 15' TERM; : >$tmp/flags/fwd; while :; do sleep 0.05; done" </dev/null &
	pid=$!
	wait_for test -e "$tmp/flags/fwd"
	kill -TERM "$pid"
	wait "$pid"
	assert_eq "unshare --forward-signals $kc: SIGTERM reaches the command, which exits 15" 15 "$?"
done
got=$(as_user "$R" exec -r --forward-signals sh -c 'echo $PPID; cat /proc/$PPID/comm' | words)
assert_contains "exec --forward-signals forks: the command's parent is rnsbox" "$got" " rnsbox"
# The default command (2.42): $SHELL, else the shell of the uid's passwd entry, else /bin/sh,
# as a login shell ($0 is -NAME), as util-linux runs it
echo 'echo "$0"' >"$tmp/dollar0"
assert_eq "exec without COMMAND: \$SHELL, as a login shell (\$0 -sh)" -sh "$(as_user env SHELL=/bin/sh "$R" exec -r <"$tmp/dollar0")"
rsh=$(awk -F: '$3 == 0 {print $7; exit}' /etc/passwd)
assert_eq "without \$SHELL: uid 0's passwd shell (-r), $rsh" "-${rsh##*/}" "$(as_user "$R" exec -r <"$tmp/dollar0" 2>/dev/null)"
if ! awk -F: '$3 == 4242 {f = 1} END {exit !f}' /etc/passwd; then
	assert_eq "without \$SHELL, for a uid without a passwd entry: /bin/sh" -sh \
		"$(as_user "$R" exec --map-user=4242 --map-group=4242 <"$tmp/dollar0")"
fi
assert_eq "the unshare applet likewise" -sh "$(as_user env SHELL=/bin/sh "$tmp/unshare" -r <"$tmp/dollar0")"
if [ $root = 1 ]; then
	assert_eq "nsenter without COMMAND likewise" "-${rsh##*/}" "$(env -u SHELL "$R" nsenter -m=/proc/self/ns/mnt <"$tmp/dollar0")"
fi
assert_exit "a \$SHELL that cannot run: 127, naming it" 127 env SHELL=/nonexistent/sh "$R" exec -U
assert_contains "naming it" "$out" "exec /nonexistent/sh: No such file or directory"
# --map-users=all, --map-groups=all (2.40): each id of the caller's namespace to itself
# (rootless, in a namespace where the user is root: the one id there is)
got=$(as_user "$R" exec -r "$R" exec --map-users=all --map-groups=all cat /proc/self/uid_map /proc/self/gid_map | words)
assert_eq "exec --map-users=all --map-groups=all, nested rootless: the outer map's ids, to themselves" "0 0 1 0 0 1" "$got"
if [ $root = 1 ]; then
	got=$("$tmp/unshare" --map-users=all --map-groups=all -r cat /proc/self/uid_map /proc/self/gid_map | words)
	assert_eq "unshare --map-users=all --map-groups=all -r as root: every id (-r's root is one of them)" \
		"$(awk '{print $1, $1, $3}' /proc/self/uid_map /proc/self/gid_map | words)" "$got"
fi
assert_exit "--map-users=all with --map-user of another id is a usage error (rnsbox does not punch holes)" 2 \
	as_user "$R" exec --map-users=all --map-user=5 true
assert_contains "naming the overlap" "$out" "--map-users: 5:$(as_user id -u):1 overlaps"
# --owner=UID:GID (2.42): root makes the user namespace, maps it and gives it to UID, who
# may then join it (util-linux nsenter, needing CAP_SYS_ADMIN there); no one else may
if [ $root = 1 ]; then
	"$R" exec --owner="$tuid:$tgid" --map-users="0:$tuid:1" --map-groups="0:$tgid:1" sleep 30 &
	opid=$!
	wait_for comm_is "$opid" sleep
	assert_eq "exec --owner: the maps root wrote for it (/proc/PID/uid_map, gid_map)" "0 $tuid 1 0 $tgid 1" \
		"$(cat "/proc/$opid/uid_map" "/proc/$opid/gid_map" | words)"
	assert_eq "exec --owner: the owner joins the user namespace (util-linux nsenter)" "0 $(stat -L -c %i "/proc/$opid/ns/user")" \
		"$(as_user nsenter -t "$opid" -U sh -c 'echo $(id -u) $(stat -L -c %i /proc/self/ns/user)' 2>&1)"
	assert_exit "exec --owner: another user may not join it" 1 setpriv --reuid=4242 --regid=4242 --clear-groups \
		nsenter -t "$opid" -U --preserve-credentials true
	kill "$opid"
	"$R" exec --map-users="0:$tuid:1" --map-groups="0:$tgid:1" sleep 30 &
	opid=$!
	wait_for comm_is "$opid" sleep
	assert_exit "without --owner, root's: the user may not join it (the check can fail)" 1 as_user nsenter -t "$opid" -U true
	kill "$opid"
fi
assert_exit "exec --owner rootless fails" 1 as_user "$R" exec --owner=0:0 true
assert_contains "naming it and the cause" "$out" "--owner 0:0: Operation not permitted"
assert_exit "exec --owner with a name is a usage error (numbers, as util-linux)" 2 "$R" exec --owner=root:0 true
# --load-interp (2.41; Linux 6.7): an interpreter registered in the new user namespace's own
# binfmt_misc, mounted in the new /proc: a file with magic RNSB runs through cat there only
printf 'RNSBinterpreted\n' >"$tmp/magic"
chmod +x "$tmp/magic"
got=$(as_user "$R" exec -rpf --load-interp=":rnsbox-test:M::RNSB::/bin/cat:" sh -c \
	'"$0"; cat /proc/sys/fs/binfmt_misc/rnsbox-test' "$tmp/magic" 2>&1 | words)
case $got in
*"mount binfmt_misc"*|*"binfmt_misc of its own"*) skip "exec --load-interp: this kernel has no binfmt_misc per user namespace: $got" ;;
*) assert_eq "exec --load-interp, rootless: the file runs through the interpreter; the kernel's entry says so" \
	"RNSBinterpreted enabled interpreter /bin/cat flags: offset 0 magic 524e5342" "$got" ;;
esac
assert_eq "outside, the file is no binary: cat does not print it (the check can fail)" "" "$("$tmp/magic" 2>/dev/null)"
assert_eq "and the caller's binfmt_misc has no such entry" absent \
	"$([ -e /proc/sys/fs/binfmt_misc/rnsbox-test ] || echo absent)"
assert_eq "exec --mount-binfmt=DIR: an empty binfmt_misc there (register, status)" "register status" \
	"$(as_user "$R" exec -r --mount-binfmt="$tmp/flags" ls "$tmp/flags" | words)"
assert_exit "exec --load-interp with a malformed registration fails" 1 as_user "$R" exec -rpf --load-interp=:bad true
assert_contains "naming the file written and the cause" "$out" "--load-interp: write /proc/sys/fs/binfmt_misc/register: Invalid argument"
assert_exit "exec --mount-binfmt without DIR and without -p is a usage error" 2 "$R" exec -r --mount-binfmt true
}

# --- --dry-run: the steps printed, in order, are those a real run makes (strace), and none is done
# The steps of a plan and of a real run, as lines "STEP ARG" to compare: unshares (their
# flags), files opened to be written, mounts, the hostname, chroot and chdir, and the exec
# of the command; the plan's other steps (idmap, fork, netlink...) have no counterpart.
plan_steps() {
	awk '$1 == "unshare" {sub(/\)$/, "", $NF); print "unshare", $NF} $1 == "write" || $1 == "create" {sub(/:$/, "", $2); print "open", $2}
		$1 == "mount" && $3 == "on" {print "mount", $2, $4} $1 == "uts" {print "sethostname", $3} $1 == "chroot" || $1 == "chdir" {print $1, $2}
		$1 == "exec" {n = split($2, p, "/"); print "exec", p[n]}' | pids_out
}
# /proc/PID/ as /proc/P/: a dry run does its child's steps in its own process
pids_out() { sed 's,/proc/[0-9][0-9]*/,/proc/P/,g'; }
strace_steps() {
	awk -F'"' 'function hex(s,  n, i) { for (i = 3; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return n }
		NR == 1 {next} /^[0-9]+ +unshare\(/ {sub(/.*unshare\(/, ""); sub(/\).*/, ""); print "unshare", $0; next}
		/openat\(/ {match($3, /0x[0-9a-f]+/); f = hex(substr($3, RSTART, RLENGTH)); if (f % 4 || int(f / 64) % 2) print "open", $2; next}
		/ mount\(/ {print "mount", $2, $4; next} /sethostname\(/ {print "sethostname", $2; next}
		/ (chroot|chdir)\(/ {d = $2; sub(/^[0-9]+ +/, ""); sub(/\(.*/, ""); print $0, d; next}
		/execve\(.*= 0$/ {n = split($2, p, "/"); print "exec", p[n]; exit}' | pids_out
}
# dry_vs_strace NAME WHO ARG...: the plan of rnsbox ARG... with --dry-run, and what strace
# sees a real run make (WHO: root or user), are the same steps
dry_vs_strace() {
	name=$1 who=$2
	shift 2
	if [ "$who" = root ]; then run=""; else run=as_user; fi
	sub=$1
	shift
	$run "$R" "$sub" --dry-run "$@" >"$tmp/plan" 2>&1
	$run strace -f -qq -X raw -e trace=unshare,mount,sethostname,openat,execve,chroot,chdir -e signal=none \
		-o "$tmp/flags/st-$who" "$R" "$sub" "$@" >/dev/null
	got=$(plan_steps <"$tmp/plan" | words)
	assert_eq "$name ($who): the plan's steps are those strace sees a real run make, in order" \
		"$(strace_steps <"$tmp/flags/st-$who" | words)" "$got"
}
group_dryrun() {
if have strace; then
	for who in root user; do
		[ $who = root ] && [ $root = 0 ] && continue
		if [ $who = root ]; then run=""; else run=as_user; fi
		$run "$R" exec --dry-run -rm -p --mount-proc --hostname=planned -w /tmp true >"$tmp/plan" 2>&1
		$run strace -f -qq -X raw -e trace=unshare,mount,sethostname,openat,execve,chroot,chdir -e signal=none \
			-o "$tmp/flags/st-$who" "$R" exec -rm -p --mount-proc --hostname=planned -w /tmp true
		got=$(plan_steps <"$tmp/plan" | words)
		assert_eq "exec --dry-run ($who): the steps of the plan are those strace sees a real run make, in order" \
			"$(strace_steps <"$tmp/flags/st-$who" | words)" "$got"
		assert_contains "and there are such steps (the check can fail)" "$got" "unshare 0x34020000 open /proc/self/setgroups open /proc/self/uid_map open /proc/self/gid_map mount none /"
	done
else
	skip "exec --dry-run against a real run: needs strace"
fi
got=$(as_user "$R" exec --dry-run -r -n -p --mount-proc --hostname=planned sh -c 'true' | words)
assert_contains "exec --dry-run: each step with what it is, loopback as the ip command would do it" "$got" \
	"idmap uid 0 $tuid 1: the caller's own, one id idmap gid 0 $tgid 1: the caller's own, one id unshare user,uts,net,pid,mnt (clone flags 0x74020000)"
assert_contains "and the network and the command line" "$got" "netlink ip link set lo up"
assert_contains "and the command line last" "$got" "exec sh -c true"
# nothing is done: no pin, no file, no command run, the hostname the same
hn=$(cat /proc/sys/kernel/hostname)
rm -f "$tmp/dry-ran"
as_user "$R" exec --dry-run -r --net="$tmp/dry-pin" --hostname=dry touch "$tmp/dry-ran" >"$tmp/plan"
assert_eq "exec --dry-run: exits 0 and does nothing: no pin file, the command not run" "absent absent" \
	"$([ -e "$tmp/dry-pin" ] && echo present || echo absent) $([ -e "$tmp/dry-ran" ] && echo present || echo absent)"
assert_contains "the pin is planned: the file created, then the bind mount" "$(words <"$tmp/plan")" \
	"create $tmp/dry-pin mount /proc/"
assert_eq "and the hostname is the host's" "$hn" "$(cat /proc/sys/kernel/hostname)"
# --json: one JSON object a step, the same steps in the same order
as_user "$R" exec --dry-run --json -rn -p --mount-proc true >"$tmp/plan.json"
as_user "$R" exec --dry-run -rn -p --mount-proc true >"$tmp/plan.txt"
assert_eq "exec --dry-run --json: JSON lines (jq), the steps of the text plan" "$(awk '{print $1}' "$tmp/plan.txt" | words)" \
	"$(jq -r .step <"$tmp/plan.json" | words)"
assert_exit "exec --json without --dry-run is a usage error" 2 "$R" exec --json true
assert_contains "saying so" "$out" "--json: goes with --dry-run"
assert_exit "exec --dry-run with a bad option is a usage error all the same" 2 "$R" exec --dry-run --setgroups=maybe true
# newns and userns-handle: the same code path, the same steps, nothing made
d=$tmp/dryns
mkdir -p "$d/src" "$d/dst"
chmod 755 "$d"
if have strace; then
	if [ "${RNSBOX_TEST_NS-}" = 1 ]; then
		dry_vs_strace "newns --dry-run, rnsbox in the namespaces" root newns -t net,uts "$d/n" "$d/u"
		assert_contains "and there are such steps" "$got" "open $d/n open $d/u unshare 0x44000000 mount /proc/self/ns/net $d/n"
		"$R" newns --rm "$d/n" "$d/u"
		dry_vs_strace "newns --dry-run, a child in them" root newns -t net,user --map-users=0:100000:65536 \
			--map-groups=0:100000:65536 "$d/n" "$d/u"
		assert_contains "and there are such steps" "$got" "unshare 0x50000000 open /proc/P/uid_map open /proc/P/gid_map mount /proc/P/ns/net $d/n"
		"$R" newns --rm "$d/n" "$d/u"
		dry_vs_strace "userns-handle --dry-run" root userns-handle --map-users=0:100000:1000 --map-groups=0:100000:1000 --path "$d/h"
		assert_contains "and there are such steps" "$got" "open /proc/P/uid_map open /proc/P/gid_map open $d/h mount /proc/self/fd/"
		"$R" newns --rm "$d/h"
	else
		skip "newns's and root's userns-handle --dry-run against a real run: they need root and toybox"
	fi
	dry_vs_strace "userns-handle --dry-run" user userns-handle --map-users="0:$tuid:1" --map-groups="0:$tgid:1" -- true
	assert_contains "and there are such steps" "$got" "open /proc/P/uid_map open /proc/P/setgroups open /proc/P/gid_map exec true"
else
	skip "newns's and userns-handle's --dry-run against a real run: needs strace"
fi
if [ "${RNSBOX_TEST_NS-}" = 1 ]; then
	pins0=$(pins)
	hel=$(helpers)
	nh=''
	have pasta && nh=--net-helper=pasta
	# shellcheck disable=SC2086 # $nh: one option or none
	got=$("$R" newns --dry-run --veth dryh0:dryn0 --addr dryn0=10.251.0.2/24 --route default,via=10.251.0.1 $nh drytest 2>&1)
	assert_eq "newns --dry-run: exits 0; no pin, no veth, no /etc/netns/NAME, no helper, no mount" \
		"0 absent absent absent $hel $pins0" "$? $([ -e /run/netns/drytest ] && echo present || echo absent) \
$(has_dev dryh0 && echo present || echo absent) $([ -e /etc/netns/drytest ] && echo present || echo absent) $(helpers) $(pins)"
	assert_contains "the veth pair, the address and the route as the ip commands that make them" "$(echo "$got" | words)" \
		"netlink ip link add dryh0 up type veth peer dryn0 netns (the new one) netlink ip link set dryn0 up netlink ip address add 10.251.0.2/24 dev dryn0 netlink ip route add default via 10.251.0.1 mount /proc/"
	if [ -n "$nh" ]; then
		assert_contains "the helper's command line, then its device configured in the namespace" "$(echo "$got" | words)" \
			"exec $(command -v pasta) -q -I tap0"
		assert_contains "its device configured in the namespace" "$(echo "$got" | words)" \
			"netlink ip link set tap0 up mtu 65520 netlink ip address add 10.0.2.100/24 dev tap0 netlink ip route add default via 10.0.2.2 dev tap0"
		assert_contains "and resolv.conf for ip netns exec" "$got" "create  /etc/netns/drytest/resolv.conf"
	fi
	"$R" newns "$d/keep" >/dev/null
	assert_exit "newns --dry-run at a live pin: refused, as a real run is" 1 "$R" newns --dry-run "$d/keep"
	assert_contains "saying so" "$out" "already a live net namespace pin"
	got=$("$R" newns --rm --dry-run "$d/keep" | words)
	assert_eq "newns --rm --dry-run: the pin unmounted and removed, in the plan only" "umount $d/keep unlink $d/keep net:[$(stat -L -c %i "$d/keep")]" \
		"$got $(nsfs_at "$d/keep")"
	"$R" newns --rm "$d/keep"
	"$R" newns --dry-run --json -t net,uts "$d/n" "$d/u" >"$tmp/plan.json"
	"$R" newns --dry-run -t net,uts "$d/n" "$d/u" >"$tmp/plan.txt"
	assert_eq "newns --dry-run --json: JSON lines (jq), the steps of the text plan" "$(awk '{print $1}' "$tmp/plan.txt" | words)" \
		"$(jq -r .step <"$tmp/plan.json" | words)"
	"$R" userns-handle --dry-run --map-users=0:100000:1000 --map-groups=0:100000:1000 --path "$d/h" --idmap "$d/src:$d/dst" \
		--print >"$tmp/plan"
	assert_eq "userns-handle --dry-run: exits 0; no pin, no id-mapped mount" "0 absent 0" \
		"$? $([ -e "$d/h" ] && echo present || echo absent) $(awk -v p="$d/dst" '$5 == p' /proc/self/mountinfo | wc -l)"
	assert_contains "--print, the pin, and the id-mapped mount in three steps" "$(words <"$tmp/plan")" \
		"print uid=0:100000:1000;gid=0:100000:1000, and the maps as the kernel reports them create $d/h mount /proc/self/fd/5 on $d/h type - (bind) mount a copy of $d/src (open_tree) mount the copy's attributes 0x100000 set mount the copy moved to $d/dst"
else
	skip "newns --dry-run and userns-handle --dry-run --path leaving nothing: they need root and toybox"
fi
assert_exit "newns --dry-run --list is a usage error" 2 "$R" newns --dry-run --list
assert_contains "saying so" "$out" "--dry-run: for making and removing pins"
assert_exit "newns --dry-run --shared is a usage error" 2 "$R" newns --dry-run --shared "$d/s" acquire
assert_exit "newns --json without --list or --dry-run is a usage error" 2 "$R" newns --json "$d/n"
assert_exit "userns-handle --json without --dry-run is a usage error" 2 "$R" userns-handle --json --map-users=0:0:1 --map-groups=0:0:1 --fd 3
assert_exit "newns --dry-run fails where a real run would: rootless, no CAP_SYS_ADMIN" 1 as_user "$R" newns --dry-run "$d/n"
assert_contains "saying so" "$out" "CAP_SYS_ADMIN"
}

# --- the applets exactly as util-linux (rnsbox exec keeps its own ways; README's table)
group_applets() {
if have ip; then
	assert_eq "unshare -rn leaves loopback down, as util-linux; exec -rn brings it up" "0 1" \
		"$(as_user "$tmp/unshare" -rn ip -o link show lo | grep -c '[<,]UP[,>]') $(as_user "$R" exec -rn ip -o link show lo | grep -c '[<,]UP[,>]')"
else
	skip "unshare -n and loopback: needs ip (iproute2)"
fi
# term_usr1 WAIT CMD...: CMD (unshare or exec with a fork) runs a command that exits 15 on
# SIGTERM and 10 on SIGUSR1. CMD gets SIGTERM; then, once CMD has ended (WAIT=gone: it
# forwarded the signal) or holds SIGTERM pending (WAIT=pending: blocked and never taken),
# or after the bounded wait, the command gets SIGUSR1. CMD's exit status: 15 when it
# forwarded SIGTERM, 10 when not.
term_usr1() {
	rm -f "$tmp/flags/tu"
	until_=$1
	shift
	spawn_user "$@" sh -c "trap 'exit 15' TERM; trap 'exit 10' USR1; echo \$\$ >$tmp/flags/tu.n; mv $tmp/flags/tu.n $tmp/flags/tu
		while :; do sleep 0.05; done" </dev/null &
	tu=$!
	wait_for test -s "$tmp/flags/tu"
	kill -TERM "$tu"
	if [ "$until_" = gone ]; then
		wait_for gone "$tu"
	else
		wait_for sh -c 'v=$(awk "/^ShdPnd:/ {print \$2}" "/proc/$1/status") && [ $((0x$v & 0x4000)) != 0 ]' sh "$tu"
	fi
	kill -USR1 "$(cat "$tmp/flags/tu")" 2>/dev/null
	wait "$tu"
}
term_usr1 pending "$tmp/unshare" -r --fork
assert_eq "unshare --fork: SIGTERM is not forwarded (util-linux blocks it)" 10 "$?"
term_usr1 gone "$tmp/unshare" -r --forward-signals
assert_eq "unshare --forward-signals: SIGTERM is forwarded" 15 "$?"
term_usr1 gone "$R" exec -r --fork
assert_eq "rnsbox exec --fork forwards SIGTERM anyway" 15 "$?"
if have strace; then
	last() { strace -q -e trace=none -o "$tmp/strace" "$@" >/dev/null 2>&1; tail -n 1 "$tmp/strace"; }
	assert_eq "unshare -f: the command's death by SIGTERM is unshare's own, as util-linux re-raises it" \
		"+++ killed by SIGTERM +++" "$(last "$tmp/unshare" -rf sh -c 'kill -TERM $$')"
	assert_eq "nsenter -p: likewise" "+++ killed by SIGTERM +++" "$(last "$tmp/nsenter" -t $$ -p sh -c 'kill -TERM $$')"
	assert_eq "rnsbox exec -f exits 128+N instead" "+++ exited with 143 +++" "$(last "$R" exec -rf sh -c 'kill -TERM $$')"
	assert_eq "unshare -f: a command's exit status stays its own" "+++ exited with 7 +++" "$(last "$tmp/unshare" -rf sh -c 'exit 7')"
else
	skip "applets and death by signal: needs strace (the observer of how a process ended)"
fi
got=$("$tmp/unshare" --help)
assert_contains "unshare --help is the applet's own usage" "$got" "usage: unshare [OPTION]..."
case $got in *"--mount-proc needs -p"* | *"rnsbox stays PID 1"*) not_ok "unshare --help does not carry exec's -p and --mount-proc rules" "$got" ;;
*"--mount-proc needs no -p"*) ok "unshare --help does not carry exec's -p and --mount-proc rules" ;;
*) not_ok "unshare --help says --mount-proc needs no -p" "$got" ;; esac
}

# --- rootlesskit's sysfs and cgroup handling: --mount-sys keeps /sys/fs/cgroup, --evacuate-cgroup2
group_cgroups() {
# sys_cg: inside, the type of /sys/fs/cgroup and whether its mount sits on the new /sys (the last)
sys_cg='stat -f -c %T /sys/fs/cgroup; awk '"'"'$5 == "/sys" {s = $1} $5 == "/sys/fs/cgroup" && $2 == s {k = 1} END {print k ? "on-new-sys" : "hidden"}'"'"' /proc/self/mountinfo'
if [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" != sysfs ] && [ -d /sys/fs/cgroup ] && [ "$tb" = 1 ]; then
	want="$(stat -f -c %T /sys/fs/cgroup) on-new-sys"
	assert_eq "exec -rn --mount-sys: /sys/fs/cgroup is moved onto the new sysfs, not hidden (root)" "$want" \
		"$("$R" exec -rn --mount-sys sh -c "$sys_cg" | words)"
	assert_eq "exec -rn --mount-sys: the same, rootless" "$want" "$(as_user "$R" exec -rn --mount-sys sh -c "$sys_cg" | words)"
	got=$(as_user "$R" exec -rn --mount-sys sh -c 'toybox ls /sys/class/net; cat /sys/fs/cgroup/cgroup.controllers /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null | head -c 1 | wc -c')
	assert_eq "exec --mount-sys: the new sysfs (lo only) and a readable cgroup2 below it" "lo 1" "$(printf '%s' "$got" | words)"
else
	skip "exec --mount-sys and /sys/fs/cgroup: the host has no cgroup mount there (or no toybox)"
fi
assert_exit "exec --evacuate-cgroup2=a/b is a usage error" 2 "$R" exec -r --evacuate-cgroup2=a/b true
assert_contains "naming it" "$out" "--evacuate-cgroup2 'a/b': not a cgroup name"
assert_exit "exec --evacuate-cgroup2=.. is a usage error" 2 "$R" exec -r --evacuate-cgroup2=.. true
if [ -n "$made_cg" ]; then
	mkdir -p "$made_cg"
	# in_cg DIR COMMAND...: run COMMAND in cgroup DIR (a cgroup directory, or nothing runs)
	in_cg() { [ -f "$1/cgroup.procs" ] && sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$@"; }
	# before the suite enables a controller for it: the controllers the cgroup has, maybe none
	want=$(cat "$made_cg/cgroup.controllers")
	got=$(in_cg "$made_cg" "$R" exec -r --evacuate-cgroup2=init -- sh -c 'grep "^0::" /proc/self/cgroup
		echo "sub=$(cat /sys/fs/cgroup/cgroup.subtree_control)"' 2>&1 | words)
	assert_eq "exec --evacuate-cgroup2 with the controllers that reach the cgroup ('$want'; none is no error)" \
		"0::/init sub=$want" "$got"
	cg_remove "$made_cg"
	# A controller the suite's cgroups can have: the first that cgroup2's root offers; enabled
	# for the root's children only while the suite runs (made_ctl, undone by the trap).
	ctl=''
	read -r ctl _ <"$cg2/cgroup.controllers"
	if [ -n "$ctl" ] && ! grep -qw "$ctl" "$cg2/cgroup.subtree_control"; then
		echo "+$ctl" >"$cg2/cgroup.subtree_control" && made_ctl=$ctl
	fi
	mkdir -p "$made_cg"
	got=$(in_cg "$made_cg" "$R" exec -r --evacuate-cgroup2=init -- sh -c 'grep "^0::" /proc/self/cgroup
		echo "procs=$(cat /sys/fs/cgroup/cgroup.procs) sub=$(cat /sys/fs/cgroup/cgroup.subtree_control)"' | words)
	assert_eq "exec --evacuate-cgroup2=init: the command in init, the namespace's root cgroup empty, $ctl enabled (root)" \
		"0::/init procs= sub=$ctl" "$got"
	assert_eq "the host sees the same: the cgroup empty, its controllers delegated, init made" "|$ctl|$ctl|init" \
		"$(cat "$made_cg/cgroup.procs")|$(cat "$made_cg/cgroup.subtree_control")|$(cat "$made_cg/cgroup.controllers")|$(cd "$made_cg" && ls -d init)"
	cg_remove "$made_cg"
	# rootless: a cgroup delegated to the test user (its directory and files chowned)
	mkdir "$made_cg" && chown "$tuid" "$made_cg" "$made_cg/cgroup.procs" "$made_cg/cgroup.subtree_control" "$made_cg/cgroup.threads"
	got=$(in_cg "$made_cg" setpriv --reuid="$tuid" --regid="$tgid" --clear-groups env -i PATH="$PATH" \
		"$R" exec -r --evacuate-cgroup2=init -- sh -c 'grep "^0::" /proc/self/cgroup
		echo "sub=$(cat /sys/fs/cgroup/cgroup.subtree_control)"; mkdir /sys/fs/cgroup/mine && cat /sys/fs/cgroup/mine/cgroup.controllers' | words)
	assert_eq "exec --evacuate-cgroup2 rootless, in a delegated cgroup: the command may make a cgroup with $ctl" \
		"0::/init sub=$ctl $ctl" "$got"
	cg_remove "$made_cg"
	# half delegated: the directory the user's, its cgroup.procs root's: NAME is made, the move fails
	mkdir "$made_cg" && chown "$tuid" "$made_cg"
	got=$(in_cg "$made_cg" setpriv --reuid="$tuid" --regid="$tgid" --clear-groups env -i PATH="$PATH" \
		"$R" exec -r --evacuate-cgroup2=init true 2>&1)
	assert_contains "exec --evacuate-cgroup2 where rnsbox cannot move: fails naming the move" "$got" \
		"--evacuate-cgroup2: move rnsbox ("
	assert_eq "and removes the cgroup NAME it made" "" "$(cd "$made_cg" && ls -d init 2>/dev/null)"
	cg_remove "$made_cg"
	before=$(ls "$cg2")
	got=$(as_user "$R" exec -r --evacuate-cgroup2=init true 2>&1)
	assert_contains "exec --evacuate-cgroup2 in a cgroup not delegated to the user fails, naming the step and cause" \
		"$got" "rnsbox: exec: --evacuate-cgroup2: mkdir /sys/fs/cgroup/init: Permission denied"
	assert_contains "with a hint" "$got" "hint: the cgroup must be delegated"
	assert_eq "and leaves no cgroup behind" "$before" "$(ls "$cg2")"
else
	skip "exec --evacuate-cgroup2: needs root and a cgroup v2 hierarchy (to make and delegate cgroups of its own)"
fi
}

# --- exec: socket activation, --block-fd, --json-status-fd, the terminal
group_exec_fds() {
if [ -x "$tmp/listen-fds" ]; then
	got=$(as_user "$tmp/listen-fds" self "$R" exec -r sh -c 'readlink /proc/self/fd/3; echo "$LISTEN_PID $$ $LISTEN_FDS"')
	assert_eq "LISTEN_FDS: the listening socket reaches the command at fd 3" "$(echo "$got" | sed -n 1p)" "$(echo "$got" | sed -n 2p)"
	line=$(echo "$got" | sed -n 3p)
	assert_eq "LISTEN_PID is set to the command's pid (no fork: rnsbox's), LISTEN_FDS kept" \
		"$(echo "$line" | field 2) 1" "$(echo "$line" | field 1) $(echo "$line" | field 3)"
	got=$(as_user "$tmp/listen-fds" self "$R" exec -rp sh -c 'readlink /proc/self/fd/3; echo "$LISTEN_PID $$"' | sed -n '2,3p' | words)
	case $got in "socket:"*" 2 2") ok "LISTEN_PID is 2 when the command runs under rnsbox as PID 1" ;; *) not_ok "LISTEN_PID is 2 when the command runs under rnsbox as PID 1" "$got" ;; esac
	got=$(as_user "$tmp/listen-fds" self "$R" exec -r -f sh -c 'echo "$LISTEN_PID $$"' | sed -n 2p)
	assert_eq "LISTEN_PID follows the fork (-f)" "$(echo "$got" | field 2)" "$(echo "$got" | field 1)"
	got=$(as_user "$tmp/listen-fds" 4242 "$R" exec -r sh -c 'echo "$LISTEN_PID"' | sed -n 2p)
	assert_eq "LISTEN_PID naming another process is left alone" 4242 "$got"
else
	skip "LISTEN_FDS cases: tests/listen-fds not built (make check builds it)"
fi
rm -f "$tmp/fifo" && mkfifo "$tmp/fifo" && chmod 666 "$tmp/fifo"
: >"$tmp/status" && chmod 666 "$tmp/status"
spawn_user "$R" exec -rn --block-fd 4 --json-status-fd 5 sh -c 'echo ran; exit 3' 4<>"$tmp/fifo" 5>"$tmp/status" >"$tmp/ran" &
bpid=$!
wait_for test -s "$tmp/status"
if [ "$(uname -m)" = x86_64 ]; then
	bchild=$(target_of "$bpid") # --json-status-fd forks: the child waits
	wait_for blocked_on "$bchild" 4
	assert_eq "--block-fd: rnsbox waits in read on the fd, and the command has not run" "yes " \
		"$(blocked_on "$bchild" 4 && echo yes) $(cat "$tmp/ran" 2>/dev/null)"
else
	assert_eq "--block-fd: the command waits for the byte" "" "$(cat "$tmp/ran" 2>/dev/null)"
fi
if [ "$jqok" = 1 ]; then
	spid=$(head -n 1 "$tmp/status" | json .pid)
	assert_eq "--json-status-fd: the start line's pid is in the new network namespace (from /proc)" \
		"$(stat -L -c %i "/proc/$spid/ns/net" 2>&1)" "$(head -n 1 "$tmp/status" | json .namespaces.net)"
	assert_eq "--json-status-fd: its user namespace is the new one" \
		"$(stat -L -c %i "/proc/$spid/ns/user" 2>&1)" "$(head -n 1 "$tmp/status" | json .namespaces.user)"
fi
echo go >"$tmp/fifo"
wait "$bpid"
assert_eq "--block-fd: after the byte the command runs, its status is rnsbox's" "ran 3" "$(cat "$tmp/ran") $?"
assert_eq "--json-status-fd: the exit line" '{"exit-code": 3}' "$(sed -n 2p "$tmp/status")"
got=$("$R" exec -rn --json-status-fd 5 no-such-command-rnsbox 5>&1 2>/dev/null)
assert_eq "--json-status-fd: a command that cannot start: pid -1 and the message last, no exit line" \
	'2 {"pid": -1, "message": "rnsbox: exec: exec no-such-command-rnsbox: No such file or directory"}' \
	"$(printf '%s\n' "$got" | wc -l) $(printf '%s\n' "$got" | tail -n 1)"
got=$("$R" exec -rn --json-status-fd 5 --mount-proc true 5>&1 2>/dev/null)
assert_eq "--json-status-fd: a usage error writes nothing on the fd" "" "$got"
if [ "$jqok" = 1 ]; then
	bad=$(printf 'no-such-\377\303-rnsbox')
	got=$("$R" exec -rn --json-status-fd 5 "$bad" 5>&1 2>/dev/null | tail -n 1)
	assert_eq "--json-status-fd: bytes of a message that are not UTF-8 are escaped" \
		'{"pid": -1, "message": "rnsbox: exec: exec no-such-\u00ff\u00c3-rnsbox: No such file or directory"}' "$got"
	assert_exit "--json-status-fd: and jq reads the line as JSON" 0 sh -c 'printf "%s" "$0" | jq -e .message' "$got"
fi
assert_exit "--block-fd on a closed fd is a usage error" 2 "$R" exec --block-fd 99 true
assert_contains "--block-fd: the bad fd is named" "$out" "--block-fd: 99 is not an open file descriptor"
if have script; then
	# the command says when its trap is set (a flag file), the feeder then types the key
	# and keeps the terminal open until the command has ended
	printf '%s\n' 'trap "echo got-INT; : >$0.done; exit 42" INT' \
		'awk '\''{print ($5 == $8) ? "foreground" : "background"}'\'' /proc/self/stat' \
		': >"$0.ready"; while :; do sleep 0.05; done' >"$tmp/tty.sh"
	rm -f "$tmp/flags/t"*
	(wait_for test -e "$tmp/flags/t.ready"; printf '\003'; wait_for test -e "$tmp/flags/t.done") |
		script -qefc "$R exec -f sh $tmp/tty.sh $tmp/flags/t" /dev/null >"$tmp/tty.out"
	st=$?
	got=$(tr -d '\r' <"$tmp/tty.out")
	assert_contains "terminal: the command gets the terminal's foreground" "$got" "foreground"
	assert_eq "terminal: ^C reaches the command once, and its status comes back" "1 42" \
		"$(printf '%s\n' "$got" | grep -c got-INT) $st"
	sed 's/INT/QUIT/g' "$tmp/tty.sh" >"$tmp/tty-quit.sh"
	rm -f "$tmp/flags/t"*
	(wait_for test -e "$tmp/flags/t.ready"; printf '\034'; wait_for test -e "$tmp/flags/t.done") |
		script -qefc "$R exec -f sh $tmp/tty-quit.sh $tmp/flags/t" /dev/null >"$tmp/tty.out"
	assert_eq "terminal: ^\\ (SIGQUIT) reaches the command" "42 1" "$? $(tr -d '\r' <"$tmp/tty.out" | grep -c got-QUIT)"
	got=$(script -qefc "$R exec -f true; awk '{print (\$5 == \$8) ? \"back\" : \"lost\"}' /proc/self/stat" /dev/null | tr -d '\r')
	assert_eq "terminal: the foreground is given back when the command ends" back "$got"
else
	skip "terminal cases: script (util-linux) not installed"
fi
}

# --- exec: mounts, root, ids
group_exec_mounts() {
host_prop=$(prop)
# --map-back: set up as root of the new user namespace (a new proc, the hostname), then run
# COMMAND as the caller, in a nested user namespace mapping the caller's ids onto root's
mkdir -p "$tmp/mb" && chmod 777 "$tmp/mb"
got=$(as_user "$R" exec --map-back -pf --mount-proc --hostname=mapped sh -c \
	'id -u; id -g; cat /proc/sys/kernel/hostname /proc/1/comm /proc/self/uid_map; : >"$0/file"' "$tmp/mb" | words)
assert_eq "exec --map-back: COMMAND runs as the caller (id), the mounts and hostname made as root are there" \
	"$tuid $tgid mapped rnsbox $tuid 0 1" "$got"
assert_eq "exec --map-back: a file COMMAND makes on a host directory is the caller's" "$tuid:$tgid" \
	"$(stat -c %u:%g "$tmp/mb/file" 2>&1)"
assert_eq "exec --map-back: no capabilities left to COMMAND" 0000000000000000 \
	"$(as_user "$R" exec --map-back -m awk '/^CapEff:/ {print $2}' /proc/self/status)"
assert_exit "exec --map-back with -S is a usage error" 2 "$R" exec --map-back -S 0 true
got=$(as_user "$R" exec -rm sh -c 'awk '\''$5 == "/" {o=""; for (i = 7; $i != "-"; i++) o = o $i " "; print o}'\'' /proc/self/mountinfo')
assert_eq "exec -m: / is private by default (no shared or master tag)" "" "$got"
got=$(as_user "$R" exec -rm --propagation=shared sh -c 'awk '\''$5 == "/" {print $7}'\'' /proc/self/mountinfo')
assert_contains "exec -m --propagation=shared: / is shared" "$got" "shared:"
got=$(as_user "$R" exec -rm --propagation=unchanged sh -c 'awk '\''$5 == "/" {o=""; for (i = 7; $i != "-"; i++) o = o $i " "; print o}'\'' /proc/self/mountinfo')
assert_eq "exec -m --propagation=unchanged: / keeps the host's propagation" "$host_prop" "$got"
assert_exit "exec --propagation=bogus is a usage error" 2 "$R" exec -m --propagation=bogus true
assert_eq "exec -w: the command starts in DIR" /tmp "$("$R" exec -w /tmp pwd)"
mkdir "$tmp/root" && cp "$R" "$tmp/root/rnsbox"
if [ "$san" = 1 ]; then
	skip "exec -r -R: a dynamically linked build cannot run in a root without its libc"
else
	assert_exit "exec -r -R: the command runs chrooted" 0 "$R" exec -r -R "$tmp/root" /rnsbox --version
fi
assert_exit "exec -w to a missing directory fails" 1 "$R" exec -w /nonexistent-rnsbox true
assert_contains "exec -w: the missing directory is named" "$out" "chdir /nonexistent-rnsbox: No such file"
if [ $root = 1 ]; then
	assert_eq "exec -S -G as root: the command runs as the user" "$tuid $tgid" "$("$R" exec -S "$tuid" -G "$tgid" sh -c 'echo $(id -u) $(id -g)')"
	# ids from 2^31 up (a 32-bit long made them negative, read as "not given": make check-cross
	# runs these on armhf too)
	assert_eq "exec -S/-G 3000000000 and 4294967294 (the highest id)" "3000000000 3000000000 4294967294" \
		"$("$R" exec -S 3000000000 -G 3000000000 sh -c 'echo $(id -u) $(id -g)') $("$R" exec -S 4294967294 id -u)"
	assert_exit "exec -S 4294967295 ((uid_t)-1 means no change) is a usage error" 2 "$R" exec -S 4294967295 true
	assert_contains "naming the option" "$out" "--setuid: unknown user '4294967295'"
	assert_eq "exec -c as uid 3000000000 maps it to itself" "3000000000 3000000000 1" \
		"$(setpriv --reuid=3000000000 --regid=3000000000 --clear-groups "$R" exec -c cat /proc/self/uid_map | words)"
	assert_eq "exec --map-user=3000000000 --map-group=3000000000" "3000000000 0 1 3000000000 0 1" \
		"$("$R" exec --map-user=3000000000 --map-group=3000000000 cat /proc/self/uid_map /proc/self/gid_map | words)"
fi
assert_eq "exec --map-user=1 without --keep-caps: no capabilities after exec" 0000000000000000 \
	"$(as_user "$R" exec --map-user=1 --map-group=1 cat /proc/self/status | eff)"
got=$(as_user "$R" exec --map-user=1 --map-group=1 --keep-caps cat /proc/self/status | eff)
case $got in 0000000000000000|'') not_ok "exec --keep-caps: the capabilities survive exec" "$got" ;; *) ok "exec --keep-caps: the capabilities survive exec" ;; esac

# --root with --mount-proc: chroot first, then the new proc at DIR/proc, as util-linux does;
# the root is toybox with the libraries it needs, so toybox ps reads the new proc
tbroot=$tmp/tbroot
if [ "$tb" = 1 ] && mkdir -p "$tbroot/proc" "$tbroot/bin" && cp "$(command -v toybox)" "$tbroot/bin/toybox" &&
	for l in $(ldd "$(command -v toybox)" 2>/dev/null | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i}'); do
		cp --parents "$l" "$tbroot" || exit 1
	done; then
	got=$(as_user "$R" exec -rp --root="$tbroot" --mount-proc /bin/toybox ps -o pid,args 2>&1)
	assert_eq "exec -rp --root=DIR --mount-proc: ps inside lists PID 1 (rnsbox) and itself" "1 2" \
		"$(printf '%s\n' "$got" | awk '$2 ~ /rnsbox$|toybox$/ {print $1}' | words)"
	got=$(as_user "$tmp/unshare" -rpf --root="$tbroot" --mount-proc /bin/toybox ps -o pid,args 2>&1)
	assert_eq "unshare -rpf --root=DIR --mount-proc: ps inside lists itself as PID 1" "1 toybox ps -o pid,args" \
		"$(printf '%s\n' "$got" | sed -n 2p | words)"
else
	skip "--root with --mount-proc: needs toybox and ldd"
fi
if [ $root = 1 ]; then
	assert_eq "unshare -m --mount-proc (no -p) mounts a new proc over /proc, as util-linux" 2 \
		"$("$tmp/unshare" -m --mount-proc awk '$5 == "/proc" && / - proc / {n++} END {print n + 0}' /proc/self/mountinfo)"
	# a later bare -u or -n keeps the FILE of an earlier --uts=FILE (util-linux does)
	mkdir "$tmp/keep"
	"$R" exec --uts="$tmp/keep/u" -u true && "$R" exec --net="$tmp/keep/n" -rn true
	assert_eq "exec --uts=F -u and --net=F -rn: both pins are kept" "uts net" \
		"$(awk -v d="$tmp/keep/" 'index($5, d) == 1 && / - nsfs / {sub(/:.*/, "", $4); print $4}' /proc/self/mountinfo | words)"
	assert_eq "nsenter --net=F -n -t PID joins F, not the target's" "$(stat -L -c %i "$tmp/keep/n")" \
		"$("$R" nsenter -t $$ --net="$tmp/keep/n" -n stat -L -c %i /proc/self/ns/net)"
	umount "$tmp/keep/u" "$tmp/keep/n"
	printf 'data\n' >"$tmp/keep/data"
	assert_exit "exec --net=FILE over a file with data fails" 1 "$R" exec --net="$tmp/keep/data" true
	assert_contains "naming it and why" "$out" "--net=$tmp/keep/data: exists and is neither empty nor a namespace pin"
	assert_eq "the file is untouched and nothing is mounted on it" "data " \
		"$(cat "$tmp/keep/data") $(awk -v p="$tmp/keep/data" '$5 == p' /proc/self/mountinfo)"
	if have strace; then
		assert_exit "a failing setgroups fails exec -G" 1 strace -f -qq -o /dev/null -e inject=setgroups:error=EINVAL "$R" exec -G 0 true
		assert_contains "and is named setgroups, not setgid" "$out" "rnsbox: exec: setgroups: Invalid argument"
		assert_exit "nsenter -r (the target's root) failing" 1 strace -f -qq -o /dev/null -e inject=chroot:error=EPERM "$R" nsenter -t $$ -a -r true
		assert_contains "names the target's root" "$out" "rnsbox: nsenter: chroot /proc/$$/root: Operation not permitted"
		assert_exit "nsenter -w (the target's cwd) failing" 1 strace -f -qq -o /dev/null -e inject=fchdir:error=EACCES "$R" nsenter -t $$ -a -w true
		assert_contains "names the target's cwd" "$out" "rnsbox: nsenter: chdir /proc/$$/cwd: Permission denied"
	else
		skip "injected setgroups, chroot and fchdir failures: strace not installed"
	fi
fi
# nsenter -p forks the command, and its stdin stays the caller's
spawn_user "$R" exec -rpf sleep 30 &
spid=$!
wait_for child_of "$spid" rnsbox >/dev/null
assert_eq "echo hi | nsenter -t PID -U -p cat: the forked command reads stdin" hi \
	"$(echo hi | as_user "$R" nsenter -t "$(target_of "$spid")" -U -p cat 2>&1)"
kill "$spid"
wait "$spid" 2>/dev/null
# a message longer than the line keeps its start and its errno; the operand loses its middle
long=/nonexistent-rnsbox
while [ ${#long} -lt 1500 ]; do long=$long/0123456789abcdef0123456789abcdef; done
assert_exit "exec -w with a 1500-byte missing path fails" 1 "$R" exec -w "$long" true
case $out in
"rnsbox: exec: chdir /nonexistent-rnsbox/0123"*...*"0123456789abcdef: No such file or directory") ok "the message keeps its start and the errno, eliding the middle" ;;
*) not_ok "the message keeps its start and the errno, eliding the middle" "$out" ;;
esac
assert_exit "exec --copy-up of a file fails" 1 "$R" exec -r --copy-up=/etc/passwd true
assert_contains "saying it is not a directory" "$out" "--copy-up /etc/passwd: Not a directory"
if have valgrind && [ $root = 1 ] && [ "$san" = 0 ]; then
	# the helper's result crosses a pipe whole: no byte of it may be uninitialised
	valgrind -q --trace-children=no --log-file="$tmp/vg" "$R" exec --uts="$tmp/keep/vg" true
	assert_eq "valgrind: the helper sends no uninitialised byte of its result" "" "$(grep -A2 uninitialised "$tmp/vg")"
	umount "$tmp/keep/vg"
else
	skip "valgrind case: needs valgrind, root and the musl build"
fi
}

# --- newns: pins, their network, removal, listing (root: in the suite's own namespaces)
group_newns() {
if [ "${RNSBOX_TEST_NS-}" != 1 ]; then
	skip "newns cases: they need root and toybox (the suite then runs in namespaces of its own)"
else
	d=$tmp/nn
	mkdir "$d"
	base=$(pins)
	p=$("$R" newns "$d/n1")
	assert_eq "newns PATH: exits 0 and prints PATH" "0 $d/n1" "$? $p"
	assert_eq "newns PATH: PATH is an nsfs mount of a network namespace (mountinfo)" \
		"net:[$(stat -L -c %i "$d/n1")]" "$(nsfs_at "$d/n1")"
	if [ "$(stat -L -c %i "$d/n1")" != "$(nsino net)" ]; then ok "newns: the namespace is new, the caller's is unchanged"
	else not_ok "newns: the namespace is new, the caller's is unchanged"; fi
	assert_eq "newns: no process is left" 0 "$(procs)"
	if have nsenter; then
		assert_contains "newns: loopback is up inside (nsenter --net=, toybox ifconfig)" \
			"$(nsenter --net="$d/n1" toybox ifconfig lo)" "UP LOOPBACK RUNNING"
	fi
	"$R" newns --no-lo "$d/n2" >/dev/null
	case $(nsenter --net="$d/n2" toybox ifconfig lo 2>&1) in *UP*) not_ok "newns --no-lo: loopback stays down" ;; *) ok "newns --no-lo: loopback stays down" ;; esac
	"$R" newns --no-lo --up lo "$d/n3" >/dev/null
	assert_contains "newns --up DEV: the device is up" "$(nsenter --net="$d/n3" toybox ifconfig lo)" "UP LOOPBACK"
	sh -c 'exec 3<"$1"; echo >"$2"; sleep 3' sh "$d/n3" "$tmp/held" &
	hold=$!
	i=0
	while [ ! -s "$tmp/held" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	assert_exit "newns --rm of a pin held open (umount says EBUSY): retried, then detached" 0 "$R" newns --rm "$d/n3"
	assert_eq "and the pin and its file are gone" "" "$(nsfs_at "$d/n3")$(ls "$d/n3" 2>/dev/null)"
	kill "$hold" 2>/dev/null
	wait "$hold" 2>/dev/null
	got=$("$R" newns --list | grep " $d/n")
	assert_eq "newns --list: type, inode, parent (none), owner and path of each pin (the inodes as stat sees them)" \
		"net $(stat -L -c %i "$d/n1") 0 $(nsino user) $d/n1 net $(stat -L -c %i "$d/n2") 0 $(nsino user) $d/n2" \
		"$(echo "$got" | words)"
	if [ "$jqok" = 1 ]; then
		assert_eq "newns --list --json: the same as JSON" "net $(stat -L -c %i "$d/n2")" \
			"$("$R" newns --list --json | json ".[] | select(.path == \"$d/n2\") | \"\(.type) \(.inode)\"")"
	fi
	assert_exit "newns --rm PATH...: exits 0" 0 "$R" newns --rm "$d/n1" "$d/n2"
	assert_eq "newns --rm: no mount and no file left" "$clean" "$(leftovers "$d")"
	assert_exit "newns --rm: a missing path is success (idempotent)" 0 "$R" newns --rm "$d/n1"
	# printing the paths is part of the operation: when it fails, what was made is undone
	assert_exit "newns with standard output full fails" 1 sh -c '"$0" newns -t net,uts "$1" "$2" >/dev/full' "$R" "$d/f1" "$d/f2"
	assert_contains "naming the write and its cause" "$out" "write the paths to standard output: No space left on device"
	assert_eq "and undoes both pins" "$clean" "$(leftovers "$d")"
	mkfifo "$tmp/fifo"
	# shellcheck disable=SC2094 # on purpose: fd 6 writes to a FIFO whose only reader is closed
	got=$( { exec 5<>"$tmp/fifo" 6>"$tmp/fifo" 5<&-; "$R" newns -t net "$d/p1" 2>&1 >&6; echo "exit $?"; } )
	assert_eq "newns into a pipe nobody reads: EPIPE (no death by SIGPIPE), the pin undone" \
		"rnsbox: newns: write the paths to standard output: Broken pipe exit 1 $clean" "$(printf '%s' "$got" | words) $(leftovers "$d")"
	assert_exit "userns-handle --path with standard output full fails" 1 sh -c \
		'"$0" userns-handle --map-users 0:1000:1 --map-groups 0:1000:1 --path "$1" >/dev/full' "$R" "$d/u1"
	assert_eq "and undoes the pin" "$clean" "$(leftovers "$d")"

	# default paths
	mkdir -m 700 "$tmp/xdg"
	p=$(XDG_RUNTIME_DIR=$tmp/xdg "$R" newns)
	case $p in "$tmp/xdg/netns/net-"????????-????-????-????-????????????) ok "newns: the default path is \$RUNTIME_DIR/netns/net-UUID" ;; *) not_ok "newns: the default path is \$RUNTIME_DIR/netns/net-UUID" "$p" ;; esac
	assert_eq "newns: the netns directory is 0755 and a shared mount" "755 shared" \
		"$(stat -c %a "$tmp/xdg/netns") $(awk -v p="$tmp/xdg/netns" '$5 == p {print ($7 ~ /^shared:/) ? "shared" : $7}' /proc/self/mountinfo)"
	q=$(XDG_RUNTIME_DIR=$tmp/xdg "$R" newns)
	if [ -n "$q" ] && [ "$q" != "$p" ]; then ok "newns: two calls get two names"; else not_ok "newns: two calls get two names" "$p" "$q"; fi
	"$R" newns --rm "$p" "$q"
	umount "$tmp/xdg/netns"

	# every type that can be joined, one call (a user namespace with its maps)
	set -- user uts ipc mnt cgroup time net
	got=$("$R" newns --type "$(echo "$*" | tr ' ' ,)" --map-users 0:100000:65536 --map-groups 0:200000:65536 \
		"$d/user" "$d/uts" "$d/ipc" "$d/mnt" "$d/cgroup" "$d/time" "$d/net")
	assert_eq "newns --type (all seven): exits 0, prints the paths in order" "0 $d/user $d/uts" "$? $(echo "$got" | head -n 2 | words)"
	bad=''
	for t in "$@"; do case $(nsfs_at "$d/$t") in "$t:["*) ;; *) bad="$bad $t" ;; esac; done
	assert_eq "newns --type: each pin is an nsfs mount of its type (mountinfo)" "" "$bad"
	assert_eq "newns --type: no process is left (the child is gone)" 0 "$(procs)"
	assert_eq "newns --type user,...,net: the user namespace has its maps; joined with the net pin, uid 0" \
		"0 0 100000 65536 0 200000 65536" \
		"$("$R" nsenter --user="$d/user" --net="$d/net" sh -c 'id -u; cat /proc/self/uid_map /proc/self/gid_map' | words)"
	"$R" newns --rm "$d/user" "$d/uts" "$d/ipc" "$d/mnt" "$d/cgroup" "$d/time" "$d/net"
	assert_eq "newns --rm of all seven: nothing left" "$clean" "$(leftovers "$d")"
	assert_exit "newns --type pid is refused (a pinned PID namespace without its PID 1 takes no process)" 2 \
		"$R" newns --type pid "$d/pid"
	assert_contains "with a hint to keep a process in it" "$out" "hint: keep a process in it instead"
	assert_exit "newns --type user without maps is refused" 2 "$R" newns --type user "$d/user"
	assert_contains "saying it could not be joined" "$out" "a user namespace without uid and gid maps cannot be joined"
	assert_eq "and neither made a file" "$clean" "$(leftovers "$d")"
	"$R" exec -pf --pid="$d/pid" true
	assert_exit "nsenter into a PID namespace whose PID 1 has ended fails" 1 "$R" nsenter --pid="$d/pid" true
	assert_contains "saying why fork failed" "$out" "hint: the PID namespace joined has no PID 1 any more"
	umount "$d/pid" && rm "$d/pid"
	# --rm returns once the veth pair is gone (the kernel deletes it with the namespace,
	# asynchronously), so the same names can be used again at once
	bad=0
	for i in 1 2 3 4 5; do
		"$R" newns --veth rvh0:eth0 "$d/v" >/dev/null || bad=$((bad + 1))
		"$R" newns --rm "$d/v"
	done
	assert_eq "newns --veth then --rm, five times in a row: every create succeeds" 0 "$bad"
	if have ip; then assert_eq "and no end of the pair is left" "" "$(ip -o link show rvh0 2>/dev/null)"; fi
	sh=$tmp/shared
	mkdir "$sh" && toybox mount -t tmpfs none "$sh" && toybox mount -o shared none "$sh" && mkdir "$sh/a" "$sh/b"
	"$R" newns "$sh/b/n" >/dev/null
	assert_exit "newns --type mnt on a shared mount with pins below: refused" 1 "$R" newns --type mnt "$sh/b/m"
	assert_contains "and says why (binding the directory would hide them)" "$out" "would hide its submounts"
	assert_eq "and the pin below is still there, nothing added" "net 1" "$(nsfs_at "$sh/b/n" | cut -c1-3) $(($(pins) - base))"
	assert_exit "newns --type mnt,uts on a shared mount: the directory is made private first" 0 "$R" newns --type uts,mnt "$sh/a/u" "$sh/a/m"
	assert_contains "the mount namespace pin is there" "$(nsfs_at "$sh/a/m")" "mnt:["
	assert_contains "and the other pin of the call is not hidden by it" "$(nsfs_at "$sh/a/u")" "uts:["
	assert_eq "the directory is a private bind mount of itself" "$sh/a -" \
		"$(awk -v p="$sh/a" '$5 == p {print $5, $7}' /proc/self/mountinfo)"
	"$R" newns --rm "$sh/a/u" "$sh/a/m" "$sh/b/n"
	assert_eq "--rm: nothing left" "files: pins:0 procs:0 files: pins:0 procs:0" "$(leftovers "$sh/a") $(leftovers "$sh/b")"
	umount -l "$sh/a"; umount -l "$sh"
	# a pin whose mountinfo line is over 4 KiB (five names of 250 spaces, each escaped as
	# \040): --list shows it, and newns -t mnt beside it still sees it (a line too long for
	# the reader once read as the end of mountinfo: "no submounts", and the pin was hidden)
	sp=$(printf '%250s' '')
	deep=$tmp/deep/$sp/$sp/$sp/$sp/$sp
	mkdir "$tmp/deep" && toybox mount -t tmpfs none "$tmp/deep" && toybox mount -o shared none "$tmp/deep" && mkdir -p "$deep"
	"$R" newns "$deep/n" >/dev/null
	if [ "$jqok" = 1 ]; then
		assert_eq "newns --list: a pin whose mountinfo line is over 4 KiB is listed" "$deep/n" \
			"$("$R" newns --list --json | jq -r --arg p "$deep/n" '.[] | select(.path == $p) | .path')"
	fi
	assert_exit "newns --type mnt beside that pin (a shared mount): refused" 1 "$R" newns --type mnt "$tmp/deep/m"
	assert_contains "saying binding would hide the mounts below" "$out" "would hide its submounts"
	assert_eq "and the long-named pin is still there" "nsfs" "$(stat -f -c %T "$deep/n")"
	"$R" newns --rm "$deep/n"
	umount -l "$tmp/deep"
	assert_exit "newns --veth twice is a usage error (one pair a namespace; the first was dropped)" 2 \
		"$R" newns --veth a0:b0 --veth c0:d0 "$tmp/v2"
	assert_contains "naming both" "$out" "--veth c0:d0: a second pair (a0:b0 is the first)"
	assert_eq "and makes nothing" "absent" "$([ -e "$tmp/v2" ] && echo present || echo absent)"

	# the network: a veth pair, addresses, MTU, routes, sysctls
	echo "0 2147483647" >/proc/sys/net/ipv4/ping_group_range
	p=$("$R" newns --veth tv0:eth0 --addr eth0=10.77.0.2/24 --addr eth0=fd77::2/64 --mtu eth0=1400 \
		--route default,via=10.77.0.1 --route fd78::/64,via=fd77::1 --sysctl 'net.ipv4.ping_group_range=0 2147483647' \
		--sysctl net.ipv4.ip_unprivileged_port_start=80 "$d/v1")
	assert_eq "newns --veth --addr --mtu --route --sysctl: exits 0" "0 $d/v1" "$? $p"
	in=$(nsenter --net="$d/v1" toybox ifconfig eth0)
	assert_contains "--addr: the IPv4 address is on eth0 inside (toybox ifconfig)" "$in" "inet addr:10.77.0.2"
	assert_contains "--mtu: eth0 has MTU 1400" "$in" "MTU:1400"
	assert_contains "--veth: eth0 is up inside" "$in" "UP BROADCAST"
	assert_contains "--addr: the IPv6 address is on eth0 (the kernel's if_inet6)" \
		"$(nsenter --net="$d/v1" cat /proc/net/if_inet6)" "fd770000000000000000000000000002 "
	assert_eq "--route default,via=: the default route (the kernel's /proc/net/route)" "eth0 01004D0A" \
		"$(nsenter --net="$d/v1" awk '$2 == "00000000" {print $1, $3}' /proc/net/route)"
	assert_contains "--route PREFIX,via=: the IPv6 route (the kernel's ipv6_route)" \
		"$(nsenter --net="$d/v1" cat /proc/net/ipv6_route)" "fd780000000000000000000000000000 40 00000000000000000000000000000000 00 fd770000000000000000000000000001"
	assert_eq "--sysctl: written in the new namespace only" "0 2147483647 80 1024" \
		"$(nsenter --net="$d/v1" cat /proc/sys/net/ipv4/ping_group_range /proc/sys/net/ipv4/ip_unprivileged_port_start | words) $(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)"
	assert_contains "--veth: the caller's end is here, and up" "$(toybox ifconfig tv0)" "UP BROADCAST RUNNING"
	toybox ifconfig tv0 10.77.0.1 netmask 255.255.255.0
	assert_exit "--veth: the pin answers ping on the address the test chose" 0 toybox ping -c 1 -W 3 10.77.0.2
	assert_exit "--veth: and pings back through the pair (nsenter, toybox ping)" 0 nsenter --net="$d/v1" toybox ping -c 1 -W 3 10.77.0.1
	# the caller's end of the pair configured by newns itself: no ip, no ifconfig
	assert_exit "newns --veth with --addr, --up and --mtu on the caller's end" 0 "$R" newns --veth tv5:eth0 \
		--addr tv5=10.76.0.1/24 --up tv5 --mtu tv5=1400 --addr eth0=10.76.0.2/24 "$d/v5"
	got=$(toybox ifconfig tv5)
	assert_contains "the caller's end has its address (toybox ifconfig)" "$got" "inet addr:10.76.0.1  Bcast:0.0.0.0  Mask:255.255.255.0"
	assert_contains "and its MTU" "$got" "MTU:1400"
	assert_exit "and the pin answers ping through it" 0 toybox ping -c 1 -W 3 10.76.0.2
	"$R" newns --rm "$d/v5"
	assert_exit "an --addr on a caller's device that is not the pair's end fails" 1 "$R" newns --veth tv6:eth0 --addr tv7=10.76.1.1/24 "$d/v6"
	assert_eq "and leaves no file, pin or veth" "no no" \
		"$([ -e "$d/v6" ] && echo yes || echo no) $(has_dev tv6 && echo yes || echo no)"
	"$R" newns --rm "$d/v1"
	if gone_dev tv0; then ok "newns --rm: the veth pair goes with the namespace"; else not_ok "newns --rm: the veth pair goes with the namespace"; fi
	if have ip; then
		[ -d /run/netns ] || made_run_netns=1
		"$R" newns --addr lo=10.78.0.1/32 "/run/netns/rnsbox-t$$" >/dev/null
		assert_contains "ip netns list: shows a pin made at /run/netns/NAME" "$(ip netns list)" "rnsbox-t$$"
		assert_contains "ip netns exec: runs in it and sees the address" \
			"$(ip netns exec "rnsbox-t$$" ip -4 -o addr show dev lo)" "10.78.0.1/32"
		"$R" newns --rm "/run/netns/rnsbox-t$$"
		case $(ip netns list) in *rnsbox-t$$*) not_ok "ip netns list: the pin is gone after --rm" ;; *) ok "ip netns list: the pin is gone after --rm" ;; esac
		ip netns add "rnsbox-i$$"
		assert_exit "newns --rm removes a pin ip netns add made" 0 "$R" newns --rm "/run/netns/rnsbox-i$$"
		assert_eq "ip netns: nothing left of it" "" "$(nsfs_at "/run/netns/rnsbox-i$$")$(ls -d /run/netns/rnsbox-[it]$$ 2>/dev/null)"
		# a NAME (no slash) is /run/netns/NAME for root, as ip netns names it
		nm=rnsbox-n$$
		assert_eq "newns NAME pins at /run/netns/NAME, and prints that" "/run/netns/$nm" "$("$R" newns "$nm" 2>&1)"
		assert_eq "ip netns exec NAME runs in it (the pin's inode)" "$(stat -L -c %i "/run/netns/$nm")" \
			"$(ip netns exec "$nm" stat -L -c %i /proc/self/ns/net 2>&1)"
		assert_exit "newns --rm NAME removes it" 0 "$R" newns --rm "$nm"
		assert_eq "and ip netns list shows it no more" "" "$(ip netns list | grep -w "$nm")"
	else
		skip "ip netns interoperability: iproute2 not installed"
	fi
	assert_exit "a NAME with --type uts is a usage error" 2 "$R" newns -t uts "rnsbox-u$$"
	assert_contains "saying a NAME is for a network namespace" "$out" "a NAME is for --type net"
	assert_exit "'..' is no NAME" 2 "$R" newns ..
	# --attach=PID: a process's own namespaces pinned, as ip netns attach does for net
	"$R" exec -nu sleep 60 &
	sp=$!
	wait_for sh -c '[ "$(stat -L -c %i /proc/$0/ns/uts)" != "$(stat -L -c %i /proc/self/ns/uts)" ]' "$sp"
	aw="$(stat -L -c %i "/proc/$sp/ns/net") $(stat -L -c %i "/proc/$sp/ns/uts")"
	assert_exit "newns --attach=PID -t net,uts PATH PATH" 0 "$R" newns --attach="$sp" -t net,uts "$d/an" "$d/au"
	assert_eq "pins the process's own namespaces (inodes, against /proc/PID/ns)" "$aw" \
		"$(stat -L -c %i "$d/an") $(stat -L -c %i "$d/au")"
	kill "$sp"
	wait "$sp" 2>/dev/null
	assert_eq "which outlive it: nsenter joins the pins" "$aw" \
		"$("$R" nsenter --net="$d/an" --uts="$d/au" sh -c 'echo $(stat -L -c %i /proc/self/ns/net) $(stat -L -c %i /proc/self/ns/uts)' 2>&1)"
	"$R" newns --rm "$d/an" "$d/au"
	# lsns's PNS and ONS (util-linux 2.38 prints them) of the pins of a process two user namespaces down
	spawn_user "$R" exec -r -- "$R" exec -rn sleep 30 &
	lp=$!
	wait_for comm_is "$lp" sleep
	"$R" newns --attach="$lp" -t user,net "$d/lu" "$d/ln" >/dev/null
	got=$("$R" newns --list --json | json ".[] | select(.path == \"$d/lu\" or .path == \"$d/ln\") | \"\(.type) \(.pns) \(.ons)\"" | sort | words)
	assert_eq "newns --list --json: pns and ons of a nested user and its network namespace, as lsns has them" \
		"$({ lsns -n -p "$lp" -t net -o TYPE,PNS,ONS; lsns -n -p "$lp" -t user -o TYPE,PNS,ONS; } | words)" "$got"
	assert_eq "and the user namespace's parent is the outer rnsbox's (the check can fail)" 1 \
		"$([ "$(echo "$got" | awk '{print $5}')" != 0 ] && [ "$(echo "$got" | awk '{print $5}')" != "$(nsino user)" ] && echo 1)"
	kill "$lp"
	"$R" newns --rm "$d/lu" "$d/ln"
	assert_exit "--attach of a process that does not exist fails" 1 "$R" newns --attach=2147483647 "$d/ax"
	assert_contains "naming it" "$out" "--attach 2147483647: no such process"
	assert_eq "and leaves no file" no "$([ -e "$d/ax" ] && echo yes || echo no)"
	assert_exit "--attach with --veth is a usage error" 2 "$R" newns --attach=1 --veth a:b "$d/ay"

	# files that are there already
	"$R" newns "$d/e" >/dev/null
	assert_exit "newns on a live pin fails" 1 "$R" newns "$d/e"
	assert_contains "newns on a live pin: says so and what to do" "$out" "$d/e: already a live net namespace pin"
	ino=$(stat -L -c %i "$d/e")
	assert_exit "newns --exist-ok on a live pin of the type: exits 0" 0 "$R" newns --exist-ok "$d/e"
	assert_eq "newns --exist-ok: the pin is reused, not replaced" "$ino" "$(stat -L -c %i "$d/e")"
	assert_exit "newns --exist-ok on a pin of another type fails" 1 "$R" newns --type uts --exist-ok "$d/e"
	assert_exit "newns --exist-ok with one live pin and one new path fails" 1 "$R" newns --type net,uts --exist-ok "$d/e" "$d/e2"
	assert_eq "and the new path is not left behind" "" "$(ls "$d/e2" 2>/dev/null)"
	"$R" newns --rm "$d/e"
	: >"$d/s"
	assert_exit "newns on a stale empty file replaces it" 0 "$R" newns "$d/s"
	assert_contains "the replaced file is a live pin" "$(nsfs_at "$d/s")" "net:["
	"$R" newns --rm "$d/s"
	: >"$d/s"
	assert_exit "newns --rm of a stale file: removes it" 0 "$R" newns --rm "$d/s"
	assert_contains "newns --rm of a file not mounted here explains" "$out" "not mounted in this mount namespace"
	echo data >"$d/data"
	assert_exit "newns on a file with data is refused" 1 "$R" newns "$d/data"
	assert_exit "newns --rm of a file with data is refused" 1 "$R" newns --rm "$d/data"
	assert_eq "the file with data is untouched" data "$(cat "$d/data")"
	ln -s "$d/data" "$d/link"
	assert_exit "newns on a symlink is refused (no following)" 1 "$R" newns "$d/link"
	assert_exit "newns --rm of a symlink is refused" 1 "$R" newns --rm "$d/link"
	assert_exit "newns --rm of /proc/self/ns/net is refused" 1 "$R" newns --rm /proc/self/ns/net
	rm -f "$d/data" "$d/link"

	# bad input: usage errors before anything is made, each naming its option
	# bad_usage TEXT OPTION...: newns OPTION... is a usage error whose message holds TEXT
	bad_usage() {
		text=$1
		shift
		assert_exit "newns $*: a usage error" 2 "$R" newns "$@" "$d/bad"
		assert_contains "newns $*: names the problem" "$out" "$text"
	}
	bad_usage "'10.0.0.300/24' is not an IPv4" --addr eth0=10.0.0.300/24
	bad_usage "is not an IPv4" --addr eth0=10.0.0.1/33
	bad_usage "device name 'sixteen-bytes-ab' is not 1 to 15" --veth h0:sixteen-bytes-ab
	bad_usage "expected HOST:NS" --veth h0
	bad_usage "needs via=GATEWAY or dev=DEVICE" --route 10.1.0.0/16
	bad_usage "device name ''" --route default,via=fd00::1,dev=
	bad_usage "different address families" --route 10.1.0.0/16,via=fd00::1
	bad_usage "'x' is not an MTU" --mtu eth0=x
	bad_usage "only net.* sysctls" --sysctl kernel.hostname=x
	bad_usage "expected net.KEY=VALUE" --sysctl net.ipv4.conf.all.forwarding
	bad_usage "'bogus' is not a namespace type" --type bogus
	bad_usage "'net' is given twice" --type net,net
	bad_usage "need a network namespace" --type uts --addr lo=10.0.0.1
	assert_exit "newns with two types and one path is a usage error" 2 "$R" newns --type net,uts "$d/bad"
	assert_exit "newns --rm with no PATH is a usage error" 2 "$R" newns --rm
	assert_contains "saying what it needs" "$out" "--rm: give the PATH of each pin to remove"
	assert_eq "the usage errors made nothing" "$clean" "$(leftovers "$d")"

	# failures after something was made: everything undone, in the caller's namespaces too
	assert_exit "newns: an unknown device fails after the veth pair was made" 1 "$R" newns --veth tv1:eth0 --addr eth9=10.0.0.1/24 "$d/f"
	assert_eq "it names the option and the kernel's errno" "rnsbox: newns: --addr eth9=10.0.0.1/24: No such device" "$out"
	assert_eq "and leaves no file, pin, process or veth" "$clean no" "$(leftovers "$d") $(has_dev tv1 && echo yes || echo no)"
	assert_exit "newns: a kernel refusal (MTU 10)" 1 "$R" newns --veth tv1:eth0 --mtu eth0=10 "$d/f"
	assert_eq "names the option and errno, leaves nothing" "rnsbox: newns: --mtu eth0=10: Invalid argument $clean no" \
		"$out $(leftovers "$d") $(has_dev tv1 && echo yes || echo no)"
	assert_exit "newns: an unknown sysctl fails" 1 "$R" newns --sysctl net.ipv4.no_such_key=1 "$d/f"
	assert_contains "and names it" "$out" "--sysctl net.ipv4.no_such_key=1: No such file or directory"
	assert_exit "newns: a PATH in a missing directory fails" 1 "$R" newns "$d/missing/f"
	assert_contains "and names it" "$out" "create $d/missing/f: No such file or directory"
	if have strace; then
		assert_exit "newns: a failing bind mount (injected EPERM)" 1 strace -f -qq -o /dev/null -e inject=mount:error=EPERM "$R" newns --veth tv1:eth0 "$d/f"
		assert_contains "names the step and the path" "$out" "bind /proc/self/ns/net on $d/f: Operation not permitted"
		assert_eq "and undoes the file and the veth pair" "$clean no" "$(leftovers "$d") $(has_dev tv1 && echo yes || echo no)"
		# sendto 1 brings lo up, 2 makes the pair, 3 brings the peer up inside
		assert_exit "newns --veth: bringing the peer up fails (injected on the 3rd sendto)" 1 \
			strace -f -qq -o /dev/null -e inject=sendto:error=ENOBUFS:when=3 "$R" newns --veth tv1:eth0 "$d/f"
		assert_eq "the failure is reported, naming the pair" "rnsbox: newns: --veth tv1:eth0: No buffer space available" "$out"
		assert_eq "and nothing is left: no file, pin, process or veth" "$clean no" "$(leftovers "$d") $(has_dev tv1 && echo yes || echo no)"
		assert_exit "newns --type user,uts,net: the second bind mount fails" 1 strace -f -qq -o /dev/null -e inject=mount:error=EPERM:when=2 \
			"$R" newns --type user,uts,net --map-users 0:100000:10 --map-groups 0:100000:10 "$d/u" "$d/p" "$d/n"
		assert_eq "the first pin is undone, the child is gone" "$clean" "$(leftovers "$d")"
		strace -f -qq -o /dev/null -e inject=mount:signal=KILL "$R" newns --veth tv2:eth0 "$d/k" >/dev/null 2>&1
		assert_eq "newns killed mid-way: at most an empty file, no pin, no process" "files:k pins:0 procs:0 0" "$(leftovers "$d") $(stat -c %s "$d/k")"
		if gone_dev tv2; then ok "newns killed mid-way: the veth pair goes with the namespace"
		else not_ok "newns killed mid-way: the veth pair goes with the namespace"; fi
		assert_exit "newns after a kill replaces the stale file" 0 "$R" newns "$d/k"
		"$R" newns --rm "$d/k"
		strace -f -qq -o /dev/null -e inject=mount:signal=KILL "$R" newns --type mnt,net "$d/k" "$d/k2" >/dev/null 2>&1
		wait_for no_procs
		assert_eq "newns --type mnt killed mid-way: its child ends too" "0 0" "$(procs) $(pins)"
		rm -f "$d/k" "$d/k2"
	else
		skip "newns failure injection: strace not installed"
	fi

	# many at once
	i=0
	while [ $i -lt 32 ]; do
		{ "$R" newns "$d/c$i" >/dev/null && "$R" newns --rm "$d/c$i"; } &
		i=$((i + 1))
	done
	wait
	assert_eq "32 concurrent newns and --rm on distinct paths leave nothing" "$clean" "$(leftovers "$d")"
fi
}

# --- newns rootless: refused outside a user namespace, works inside one it owns
group_newns_rootless() {
assert_exit "newns as a user outside a user namespace fails" 1 as_user "$R" newns "$tmp/u"
assert_contains "and says what it needs and how to run it" "$out" "needs CAP_SYS_ADMIN"
assert_contains "with the way to run it rootless" "$out" "rnsbox exec -Urm"
mkdir -m 555 "$tmp/ro"
if [ $root = 1 ]; then # a directory of the user's own is writable to its root inside
	got=$(as_user "$R" exec -Urm sh -c '$0 newns "$1/pin"; echo "exit $? $(ls -A "$1")"' "$R" "$tmp/ro" 2>&1)
	assert_eq "newns in a directory it cannot write: fails, names the path, leaves nothing" \
		"rnsbox: newns: create $tmp/ro/pin: Permission denied
exit 1 " "$got"
else
	skip "newns in a directory it cannot write: needs root (for a directory of another user's)"
fi
mkdir -m 700 "$tmp/ru" && chown "$tuid" "$tmp/ru"
got=$(as_user "$R" exec -Urmn sh -c '
	echo "0 0" >/proc/sys/net/ipv4/ping_group_range
	p=$(XDG_RUNTIME_DIR=$1 $0 newns --veth h1:eth1 --addr eth1=10.79.0.2/24 --sysctl "net.ipv4.ping_group_range=0 0") || exit
	echo "path $p"
	echo "pins $(awk "/ - nsfs / {n++} END {print n}" /proc/self/mountinfo)"
	toybox ifconfig h1 10.79.0.1 netmask 255.255.255.0
	toybox ping -c 1 -W 3 10.79.0.2 >/dev/null && echo ping-ok
	$0 nsenter --net="$p" toybox ifconfig eth1 | grep -o "inet addr:[0-9.]*"
	$0 newns --rm "$p" && echo "after $(awk "/ - nsfs / {n++} END {print n+0}" /proc/self/mountinfo) $(ls "$1/netns")"
	$0 newns --type user,uts,mnt --map-users 0:0:1 --map-groups 0:0:1 "$1/u" "$1/t" "$1/m" >/dev/null && echo types-ok
	$0 newns --rm "$1/u" "$1/t" "$1/m" && echo rm-ok' "$R" "$tmp/ru" 2>&1)
case $got in "path $tmp/ru/netns/net-"*) ok "rootless newns under exec -Urmn: the default path is under \$XDG_RUNTIME_DIR" ;; *) not_ok "rootless newns under exec -Urmn: the default path is under \$XDG_RUNTIME_DIR" "$got" ;; esac
assert_contains "rootless newns: the pin is an nsfs mount" "$got" "pins 1"
assert_contains "rootless newns: the veth pair works (ping through it)" "$got" "ping-ok"
assert_contains "rootless newns: the address is inside (toybox ifconfig)" "$got" "inet addr:10.79.0.2"
assert_contains "rootless newns --rm: nothing left" "$got" "after 0 "
assert_contains "rootless newns --type user,uts,mnt (with maps) and --rm" "$got" "types-ok
rm-ok"
}

# --- userns-handle: exact maps, shared and cached handles, id-mapped mounts
group_userns() {
if [ "${RNSBOX_TEST_NS-}" != 1 ] || ! have nsenter; then
	skip "userns-handle as root: needs root, toybox and util-linux nsenter"
else
	u=$tmp/uh
	mkdir "$u"
	base=$(pins)
	got=$("$R" userns-handle --map-users 0:100000:100 --map-users 100:300000:10 --map-groups 0:100000:110 --path "$u/h1")
	assert_eq "userns-handle --path: exits 0 and prints the path" "0 $u/h1" "$? $got"
	assert_eq "userns-handle: the maps read back from the kernel are exactly the ones asked for" \
		"0 100000 100 100 300000 10 0 100000 110" "$(umaps "$u/h1")"
	assert_contains "userns-handle --path: an nsfs pin of a user namespace (mountinfo)" "$(nsfs_at "$u/h1")" "user:["
	assert_eq "userns-handle: no helper process is left" 0 "$(procs)"
	"$R" userns-handle --map-users 0:100000:10 --map-users 10:200000:10 --map-groups 0:1000:1 --path "$u/a" \
		--map-users 10:200000:10 --map-users 0:100000:10 --map-groups 0:1000:1 --path "$u/b" >/dev/null
	assert_eq "userns-handle: equal mappings given in different orders share one namespace (stat)" \
		"$(stat -L -c %i "$u/a")" "$(stat -L -c %i "$u/b")"
	got=$("$R" userns-handle --map-users 10:200000:10 --map-users 0:100000:10 --map-groups 0:1000:1 --print)
	assert_contains "userns-handle --print: the canonical key, ranges sorted" "$got" "key: uid=0:100000:10,10:200000:10;gid=0:1000:1"
	assert_contains "userns-handle --print: the kernel's uid_map" "$(echo "$got" | words)" "uid_map: 0 100000 10 10 200000 10 gid_map: 0 1000 1"
	got=$("$R" userns-handle --map-users 0:5000:1 --map-groups 0:5000:1 -- sh -c 'readlink "/proc/self/fd/$RNSBOX_USERNS_FD"')
	case $got in "user:["*) ok "userns-handle -- CMD: the handle is open at RNSBOX_USERNS_FD" ;; *) not_ok "userns-handle -- CMD: the handle is open at RNSBOX_USERNS_FD" "$got" ;; esac
	got=$("$R" userns-handle --map-users 0:5000:1 --map-groups 0:5000:1 --fd 7 -- sh -c 'nsenter --user=/proc/self/fd/7 --preserve-credentials cat /proc/self/uid_map' | words)
	assert_eq "userns-handle --fd N: the handle is at fd N for the command" "0 5000 1" "$got"
	# the cache
	c=$tmp/uhc
	ino() { "$R" userns-handle --cache="$c" --map-users 0:700000:10 --map-groups 0:700000:10 -- sh -c 'stat -L -c %i "/proc/self/fd/$RNSBOX_USERNS_FD"'; }
	# cpin: the cache's pin (the file that is not a .key)
	cpin() { for f in "$c"/*; do case $f in *.key) ;; *) echo "$f" ;; esac; done; }
	i1=$(ino) i2=$(ino)
	assert_eq "userns-handle --cache: a second call reuses the pinned namespace" "$i1" "$i2"
	assert_eq "userns-handle --cache: one pin and its key file, private to the caller" "$(cpin).key 700 $i1" \
		"$(echo "$c"/*.key) $(stat -c %a "$c") $(stat -L -c %i "$(cpin)")"
	mkdir -m 700 "$tmp/uxdg"
	XDG_RUNTIME_DIR=$tmp/uxdg "$R" userns-handle --cache --map-users 0:700000:10 --map-groups 0:700000:10 -- true
	assert_eq "userns-handle --cache without DIR: pins under \$RUNTIME_DIR/userns, made 0700" "700 user" \
		"$(stat -c %a "$tmp/uxdg/userns") $(for f in "$tmp/uxdg/userns"/*; do nsfs_at "$f" | cut -c1-4; done)"
	for f in "$tmp/uxdg/userns"/*; do umount "$f" 2>/dev/null; done
	umount "$(cpin)"
	i3=$(ino)
	# The old namespace is gone with its last pin, so the one now pinned is new, even when the
	# kernel gives it the freed inode number again (nsfs numbers are reused): no inode compare.
	[ -n "$i3" ] && [ -n "$(nsfs_at "$(cpin)")" ] && live=$(stat -L -c %i "$(cpin)")
	assert_eq "userns-handle --cache: a stale pin is recreated (a new namespace, pinned again)" "$i3" "${live:-none}"
	# pins made in a mount namespace that has ended are empty files here, with their keys:
	# the next use of the cache reclaims them (their namespace has no process any more)
	c2=$tmp/ucache2
	mkdir -m 700 "$c2"
	# names DIR: the names in DIR, on one line
	names() { for f in "$1"/*; do [ -e "$f" ] && printf '%s ' "${f##*/}"; done; }
	"$R" exec -m -- "$R" userns-handle --cache="$c2" --map-users 0:710000:10 --map-groups 0:710000:10 -- true
	old=$(names "$c2")
	assert_eq "--cache used in a mount namespace that has ended: an empty pin and its key left" "0" \
		"$(stat -c %s "$c2/${old%% *}")"
	"$R" userns-handle --cache="$c2" --map-users 0:720000:10 --map-groups 0:720000:10 -- true
	got=$(names "$c2")
	case " $got" in *" ${old%% *} "*) not_ok "the next --cache use reclaims them" "before: $old" "after: $got" ;;
	*) assert_eq "the next --cache use reclaims them, its own pin and key kept" 2 "$(echo "$got" | wc -w)" ;; esac
	# but not while a process is in the mount namespace the pin lives in, even when the key
	# (60 ranges, over 1 KiB) puts the namespace's line far down the key file
	long='' i=0
	while [ $i -lt 60 ]; do long="$long --map-users $i:$((900000 + 10 * i)):1 --map-groups $i:$((900000 + 10 * i)):1"; i=$((i + 1)); done
	rm -f "$tmp/flags/longkey"
	# shellcheck disable=SC2086 # the options, split on purpose
	"$R" exec -m -- sh -c '"$0" userns-handle --cache="$1" '"$long"' -- true && : >"$2" && exec sleep 60' \
		"$R" "$c2" "$tmp/flags/longkey" &
	lk=$!
	wait_for test -e "$tmp/flags/longkey"
	before=$(names "$c2")
	"$R" userns-handle --cache="$c2" --map-users 0:730000:10 --map-groups 0:730000:10 -- true
	case " $(names "$c2")" in *" ${before%% *} "*) ok "a long-keyed pin of a mount namespace still in use is kept" ;;
	*) not_ok "a long-keyed pin of a mount namespace still in use is kept" "before: $before" "after: $(names "$c2")" ;; esac
	kill "$lk"
	wait "$lk" 2>/dev/null
	for f in "$c2"/*; do umount "$f" 2>/dev/null; done
	# id-mapped mounts
	mkdir "$u/src" "$u/dst" "$u/ro" "$u/src/sub"
	: >"$u/src/f"
	toybox mount -t tmpfs none "$u/src/sub" && : >"$u/src/sub/g"
	assert_exit "userns-handle --idmap: an id-mapped bind mount" 0 "$R" userns-handle --map-users 0:1000:10 --map-groups 0:2000:10 \
		--idmap "$u/src:$u/dst" --recursive
	assert_eq "--idmap: stat shows the mapped owner (root is 1000:2000)" "1000 2000 0 0" \
		"$(stat -c '%u %g' "$u/dst/f") $(stat -c '%u %g' "$u/src/f")"
	assert_eq "--idmap: toybox ls -ln shows it too" "1000 2000" "$(toybox ls -ln "$u/dst" | awk '$NF == "f" {print $3, $4}')"
	assert_eq "--idmap --recursive: the submount is id-mapped too" "1000 2000" "$(stat -c '%u %g' "$u/dst/sub/g")"
	assert_contains "--idmap: mountinfo says idmapped" "$(awk -v p="$u/dst" '$5 == p' /proc/self/mountinfo)" "idmapped"
	"$R" userns-handle --map-users 0:1000:10 --map-groups 0:2000:10 --idmap "$u/src:$u/ro" --readonly
	assert_exit "--idmap --readonly: the mount refuses writes" 1 touch "$u/ro/new"
	assert_exit "--idmap of /proc fails" 1 "$R" userns-handle --map-users 0:1000:10 --map-groups 0:2000:10 --path "$u/undo" --idmap "/proc:$u/ro"
	assert_contains "and says the step, the errno and the file system" "$out" "mount_setattr: Invalid argument"
	assert_contains "with the file system's type" "$out" "/proc (proc) cannot be id-mapped"
	assert_eq "and the pin made before it is undone, no helper is left" "0" "$([ -e "$u/undo" ] && echo 1 || echo 0)$(procs | tr -d 0)"
	assert_exit "--idmap of a missing SRC fails at open_tree" 1 "$R" userns-handle --map-users 0:1:1 --map-groups 0:1:1 --idmap "$u/nope:$u/ro"
	assert_contains "and names the step and the path" "$out" "--idmap $u/nope:$u/ro: open_tree: No such file or directory"
	: >"$u/file"
	assert_exit "--idmap FILE:DIR fails at move_mount" 1 "$R" userns-handle --map-users 0:1:1 --map-groups 0:1:1 --idmap "$u/file:$u/ro"
	assert_contains "with a hint about the kinds, not the file system" "$(echo "$out" | sed -n 2p)" \
		"hint: SRC and DST must both be directories or both be files"
	if have strace; then
		assert_exit "--print whose child cannot join the namespace fails" 1 strace -f -qq -o /dev/null \
			-e inject=setns:error=EPERM "$R" userns-handle --map-users 0:1:1 --map-groups 0:1:1 --print
		assert_contains "and names the step and the errno" "$out" "--print: setns to the user namespace: Operation not permitted"
	fi
	if [ -x "$tmp/seccomp-deny" ]; then
		for e in "ENOSYS open_tree|open_tree: Function not implemented|id-mapped mounts need Linux 5.12" \
			"EPERM mount_setattr|mount_setattr: Operation not permitted|needs CAP_SYS_ADMIN over the file system"; do
			# shellcheck disable=SC2086 # the errno and the syscall split on purpose
			assert_exit "--idmap under a seccomp filter (${e%%|*})" 1 "$tmp/seccomp-deny" ${e%%|*} -- \
				"$R" userns-handle --map-users 0:1:1 --map-groups 0:1:1 --idmap "$u/src:$u/ro"
			e=${e#*|}
			assert_contains "--idmap (${e%%|*}): the step and errno are named" "$out" "${e%%|*}"
			assert_contains "--idmap (${e%%|*}): with what it means" "$out" "${e#*|}"
		done
	fi
	umount -l "$u/dst" "$u/ro" "$u/src/sub" 2>/dev/null
	"$R" newns --rm "$u/h1" "$u/a" "$u/b" >/dev/null
	for f in "$c"/*; do [ -f "$f" ] && umount "$f" 2>/dev/null; done
fi

# bad mappings: usage errors before any process is spawned
if have strace; then
	lines=$(i=0; while [ $i -lt 341 ]; do printf ' --map-users %d:%d:1' "$i" $((100000 + i)); i=$((i + 1)); done)
	for a in "overlaps|--map-users 0:1000:10 --map-users 5:2000:1" "zero count|--map-users 0:1000:0" \
		"range past 2^32|--map-users 4294967295:1:2" "more than 340 ranges|$lines" \
		"is not INSIDE:OUTSIDE:COUNT|--map-users 0:x:1" "both --map-users and --map-groups are needed|"; do
		# shellcheck disable=SC2086 # the options split on purpose
		strace -f -qq -o "$tmp/uh.trace" -e trace=clone,clone3,fork,vfork "$R" userns-handle ${a#*|} \
			--map-groups 0:1:1 --print >"$tmp/uh.out" 2>&1
		assert_eq "userns-handle: '${a%%|*}' is a usage error, and nothing was spawned" "2 0" \
			"$? $(grep -c 'clone\|fork' "$tmp/uh.trace")"
		assert_contains "userns-handle: the message says '${a%%|*}'" "$(cat "$tmp/uh.out")" "${a%%|*}"
	done
else
	skip "userns-handle bad mappings: strace not installed"
fi

# userns-handle rootless: through newuidmap with a temporary subordinate range, or its own ids directly
if [ $root = 1 ] && have newuidmap && have nsenter; then
	save_subids
	{ [ -e "$tmp/subuid.orig" ] && cat "$tmp/subuid.orig"; printf '%s:400000:65536\n' "$tuser"; } >/etc/subuid
	{ [ -e "$tmp/subgid.orig" ] && cat "$tmp/subgid.orig"; printf '%s:400000:65536\n' "$tuser"; } >/etc/subgid
	show='nsenter --user="/proc/self/fd/$RNSBOX_USERNS_FD" --preserve-credentials cat /proc/self/uid_map /proc/self/gid_map'
	got=$(as_user "$R" userns-handle --map-users 0:400000:1000 --map-groups 0:400000:1000 -- sh -c "$show" | words)
	assert_eq "rootless userns-handle: subordinate ranges through newuidmap, read back from the kernel" \
		"0 400000 1000 0 400000 1000" "$got"
	got=$(as_user "$R" userns-handle --map-users "0:$tuid:1" --map-groups "0:$tgid:1" -- sh -c "$show" | words)
	assert_eq "rootless userns-handle: its own ids, written directly" "0 $tuid 1 0 $tgid 1" "$got"
	assert_exit "rootless userns-handle outside the subordinate ranges fails" 1 as_user "$R" userns-handle \
		--map-users 0:900000:10 --map-groups 0:900000:10 -- true
	assert_contains "and shows newuidmap's own error" "$out" "not allowed"
	assert_eq "and no helper is left" 0 "$(procs)"
	assert_exit "rootless userns-handle --path fails: pinning needs CAP_SYS_ADMIN" 1 as_user "$R" userns-handle \
		--map-users 0:400000:10 --map-groups 0:400000:10 --path "$tmp/uhp"
	assert_contains "and says so" "$out" "--path needs CAP_SYS_ADMIN"
	restore_subids
else
	skip "rootless userns-handle: needs root (to add a subuid entry), newuidmap and nsenter"
fi
}

# --- user-mode networking: slirp4netns and pasta, resolv.conf and hosts, copy-up, the shared netns
group_network() {
# the ports the cases listen on, below the ephemeral range (32768 up by default), where
# any connection on the machine, the cases' own clients too, may have taken one
port=27100
if [ "${RNSBOX_TEST_NS-}" != 1 ] || [ "$tb" = 0 ] || ! have slirp4netns; then
	skip "network helper cases: they need root, toybox and slirp4netns"
else
	helpers_before=$(helpers)
	nh_ok() { # nh_ok LABEL HELPER [EXEC OPTION]...: TCP through the helper to the suite's loopback
		label=$1 h=$2
		shift 2
		port=$((port + 1))
		serve $port "$tmp/got"
		out=$("$R" exec "$@" --net-helper "$h" -- sh -c \
			'echo via-$0 | toybox nc -w 5 10.0.2.2 $1; head -n1 /etc/resolv.conf; toybox ifconfig tap0' "$h" $port 2>&1)
		assert_eq "$label: a command reaches a TCP server on the host's loopback at 10.0.2.2" "via-$h" "$(received "$tmp/got")"
		assert_contains "$label: /etc/resolv.conf names the helper's DNS address first" "$out" "nameserver 10.0.2.3"
		assert_contains "$label: tap0 has 10.0.2.100/24 (toybox ifconfig)" "$out" "inet addr:10.0.2.100  Bcast:0.0.0.0  Mask:255.255.255.0"
		assert_contains "$label: tap0's MTU is 65520" "$out" "MTU:65520"
		i=0
		while [ "$(helpers)" != "$helpers_before" ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
		assert_eq "$label: the helper and rnsbox are gone once the command has ended" "$helpers_before 0" "$(helpers) $(procs)"
	}
	nh_ok "exec -n --net-helper slirp4netns (root)" slirp4netns
	out=$("$R" exec --net-helper slirp4netns --cidr 10.9.0.0/16 --mtu 1500 -- sh -c 'toybox ifconfig tap0; cat /proc/net/route; tail -n2 /etc/hosts' 2>&1)
	assert_contains "--cidr 10.9.0.0/16: tap0 has .100 of it" "$out" "inet addr:10.9.0.100  Bcast:0.0.0.0  Mask:255.255.0.0"
	assert_contains "--mtu 1500: tap0's MTU" "$out" "MTU:1500"
	assert_contains "--cidr: the default route goes via .2 (/proc/net/route)" "$out" "tap0	00000000	0200090A"
	assert_contains "/etc/hosts names this host at .100 and host.containers.internal at .2" "$out" "10.9.0.2 host.containers.internal"
	port=$((port + 1))
	serve $port "$tmp/got"
	"$R" exec --net-helper slirp4netns --disable-host-loopback -- sh -c 'echo no | toybox nc -w 2 10.0.2.2 $0' $port >/dev/null 2>&1
	assert_eq "--disable-host-loopback: the host's loopback is out of reach" "" "$(cat "$tmp/got")"
	kill $! 2>/dev/null
	assert_exit "--net-helper with a name it does not know is a usage error" 2 "$R" exec --net-helper=vde true
	assert_contains "naming the helpers it knows" "$out" "--net-helper: 'vde' is not pasta, slirp4netns or auto"
	assert_exit "--cidr without --net-helper is a usage error" 2 "$R" exec -n --cidr 10.1.0.0/24 true
	assert_exit "--cidr that leaves no room for .100 is a usage error" 2 "$R" exec --net-helper slirp4netns --cidr 10.1.0.0/26 true
	assert_contains "and the message names the option" "$out" "--cidr: '10.1.0.0/26' is not an IPv4 network"

	# failures: each named, and nothing left behind
	mkdir "$tmp/nobin" "$tmp/fake" "$tmp/fake2" "$tmp/fake3" "$tmp/fake4"
	printf '#!/bin/sh\necho "fake helper: no tap for you" >&2\nexit 3\n' >"$tmp/fake/slirp4netns"
	chmod 755 "$tmp/fake/slirp4netns"
	tb_path=$(command -v toybox)
	ln -s "$tb_path" "$tmp/nobin/true"
	assert_exit "a helper missing from PATH fails" 1 env PATH="$tmp/nobin" "$R" exec --net-helper slirp4netns true
	assert_contains "and is named" "$out" "--net-helper slirp4netns: not found on PATH"
	assert_exit "a helper that exits at once fails" 1 env PATH="$tmp/fake:$PATH" "$R" exec --net-helper slirp4netns true
	assert_contains "and its status and stderr are shown" "$out" "exited with status 3; its stderr: fake helper: no tap for you"
	printf '#!/bin/sh\nprintf "first line\\nsecond line\\n" >&2\nexit 3\n' >"$tmp/fake2/slirp4netns"
	# a helper that lists its own fds in a file (toybox ls, exec'd: no shell fd of its own)
	printf '#!/bin/sh\nexec toybox ls -l /proc/self/fd >%s\n' "$tmp/fake3.fds" >"$tmp/fake3/slirp4netns"
	chmod 755 "$tmp/fake2/slirp4netns" "$tmp/fake3/slirp4netns"
	assert_exit "a helper that writes two lines to stderr and exits" 1 env PATH="$tmp/fake2:$PATH" "$R" exec --net-helper slirp4netns true
	assert_contains "shows both lines joined, no byte lost" "$out" "exited with status 3; its stderr: first line; second line"
	env PATH="$tmp/fake3:$PATH" "$R" exec --net-helper slirp4netns true >/dev/null 2>&1
	# detect --net where pasta cannot run: the suite's namespace has no default route yet
	if [ "$jqok" = 1 ] && have pasta; then
		assert_exit "detect --net with no default route: auto's pasta fails its trial" 1 "$R" detect --net --json
		assert_eq "saying so in pasta's own words; slirp4netns's trial passes" \
			"false true" "$(printf '%s' "$out" | json '"\(.pasta.trial.ok) \(.slirp4netns.trial.ok)"')"
		assert_contains "pasta's words" "$(printf '%s' "$out" | json .pasta.trial.error)" "No external routable interface for IPv4"
	fi
	assert_eq "the helper's /dev/null is fd 0 alone (its stdout is the listing; rnsbox's fd is close-on-exec)" 0 \
		"$(awk '$NF == "/dev/null" {print $(NF - 2)}' "$tmp/fake3.fds" | words)"
	# the command dies with rnsbox: exec --net-helper and newns --shared run, SIGKILLed
	for how in exec shared; do
		rm -f "$tmp/flags/cmd"
		if [ $how = exec ]; then
			"$R" exec --net-helper slirp4netns -- sh -c 'echo $$ >"$0"; exec sleep 60' "$tmp/flags/cmd" &
		else
			"$R" newns --shared "$tmp/pdsh" --net-helper slirp4netns run -- sh -c 'echo $$ >"$0"; exec sleep 60' "$tmp/flags/cmd" &
		fi
		rpid=$!
		wait_for test -s "$tmp/flags/cmd"
		cpid=$(cat "$tmp/flags/cmd")
		wait_for comm_is "$cpid" sleep
		kill -KILL "$rpid"
		wait "$rpid" 2>/dev/null
		wait_for gone "$cpid"
		if gone "$cpid"; then ok "$how: COMMAND dies when rnsbox is SIGKILLed"
		else not_ok "$how: COMMAND dies when rnsbox is SIGKILLed" "pid $cpid"; fi
	done
	"$R" newns --shared "$tmp/pdsh" gc 2>/dev/null
	wait_for helpers_back
	assert_eq "and the helpers go too (exec's by its exit fd, the shared one by gc)" "$helpers_before 0" "$(helpers) $(procs)"
	assert_eq "after the failures: no helper and no rnsbox left" "$helpers_before 0" "$(helpers) $(procs)"

	# an error is never read as absence: with 5 or 6 fds, acquire and release fail at the
	# first thing they cannot read (the pin, a holder's count, /proc/PID/stat), naming it,
	# and change nothing; the helper lives on. (An fd short once read as "not pinned" and
	# "no holders": the live bookkeeping was deleted and the helper orphaned.)
	sf=$tmp/shfd bad=''
	"$R" newns --shared "$sf" --net-helper slirp4netns acquire
	hp=$(head -n1 "$sf/netns.pid")
	for lim in 5 6; do
		for verb in acquire release; do
			sh -c 'ulimit -n "$1"; exec "$0" newns --shared "$2" "$3"' "$R" "$lim" "$sf" "$verb" 2>"$tmp/shfd.err"
			st=$?
			{ [ $st = 1 ] && [ "$(cat "$sf/refcount")" = 1 ] && comm_is "$hp" slirp4netns &&
				[ "$(stat -f -c %T "$sf/netns")" = nsfs ] && grep -Eq "No file descriptors available|Too many open files" "$tmp/shfd.err"; } ||
				bad="$bad $verb@$lim:exit$st:$(cat "$tmp/shfd.err")"
		done
	done
	assert_eq "--shared acquire and release with 5 or 6 fds: exit 1 naming EMFILE, nothing changed" "" "$bad"
	: >"$sf/.refcount.tmp" # as a writer killed between create and rename leaves it
	"$R" newns --shared "$sf" release
	wait_for gone "$hp"
	assert_eq "and the last release with fds enough removes it all, a killed writer's temporary file too" "gone left:" \
		"$(gone "$hp" && echo gone) left:$(ls -A "$sf")"

	# the resolv.conf chain, in a mount namespace whose /etc is a copy-up and /run a tmpfs
	[ -d "$tmp/xdg" ] || mkdir -m 700 "$tmp/xdg"
	cat >"$tmp/chain-inner" <<'INNER'
cat /etc/resolv.conf
awk '$5 == "/run/resolve" {print "tmpfs-on-run"}' /proc/self/mountinfo
cat /run/resolve/other 2>&1 | head -n1
INNER
	cat >"$tmp/chain-outer" <<'OUTER'
toybox mount -t tmpfs none /run && mkdir /run/resolve && cd /etc && rm -f resolv.conf || exit 9
printf "search example.test\nnameserver 127.0.0.53\nnameserver 192.0.2.53\n" >/run/resolve/stub.conf
echo other >/run/resolve/other
printf "nameserver 192.0.2.7\n" >/etc/real.conf
eval "$2" || exit 9
"$1" exec --net-helper slirp4netns -- sh "$3"
echo "rc=$? outside: $(cat /run/resolve/stub.conf /etc/real.conf | tr "\n" " ")"
OUTER
	chain() { # chain SETUP: SETUP makes /etc/resolv.conf; then rnsbox exec --net-helper shows it
		XDG_RUNTIME_DIR=$tmp/xdg "$R" exec -m --copy-up /etc -- sh "$tmp/chain-outer" "$R" "$1" "$tmp/chain-inner" 2>&1
	}
	out=$(chain 'printf "search example.test\nnameserver 127.0.0.1\nnameserver ::1\noptions ndots:2\nnameserver 192.0.2.53\n" >resolv.conf')
	assert_eq "resolv.conf: the helper's DNS, the host's search and options, no loopback nameserver" \
		"nameserver 10.0.2.3 search example.test options ndots:2 nameserver 192.0.2.53" \
		"$(printf '%s\n' "$out" | grep -E '^(nameserver|search|options)' | words)"
	out=$(chain 'printf "search%5000s\nnameserver 192.0.2.54\n" example.test >resolv.conf')
	assert_eq "resolv.conf: a line of 5000 bytes is copied whole, and the lines after it too" "1 nameserver 192.0.2.54" \
		"$(printf '%s\n' "$out" | awk 'length($0) > 5000 {n++} END {print n + 0}') $(printf '%s\n' "$out" | grep 192.0.2.54)"
	out=$(chain 'ln -s /etc/real.conf resolv.conf')
	assert_contains "resolv.conf: an absolute symlink is followed; the command sees rnsbox's" "$out" "nameserver 10.0.2.3"
	assert_contains "and the target outside is unchanged" "$out" "rc=0 outside: search example.test nameserver 127.0.0.53 nameserver 192.0.2.53 nameserver 192.0.2.7"
	out=$(chain 'ln -s real.conf resolv.conf')
	assert_contains "resolv.conf: a relative symlink is resolved against its directory" "$out" "nameserver 10.0.2.3"
	assert_contains "and its target outside is unchanged" "$out" "rc=0 outside:"
	out=$(chain 'ln -s ../run/resolve/stub.conf resolv.conf')
	assert_contains "resolv.conf: a link into /run gets a tmpfs over its directory (mountinfo)" "$out" "tmpfs-on-run"
	assert_contains "and the command sees rnsbox's file, with the host's search domain" "$out" "search example.test"
	assert_contains "and the other files of that directory are hidden, the host's file unchanged" "$out" \
		"No such file or directory
rc=0 outside: search example.test"
	out=$(chain 'ln -s /run/resolve/missing.conf resolv.conf')
	assert_contains "resolv.conf: a dangling link into /run still works" "$out" "nameserver 10.0.2.3"
	out=$(chain 'ln -s /nonexistent/resolv.conf resolv.conf')
	assert_contains "resolv.conf: a dangling link elsewhere fails, naming the path" "$out" "/etc/resolv.conf: /nonexistent/resolv.conf: No such file or directory"
	assert_contains "with a failure status" "$out" "rc=1"
	out=$(chain 'ln -s loop resolv.conf && ln -s resolv.conf loop')
	assert_contains "resolv.conf: a loop of links fails, naming it" "$out" "rnsbox: exec: /etc/resolv.conf: $eloop"
	assert_eq "after the chain cases: no helper and no rnsbox left" "$helpers_before 0" "$(helpers) $(procs)"

	# --copy-up
	out=$(XDG_RUNTIME_DIR=$tmp/xdg "$R" exec --copy-up /etc -- sh -c '
		awk '\''$5 == "/etc" {print $9}'\'' /proc/self/mountinfo; readlink /etc/passwd; grep -c "^root:" /etc/passwd
		echo new >/etc/rnsbox-copy-up && rm /etc/hostname && echo "wrote=$?"' 2>&1)
	assert_contains "--copy-up /etc: /etc is a tmpfs inside (mountinfo)" "$out" "tmpfs"
	assert_contains "its entries are symlinks to the original contents" "$out" "$tmp/xdg/rnsbox-tmp/.ro0/passwd"
	assert_contains "which read as the originals" "$out" "1
wrote=0"
	if [ -e /etc/rnsbox-copy-up ] || [ ! -e /etc/hostname ]; then not_ok "--copy-up: the host's /etc is untouched" "$(ls -l /etc/hostname /etc/rnsbox-copy-up 2>&1)"
	else ok "--copy-up: the host's /etc is untouched"; fi
	out=$(XDG_RUNTIME_DIR=$tmp/xdg "$R" exec --copy-up /etc --net-helper slirp4netns -- sh -c 'readlink /etc/resolv.conf; head -n1 /etc/resolv.conf' 2>&1)
	assert_contains "--copy-up /etc with a helper: resolv.conf is replaced by a link to rnsbox's" "$out" "$tmp/xdg/rnsbox-tmp/resolv.conf
nameserver 10.0.2.3"
	assert_exit "--copy-up of a relative path is a usage error" 2 "$R" exec --copy-up etc true
	assert_exit "--copy-up of a missing directory fails" 1 "$R" exec --copy-up /nonexistent true
	assert_contains "naming it" "$out" "--copy-up /nonexistent: No such file or directory"

	# pasta, with a default route in the suite's namespace (pasta wants an outbound interface)
	if have pasta && have ip && ip link add rnsbox-o0 type veth peer name rnsbox-o1 2>/dev/null; then
		ip link set rnsbox-o0 up && ip link set rnsbox-o1 up && ip addr add 192.0.2.9/24 dev rnsbox-o0 &&
			ip route add default via 192.0.2.1 && ip -6 addr add 2001:db8::9/64 dev rnsbox-o0 nodad &&
			ip -6 route add default via 2001:db8::1
		nh_ok "exec -n --net-helper pasta (root)" pasta
		# pasta's own mode: the host's addresses and routes copied, DNS at a link-local
		# forwarder, the host's loopback at the gateway's address
		port=$((port + 1))
		serve $port "$tmp/got"
		out=$("$R" exec --net-helper pasta --pasta-mode=host -- sh -c 'toybox ifconfig tap0; cat /proc/net/route
			head -n1 /etc/resolv.conf; grep host.containers.internal /etc/hosts
			echo via-host-mode | timeout 5 toybox nc -q 1 -w 5 192.0.2.1 $0' $port 2>&1)
		assert_eq "--pasta-mode=host: the host's loopback is reached at the gateway's address" via-host-mode \
			"$(received "$tmp/got")"
		assert_contains "--pasta-mode=host: tap0 has the host's address (toybox ifconfig)" "$out" "inet addr:192.0.2.9"
		assert_contains "--pasta-mode=host: and the host's default route (/proc/net/route)" "$out" "tap0	00000000	010200C0"
		assert_contains "--pasta-mode=host: resolv.conf names the link-local forwarder" "$out" "nameserver 169.254.1.1"
		assert_contains "--pasta-mode=host: hosts names the gateway host.containers.internal" "$out" \
			"192.0.2.1 host.containers.internal"
		assert_exit "--pasta-mode with slirp4netns is a usage error" 2 "$R" exec --net-helper slirp4netns --pasta-mode=host true
		assert_exit "--pasta-mode=bogus is a usage error" 2 "$R" exec --net-helper pasta --pasta-mode=bogus true
		pasta_ok=1
	else
		skip "pasta cases: pasta or ip not installed (Debian: passt, iproute2)"
		pasta_ok=0
	fi
	# detect --net: each helper found, asked its version, and tried live on a throwaway namespace
	if [ "$jqok" = 1 ] && [ "$pasta_ok" = 1 ]; then
		assert_exit "detect --net (root, both helpers installed)" 0 "$R" detect --net --json
		assert_eq "detect --net: paths as the shell finds them, versions as --version's first line" \
			"$(command -v slirp4netns) $(command -v pasta) $(slirp4netns --version | head -n1)" \
			"$(printf '%s' "$out" | json '"\(.slirp4netns.path) \(.pasta.path) \(.slirp4netns.version)"')"
		assert_eq "detect --net: both trials pass, tap0 read back at 10.0.2.100; auto picks pasta" \
			"true 10.0.2.100 true 10.0.2.100 pasta" \
			"$(printf '%s' "$out" | json '"\(.pasta.trial.ok) \(.pasta.trial.address) \(.slirp4netns.trial.ok) \(.slirp4netns.trial.address) \(.auto)"')"
		assert_eq "detect --net: the argv rnsbox gives each (slirp4netns: --mtu; pasta: no -e)" "true false" \
			"$(printf '%s' "$out" | json '"\(.slirp4netns.argv | index("--mtu=65520") != null) \(.pasta.argv | index("-e") != null)"')"
		assert_exit "detect --net with a slirp4netns that fails: auto's pasta still works" 0 env PATH="$tmp/fake:$PATH" \
			"$R" detect --net --json
		assert_eq "and the failing trial says why, in the helper's own words" \
			"false --net-helper slirp4netns: exited with status 3; its stderr: fake helper: no tap for you" \
			"$(printf '%s' "$out" | json '"\(.slirp4netns.trial.ok) \(.slirp4netns.trial.error)"')"
		assert_exit "detect --net -q: nothing printed, the exit status alone" 0 "$R" detect --net -q
		assert_eq "detect --net -q prints nothing" "" "$out"
		out=$("$R" detect --net --shell 2>&1)
		assert_eq "detect --net --shell evaluates to the same facts" "1 10.0.2.100 pasta" \
			"$(eval "$out"; echo "$RNSBOX_SLIRP4NETNS_TRIAL_OK $RNSBOX_PASTA_TRIAL_ADDRESS $RNSBOX_AUTO")"
		assert_exit "detect --net with neither helper on PATH fails" 1 env PATH="$tmp/nobin" "$R" detect --net
		assert_contains "saying not found, with Debian's package" "$out" "Debian's package is slirp4netns"
		assert_eq "detect --net leaves no helper running" "$helpers_before" "$(helpers)"
	else
		skip "detect --net: needs jq and pasta"
	fi

	# pasta first, and probed: what the installed pasta takes is asked of the binary (OPTION
	# VALUE --version), once a binary, and kept in STATE/pasta.probe; never -e
	px=$tmp/probe-xdg
	mkdir -m 0700 "$px"
	if [ "$pasta_ok" = 1 ]; then
		out=$(XDG_RUNTIME_DIR=$px "$R" exec --net-helper --json-status-fd=3 -- toybox ifconfig tap0 3>&1 2>&1)
		assert_contains "a bare --net-helper picks pasta where it is installed and runs (--json-status-fd names it)" \
			"$out" '"net-helper": "pasta"}'
		assert_contains "and tap0 has the namespace's address" "$out" "inet addr:10.0.2.100"
		pb=$(command -v pasta)
		assert_contains "what it takes is kept in STATE/pasta.probe, with the binary's identity" \
			"$(cat "$px/pasta.probe" 2>&1)" "$pb $(stat -L -c '%d %i %s' "$pb")"
		caps=$(awk '{print $NF}' "$px/pasta.probe")
		if [ $((caps & 2)) = 0 ]; then # Debian 12's (2023-03): no --map-host-loopback
			assert_exit "--net-helper=pasta --disable-host-loopback, the installed pasta lacking --map-host-loopback: refused" 1 \
				env XDG_RUNTIME_DIR="$px" "$R" exec --net-helper=pasta --disable-host-loopback true
			assert_contains "naming the option it lacks, found by asking it" "$out" "lacks --map-host-loopback"
			out=$(XDG_RUNTIME_DIR=$px "$R" exec --net-helper --disable-host-loopback --json-status-fd=3 true 3>&1 2>&1)
			assert_contains "a bare --net-helper with --disable-host-loopback then picks slirp4netns, which can" \
				"$out" '"net-helper": "slirp4netns"}'
		else
			assert_exit "--net-helper=pasta --disable-host-loopback with a pasta that has --map-host-loopback" 0 \
				env XDG_RUNTIME_DIR="$px" "$R" exec --net-helper=pasta --disable-host-loopback true
		fi
		"$R" newns --shared "$tmp/autosh" acquire
		assert_eq "newns --shared picks pasta by default (info --json)" pasta \
			"$("$R" newns --shared "$tmp/autosh" info --json | json .helper.name)"
		"$R" newns --shared "$tmp/autosh" release
	fi
	mkdir "$tmp/nopasta"
	ln -s "$(command -v slirp4netns)" "$tmp/nopasta/slirp4netns"
	out=$(PATH=$tmp/nopasta XDG_RUNTIME_DIR=$px "$R" exec --net-helper --json-status-fd=3 /bin/true 3>&1 2>&1)
	assert_contains "a bare --net-helper with no pasta on PATH picks slirp4netns" "$out" '"net-helper": "slirp4netns"}'
	# a test double named pasta: an old one (takes none of the newer options, refuses -e)
	# and a new one (takes --map-host-loopback and --map-guest-addr); the argv it got is logged
	mkdir "$tmp/fp-old" "$tmp/fp-new"
	cp tests/fake-pasta.sh "$tmp/fp-old/pasta"
	cp tests/fake-pasta.sh "$tmp/fp-new/pasta"
	# fake_run old|new ARG...: rnsbox exec ARG... true with that pasta first on PATH; the
	# arguments of its last run (not a probe), space-separated, in $last
	fake_run() {
		fv=$1 takes=''
		shift
		[ "$fv" = old ] || takes="--map-host-loopback --map-guest-addr"
		out=$(FAKE_PASTA_LOG=$tmp/fp-$fv.log FAKE_PASTA_NO_E=1 FAKE_PASTA_TAKES=$takes PATH="$tmp/fp-$fv:$PATH" \
			XDG_RUNTIME_DIR=$px "$R" exec "$@" true 2>&1)
		last=$(awk '$0 == "--" {last = cur; cur = ""; next} {cur = cur " " $0} END {print last}' "$tmp/fp-$fv.log")
	}
	rm -f "$px/pasta.probe"
	fake_run old --net-helper=pasta
	assert_contains "a pasta that refuses -e: rnsbox gives it none, and it fails only as a helper, in its own words" \
		"$out" "(a test double): not a helper"
	case " $last " in *" -e "* | *" --map-"*) not_ok "no -e and none of the newer options for an old pasta" "$last" ;;
	*" --netns "*) ok "no -e and none of the newer options for an old pasta" ;;
	*) not_ok "the old pasta's run was logged" "$last" ;; esac
	probes=$(grep -c -- '^--version$' "$tmp/fp-old.log")
	fake_run old --net-helper=pasta
	assert_eq "asked once a binary: a second start asks nothing" "$probes" "$(grep -c -- '^--version$' "$tmp/fp-old.log")"
	touch -d '2001-01-01' "$tmp/fp-old/pasta"
	fake_run old --net-helper=pasta
	assert_eq "a binary replaced (its mtime changed) is asked again: --version, --map-host-loopback, --map-guest-addr" \
		$((probes + 3)) "$(grep -c -- '^--version$' "$tmp/fp-old.log")"
	fake_run new --net-helper=pasta --disable-host-loopback
	case " $last " in *" --map-host-loopback none "*) ok "a pasta with --map-host-loopback gets --map-host-loopback none for --disable-host-loopback" ;;
	*) not_ok "a pasta with --map-host-loopback gets --map-host-loopback none for --disable-host-loopback" "$last $out" ;; esac
	fake_run new --net-helper --disable-host-loopback
	assert_contains "and a bare --net-helper with --disable-host-loopback then picks that pasta" "$out" "--net-helper pasta:"
	fake_run new --net-helper=pasta --pasta-mode=host
	case " $last " in *" --map-guest-addr 169.254.1.2 "*"--config-net "*) ok "--pasta-mode=host: a pasta with --map-guest-addr gets it, for host.containers.internal" ;;
	*) not_ok "--pasta-mode=host: a pasta with --map-guest-addr gets it, for host.containers.internal" "$last" ;; esac
	fake_run old --net-helper=pasta --pasta-mode=host
	case " $last " in *" --map-"*) not_ok "--pasta-mode=host: an old pasta gets no --map-guest-addr" "$last" ;;
	*) ok "--pasta-mode=host: an old pasta gets no --map-guest-addr" ;; esac

	# published ports: a server in the namespace on 8080, reached from the host's loopback
	# listens PID PORT tcp|udp: whether PID's network namespace has PORT bound (TCP: listening)
	listens() {
		awk -v p="$(printf ':%04X' "$2")" -v u="$3" '$2 ~ p"$" && (u == "udp" || $4 == "0A") {f=1} END {exit !f}' \
			"/proc/$1/net/$3" 2>/dev/null
	}
	# serve_in PORT tcp|udp COMMAND...: COMMAND... sh -c SERVER, in the background: a
	# one-message server on PORT inside; returns once it listens. Its stdin is a FIFO the test
	# holds open (read-write, so opening never blocks): at EOF toybox nc half-closes, and
	# pasta then drops what the client sent.
	serve_in() {
		sport=$1 sproto=$2 su=''
		shift 2
		[ "$sproto" = udp ] && su=-u
		rm -f "$tmp/flags/srv" "$tmp/flags/srv.out" "$tmp/flags/srv.in"
		mkfifo -m 666 "$tmp/flags/srv.in"
		exec 7<>"$tmp/flags/srv.in"
		"$@" sh -c 'echo $$ >"$0"; exec timeout 10 toybox nc -4 $2 -l -p $1 >"$0.out" <"$0.in"' \
			"$tmp/flags/srv" "$sport" "$su" &
		srv_pid=$!
		wait_for test -s "$tmp/flags/srv"
		wait_for listens "$(cat "$tmp/flags/srv")" "$sport" "$sproto"
	}
	# serve_stop: end the server of serve_in (a UDP one does not end by itself) and what ran it
	serve_stop() {
		exec 7>&-
		kill "$(cat "$tmp/flags/srv")" 2>/dev/null
		wait "$srv_pid"
	}
	# send_to PORT MESSAGE [udp]: to 127.0.0.1:PORT, up to 3 times until the server has it;
	# then serve_stop, and $got is what the server received
	send_to() {
		for _ in 1 2 3; do
			# shellcheck disable=SC2046 # -u or nothing; toybox nc does not end by itself for UDP
			echo "$2" | timeout 2 toybox nc -4 $([ -n "${3-}" ] && echo -u) -q 1 -w 2 127.0.0.1 "$1" >/dev/null 2>&1
			wait_for test -s "$tmp/flags/srv.out" && break
		done
		serve_stop
		got=$(cat "$tmp/flags/srv.out" 2>&1)
	}
	# pub_ok LABEL HELPER PROTO [spawn_user] [EXEC OPTION]...: one message through a published port
	pub_ok() {
		label=$1 h=$2 proto=$3
		shift 3
		port=$((port + 1))
		if [ "${1-}" = spawn_user ]; then
			shift
			serve_in 8080 "$proto" spawn_user "$R" exec "$@" --net-helper "$h" --publish "127.0.0.1:$port:8080/$proto" --
		else
			serve_in 8080 "$proto" env XDG_RUNTIME_DIR="$tmp/xdgp" "$R" exec "$@" --net-helper "$h" \
				--publish "127.0.0.1:$port:8080/$proto" --
		fi
		send_to "$port" "via-$h-$proto" "$([ "$proto" = udp ] && echo udp)"
		assert_eq "$label: a message to 127.0.0.1:$port/$proto reaches the server on 8080 inside" "via-$h-$proto" "$got"
	}
	mkdir -m 700 "$tmp/xdgp"
	for h in slirp4netns pasta; do
		[ "$h" = pasta ] && [ "$pasta_ok" = 0 ] && continue
		pub_ok "exec --net-helper $h --publish (root)" "$h" tcp
		pub_ok "exec --net-helper $h --publish .../udp (root)" "$h" udp
		# a range of 20 ports (more than the 16 of before), one helper option or API call a port
		p0=$((port + 1)) port=$((port + 20))
		serve_in 8019 tcp env XDG_RUNTIME_DIR="$tmp/xdgp" "$R" exec --net-helper "$h" \
			--publish "127.0.0.1:$p0-$port:8000-8019" --
		send_to "$port" "via-$h-range"
		assert_eq "$h --publish FIRST-LAST:FIRST-LAST (20 ports): the last host port reaches the last port inside" \
			"via-$h-range" "$got"
		# a host port in use: a clear error, and nothing left
		port=$((port + 1))
		serve $port "$tmp/got"
		assert_exit "$h: --publish of a host port in use fails" 1 env XDG_RUNTIME_DIR="$tmp/xdgp" "$R" exec \
			--net-helper "$h" --publish "127.0.0.1:$port:8080" true
		case $h in
		slirp4netns) want="--publish 127.0.0.1:$port:8080/tcp: slirp4netns: bad request: add_hostfwd" ;;
		*) want="Failed to bind any port for '-t 127.0.0.1/$port:8080'" ;;
		esac
		assert_contains "$h: naming the port and the helper's words" "$out" "$want"
		echo "done" | toybox nc -w 2 127.0.0.1 $port
		wait_for helpers_back
		assert_eq "$h: and leaves no helper, rnsbox or API socket" "$helpers_before 0 rnsbox-tmp" \
			"$(helpers) $(procs) $(rm -f "$tmp/xdgp/pasta.probe"; ls -A "$tmp/xdgp")"
	done
	assert_exit "--publish without --net-helper is a usage error" 2 "$R" exec -n --publish 1:2 true

	# the built-in relay: --port-driver=builtin publishes with rnsbox's own sockets, no helper
	port=$((port + 1))
	serve_in 8080 tcp "$R" exec -n --port-driver=builtin --publish "127.0.0.1:$port:8080" --
	send_to "$port" via-builtin
	assert_eq "--port-driver=builtin --publish: a message to the host port reaches the server inside" via-builtin "$got"
	p0=$((port + 1)) port=$((port + 32))
	serve_in 8031 tcp "$R" exec -n --port-driver=builtin --publish "127.0.0.1:$p0-$port:8000-8031" --
	send_to "$port" via-builtin-32
	assert_eq "--port-driver=builtin with a range of 32 ports: the last one reaches its server" via-builtin-32 "$got"
	port=$((port + 1))
	serve_in 8080 tcp "$R" exec --net-helper slirp4netns --port-driver=builtin --publish "127.0.0.1:$port:8080" --
	send_to "$port" via-builtin-slirp
	assert_eq "--port-driver=builtin with slirp4netns for the way out: the relay publishes" via-builtin-slirp "$got"
	# 8 MiB each way through the relay, byte for byte (splice, half-close). toybox nc ends
	# once the other side has closed, so the side that only reads keeps its stdin open (a
	# FIFO opened read-write) and the side that sends half-closes when its file ends.
	head -c 8388608 /dev/urandom >"$tmp/big"
	want=$(cksum <"$tmp/big")
	mkfifo "$tmp/big.fifo"
	port=$((port + 1))
	"$R" exec -n --port-driver=builtin --publish "127.0.0.1:$port:8080" -- sh -c \
		'timeout 20 toybox nc -4 -l -p 8080 <>"$0.fifo" >"$0.in"; timeout 20 toybox nc -4 -l -p 8080 <"$0"' "$tmp/big" &
	rpid=$!
	wait_for listens "$rpid" 8080 tcp
	timeout 20 toybox nc -4 -q 10 127.0.0.1 "$port" <"$tmp/big" >/dev/null 2>&1
	i=0
	until [ -s "$tmp/big.out" ] || [ $i -ge 20 ]; do
		timeout 20 toybox nc -4 127.0.0.1 "$port" <>"$tmp/big.fifo" >"$tmp/big.out" 2>/dev/null
		i=$((i + 1))
		[ -s "$tmp/big.out" ] || sleep 0.1
	done
	wait "$rpid"
	assert_eq "the relay carries 8 MiB into the namespace and 8 MiB out, unchanged (cksum)" "$want $want" \
		"$(cksum <"$tmp/big.in") $(cksum <"$tmp/big.out")"
	assert_exit "--port-driver=builtin with a UDP port is a usage error" 2 "$R" exec -n --port-driver=builtin --publish 1:2/udp true
	assert_contains "saying it relays TCP only" "$out" "--publish 1/udp: the builtin port driver relays TCP only"
	assert_exit "--port-driver=builtin without a new network namespace is a usage error" 2 "$R" exec --port-driver=builtin --publish 1:2 true
	assert_exit "--port-driver with another value is a usage error" 2 "$R" exec -n --port-driver=slirp4netns --publish 1:2 true
	port=$((port + 1))
	serve $port "$tmp/got"
	assert_exit "--port-driver=builtin on a host port in use fails" 1 "$R" exec -n --port-driver=builtin --publish "127.0.0.1:$port:80" true
	assert_contains "naming the port and the cause (musl: in use; glibc: already in use)" "$out" "--publish 127.0.0.1:$port:80/tcp: Address"
	echo "done" | toybox nc -w 2 127.0.0.1 $port
	# --forward-unix: a namespace with no way out but ADDR:PORT, relayed to a host UNIX socket
	toybox nc -U -s "$tmp/px.sock" -L sh -c 'read -r l; echo "proxy: $l"' &
	pxpid=$!
	wait_for test -S "$tmp/px.sock"
	port=$((port + 1))
	serve $port "$tmp/got"
	out=$("$R" exec --forward-unix "3128:$tmp/px.sock" --forward-unix "127.0.0.2:3129:$tmp/px.sock" -- sh -c '
		echo GET | toybox nc -w 3 127.0.0.1 3128; echo ALT | toybox nc -w 3 127.0.0.2 3129
		for i in 1 2 3 4 5 6; do (echo "c$i" | toybox nc -w 3 127.0.0.1 3128 >"$0.$i") & done; wait; cat "$0".[1-6] | sort | tr "\n" " "; echo
		toybox nc -w 2 127.0.0.1 3130 </dev/null; echo "other port: $?"
		toybox nc -w 2 10.0.2.2 "$1" </dev/null; echo "outside: $?"
		wc -l </proc/net/route; awk -F: "NR > 2 {print \$1}" /proc/net/dev | tr -d " "' "$tmp/fwc" "$port" 2>&1)
	assert_contains "--forward-unix PORT:SOCKET: a client inside reaches the host's UNIX server" "$out" "proxy: GET"
	assert_contains "--forward-unix ADDR:PORT:SOCKET: at the address given" "$out" "proxy: ALT"
	assert_contains "six clients at once, each answered" "$out" "proxy: c1 proxy: c2 proxy: c3 proxy: c4 proxy: c5 proxy: c6"
	assert_contains "another port inside answers nothing" "$out" "other port: 1"
	assert_contains "nothing outside is reachable" "$out" "outside: 1"
	assert_contains "no route and no device but loopback (/proc/net/route, /proc/net/dev)" "$out" "1
lo"
	assert_eq "and the host's server got nothing" "" "$(cat "$tmp/got")"
	kill "$pxpid" 2>/dev/null
	echo "done" | toybox nc -w 2 127.0.0.1 $port
	assert_exit "--forward-unix to a file that is no socket fails" 1 "$R" exec --forward-unix 80:/etc/passwd true
	assert_contains "naming it" "$out" "--forward-unix /etc/passwd: "
	assert_contains "and the cause (musl: Not a socket; glibc: ... on non-socket)" "$out" "socket"
	assert_exit "--forward-unix to a missing socket fails" 1 "$R" exec --forward-unix "80:$tmp/nosuch" true
	assert_contains "naming it" "$out" "--forward-unix $tmp/nosuch: No such file or directory"
	assert_exit "--forward-unix without a socket is a usage error" 2 "$R" exec --forward-unix 80 true
	assert_contains "naming the form" "$out" "--forward-unix '80': is not [ADDR:]PORT:SOCKET"
	assert_eq "the relay cases leave no rnsbox" 0 "$(procs)"
	assert_exit "--publish with a port past 65535 is a usage error" 2 "$R" exec --net-helper slirp4netns --publish 70000:80 true
	assert_contains "naming it" "$out" "--publish: '70000:80' has a port that is not 1 to 65535"
	assert_exit "--publish with ranges of two lengths is a usage error" 2 "$R" exec --net-helper slirp4netns --publish 8000-8003:80-81 true
	assert_contains "naming it" "$out" "--publish: '8000-8003:80-81' has ranges of two lengths"
	assert_exit "--publish of a range backwards is a usage error" 2 "$R" exec --net-helper slirp4netns --publish 8003-8000:80-83 true
	assert_exit "--publish of more than 32 ports is a usage error" 2 "$R" exec --net-helper slirp4netns --publish 8000-8032:8000-8032 true
	assert_contains "naming the limit" "$out" "is one too many (32 ports at most)"
	assert_exit "--publish with a bad protocol is a usage error" 2 "$R" exec --net-helper slirp4netns --publish 80:80/sctp true

	# IPv6: fd00::100/64 on tap0, the route via fd00::2 (the host's ::1), DNS fd00::3
	for h in slirp4netns pasta; do
		[ "$h" = pasta ] && [ "$pasta_ok" = 0 ] && continue
		port=$((port + 1))
		# a server that listens again after a connection that brought nothing (one the helper
		# completed only after the client had given up), for about 40 s
		: >"$tmp/got6"
		(i=0; while [ $i -lt 8 ] && [ ! -s "$tmp/got6" ]; do
			sleep 5 | toybox nc -6 -l -p "$port" -s ::1 >>"$tmp/got6" 2>/dev/null; i=$((i + 1))
		done) &
		wait_for awk -v p="$(printf ':%04X' $port)" '$2 ~ p"$" && $4 == "0A" {f=1} END {exit !f}' /proc/net/tcp6
		# the client tries again (for about 20 s at most, within the server's 40): IPv6
		# through the helper can take a moment, and longer under ASan on a busy machine
		out=$("$R" exec --net-helper "$h" --ipv6 -- sh -c 'toybox ifconfig tap0; sed -n 2p /etc/resolv.conf; i=0
			until echo via-v6-$0 | timeout 3 toybox nc -6 -q 1 -w 2 fd00::2 $1; do
				i=$((i + 1)); [ $i -lt 8 ] || break; sleep 0.2
			done' "$h" $port 2>&1)
		got=$(received "$tmp/got6")
		assert_eq "$h --ipv6: a command reaches a server on the host's ::1 at fd00::2" "via-v6-$h" "$got"
		[ "$got" = "via-v6-$h" ] || echo "# what the command said (its end): $(printf '%s' "$out" | tail -c 800 | tr '\n' '|')"
		assert_contains "$h --ipv6: tap0 has fd00::100/64 (toybox ifconfig)" "$out" "inet6 addr: fd00::100/64 Scope: Global"
		assert_contains "$h --ipv6: resolv.conf names fd00::3 second" "$out" "nameserver fd00::3"
		kill $! 2>/dev/null
	done

	# --helper-timeout: one line on stderr after a second, then the failure at the limit
	printf '#!/bin/sh\nexec sleep 5\n' >"$tmp/fake4/slirp4netns"
	chmod 755 "$tmp/fake4/slirp4netns"
	assert_exit "a helper that is not ready within --helper-timeout=2 fails" 1 env PATH="$tmp/fake4:$PATH" \
		"$R" exec --net-helper slirp4netns --helper-timeout=2 true
	assert_eq "with one progress line after 1 s, then the failure" \
		"rnsbox: exec: --net-helper slirp4netns: not ready after 1 s; waiting up to 2 s (--helper-timeout)
rnsbox: exec: --net-helper slirp4netns: not ready after 2 s" "$out"
	assert_exit "--helper-timeout=0 is a usage error" 2 "$R" exec --net-helper slirp4netns --helper-timeout=0 true
	wait_for helpers_back
	assert_eq "after the timeout: no helper or rnsbox left" "$helpers_before 0" "$(helpers) $(procs)"

	# rootless: a tun node of the suite's own is bound over /dev/net/tun in the suite's mount
	# namespace, and its mode set for each case; the host's node is never touched
	if ! { mknod "$tmp/tun" c 10 200 && chmod 0600 "$tmp/tun" && mount --bind "$tmp/tun" /dev/net/tun; }; then
		not_ok "a tun node of the suite's own bound over /dev/net/tun (the rootless cases need it)"
	fi
	assert_exit "rootless with /dev/net/tun closed to the user: fails" 1 as_user "$R" exec -Ur --net-helper slirp4netns true
	assert_contains "naming the helper, /dev/net/tun and the helper's own words" "$out" "--net-helper slirp4netns: exited with status 1, /dev/net/tun: Permission denied; its stderr: open(\"/dev/net/tun\")"
	assert_contains "with a hint" "$out" "hint: the helper needs /dev/net/tun"
	assert_eq "and leaves no helper or rnsbox" "$helpers_before 0" "$(helpers) $(procs)"
	# the built-in relay needs no /dev/net/tun: rootless ports and proxy-only egress here
	port=$((port + 1))
	serve_in 8080 tcp spawn_user "$R" exec -Urn --port-driver=builtin --publish "127.0.0.1:$port:8080" --
	send_to "$port" via-rootless-builtin
	assert_eq "rootless --port-driver=builtin --publish with /dev/net/tun closed: reaches the server inside" \
		via-rootless-builtin "$got"
	mkdir "$tmp/upx" && chown "$tuid" "$tmp/upx"
	spawn_user toybox nc -U -s "$tmp/upx/px.sock" -L sh -c 'read -r l; echo "proxy: $l"' &
	upxpid=$!
	wait_for test -S "$tmp/upx/px.sock"
	assert_eq "rootless --forward-unix: a client inside reaches the user's UNIX server" "proxy: GET" \
		"$(as_user "$R" exec -Ur --forward-unix "3128:$tmp/upx/px.sock" -- sh -c 'echo GET | toybox nc -w 3 127.0.0.1 3128' 2>&1)"
	kill "$upxpid" 2>/dev/null
	if [ "$jqok" = 1 ]; then
		assert_exit "rootless detect --net with /dev/net/tun closed to the user: fails" 1 as_user "$R" detect --net --json
		assert_eq "saying so for /dev/net/tun and each trial, with the remedy" \
			"false false false the helper needs /dev/net/tun, which this user cannot open read-write" \
			"$(printf '%s' "$out" | json '"\(.dev_net_tun.usable) \(.slirp4netns.trial.ok) \(.pasta.trial.ok) \(.slirp4netns.trial.hint)"')"
		assert_contains "and the helper's own words" "$(printf '%s' "$out" | json .slirp4netns.trial.error)" "/dev/net/tun: Permission denied"
	fi
	chmod 0666 "$tmp/tun"
	if [ "$jqok" = 1 ] && [ "$pasta_ok" = 1 ]; then
		assert_exit "rootless detect --net once the user may open /dev/net/tun" 0 as_user "$R" detect --net --json
		assert_eq "both trials pass, in a user namespace of the trial's own (--userns in the argv)" \
			"true true true" "$(printf '%s' "$out" | json '"\(.slirp4netns.trial.ok) \(.pasta.trial.ok) \(.pasta.argv | index("--userns") != null)"')"
	fi
	for h in slirp4netns pasta; do
		[ "$h" = pasta ] && [ "$pasta_ok" = 0 ] && continue
		port=$((port + 1))
		serve $port "$tmp/got"
		out=$(as_user "$R" exec -Urn --net-helper "$h" -- sh -c 'echo via-$0 | toybox nc -w 5 10.0.2.2 $1; id -u; head -n1 /etc/resolv.conf' "$h" $port 2>&1)
		assert_eq "rootless exec -Urn --net-helper $h: reaches the server on the host's loopback" "via-$h" "$(received "$tmp/got")"
		assert_contains "rootless $h: uid 0 inside, and the generated resolv.conf" "$out" "0
nameserver 10.0.2.3"
		out=$(as_user "$R" exec -Urn --net-helper "$h" --ipv6 -- toybox ifconfig tap0 2>&1)
		assert_contains "rootless $h --ipv6: tap0 has fd00::100/64" "$out" "inet6 addr: fd00::100/64 Scope: Global"
		pub_ok "rootless exec -Urn --net-helper $h --publish" "$h" tcp spawn_user -Urn
		pub_ok "rootless exec -Urn --net-helper $h --publish .../udp" "$h" udp spawn_user -Urn
		ups=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
		if [ "$ups" -gt 80 ]; then
			assert_exit "rootless $h --publish 80 (a privileged port) fails" 1 as_user "$R" exec -Urn --net-helper "$h" \
				--publish 127.0.0.1:80:80 true
			assert_contains "naming the sysctl and its value, as rootlesskit does" "$out" \
				"hint: host port 80 is below net.ipv4.ip_unprivileged_port_start ($ups)"
		else
			skip "rootless $h --publish 80: net.ipv4.ip_unprivileged_port_start is $ups here"
		fi
	done
	# out of fds where the helper opens /dev/net/tun: the hint follows the errno, it does not
	# blame the device's permissions. The fd count at which that open fails is found by trying.
	found=''
	for lim in 9 10 11 12 13 14 15 16 17 18 19 20; do
		got=$(as_user sh -c 'ulimit -n "$1"; exec "$0" exec -Urn --net-helper slirp4netns true' "$R" "$lim" 2>&1)
		case $got in *"/dev/net/tun: No file descriptors available"* | *"/dev/net/tun: Too many open files"*) found=$lim; break ;; esac
	done
	if [ -n "$found" ]; then
		assert_contains "ulimit -n $found: /dev/net/tun's EMFILE gets the fd hint" "$got" "hint: out of file descriptors (ulimit -n)"
		case $got in *"cannot open read-write"*) not_ok "and not the permissions hint" "$got" ;; *) ok "and not the permissions hint" ;; esac
	else
		skip "EMFILE at /dev/net/tun: no ulimit -n from 9 to 20 made that open fail here"
	fi

	# newns --net-helper: a pin with a helper, its pid file (in the runtime directory as root's
	# uid fixes it, XDG_RUNTIME_DIR aside; by the namespace's inode, never beside the pin), and
	# --rm. hs: what that directory's helpers/ holds, compared with what it held before (the
	# directory is root's, which other rnsbox users on the machine may share)
	d=$tmp/nh
	mkdir "$d" && mkdir -m 700 "$tmp/xdgh"
	base=$(pins)
	XDG_RUNTIME_DIR=$tmp/xdgh
	export XDG_RUNTIME_DIR
	hd=$(env -u XDG_RUNTIME_DIR "$R" detect --shell | sed -n "s/^RNSBOX_RUNTIME_DIR_PATH='\(.*\)'$/\1/p")/helpers
	hs() { for f in "$hd"/*; do [ -e "$f" ] && case " $hs_before " in *" ${f##*/} "*) ;; *) printf '%s ' "${f##*/}" ;; esac; done; }
	hs_before=$(for f in "$hd"/*; do [ -e "$f" ] && printf '%s ' "${f##*/}"; done)
	assert_exit "newns --net-helper slirp4netns PATH" 0 "$R" newns --net-helper slirp4netns "$d/n"
	hf=$hd/net-$(stat -L -c %i "$d/n")
	pid=$(head -n1 "$hf")
	assert_eq "RUNTIME_DIR/helpers/net-INODE names a running slirp4netns, and how it was started" \
		"slirp4netns slirp4netns 10.0.2.0/24 65520 host-loopback" "$(cat "/proc/$pid/comm" 2>&1) $(sed -n 2p "$hf")"
	assert_eq "nothing but the pin is beside it" "n" "$(ls -A "$d")"
	port=$((port + 1))
	serve $port "$tmp/got"
	out=$(nsenter --net="$d/n" sh -c 'toybox ifconfig tap0; echo via-pin | toybox nc -w 5 10.0.2.2 $0' $port 2>&1)
	assert_eq "the pinned namespace reaches the host's loopback through its helper" "via-pin" "$(received "$tmp/got")"
	assert_contains "tap0 in it has 10.0.2.100 (nsenter --net=PATH, toybox ifconfig)" "$out" "inet addr:10.0.2.100"
	assert_exit "newns --rm PATH" 0 "$R" newns --rm "$d/n"
	i=0
	while [ -d "/proc/$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
	assert_eq "--rm ends the helper and removes the pin and its pid file" "$clean $helpers_before" \
		"$(leftovers "$d") $(helpers)$(hs)"
	# --rm without the XDG_RUNTIME_DIR the pin was made with (sudo strips it): the helper's
	# state does not depend on it; the helper is ended and its state removed
	mkdir -m 700 "$tmp/xdgo"
	XDG_RUNTIME_DIR=$tmp/xdgo "$R" newns --net-helper slirp4netns "$d/o" >/dev/null
	hf=$hd/net-$(stat -L -c %i "$d/o")
	pid=$(head -n1 "$hf")
	assert_exit "newns --rm without the maker's XDG_RUNTIME_DIR" 0 env -u XDG_RUNTIME_DIR "$R" newns --rm "$d/o"
	assert_eq "ends the helper and removes its state there" "gone absent" \
		"$(wait_for gone "$pid" && echo gone) $([ -e "$hf" ] && echo present || echo absent)"
	# interrupted while it waits for a helper that never says ready: TERM and HUP undo it
	# all and exit 128+N; after SIGKILL the pin and the helper remain, and --rm clears both:
	# the pid file written ahead says a helper was being started, and its marks find it.
	# (INT and QUIT are ignored in a background job.)
	mkdir "$tmp/fakeslow" "$tmp/fakeeof"
	printf '#!/bin/sh\necho $$ >%s/flags/slow\nwhile :; do sleep 1; done\n' "$tmp" >"$tmp/fakeslow/slirp4netns"
	printf '#!/bin/sh\nfor a; do case $a in --ready-fd=*) eval "exec ${a#--ready-fd=}>&-" ;; esac; done\nwhile :; do sleep 1; done\n' \
		>"$tmp/fakeeof/slirp4netns"
	chmod 755 "$tmp/fakeslow/slirp4netns" "$tmp/fakeeof/slirp4netns"
	# slow_newns: newns with the slow helper in the background, once the helper runs; $rp, $hp
	slow_newns() {
		rm -f "$tmp/flags/slow"
		env PATH="$tmp/fakeslow:$PATH" "$R" newns --net-helper slirp4netns --helper-timeout 30 "$d/s" 2>"$tmp/slow.err" &
		rp=$!
		wait_for test -s "$tmp/flags/slow"
		hp=$(cat "$tmp/flags/slow")
	}
	for sig in TERM:15 HUP:1; do
		slow_newns
		kill -"${sig%:*}" "$rp"
		wait "$rp"
		st=$?
		wait_for gone "$hp"
		assert_eq "newns --net-helper, SIG${sig%:*} while it waits: exits 128+N, no pin, pid file or helper" \
			"$((128 + ${sig#*:})) $clean gone" "$st $(leftovers "$d") $(gone "$hp" && echo gone)$(hs)"
	done
	assert_contains "saying what interrupted it" "$(cat "$tmp/slow.err")" "interrupted by SIGHUP while waiting for it"
	slow_newns
	kill -KILL "$rp"
	wait "$rp"
	assert_eq "SIGKILL while it waits: the pin and the helper remain" "nsfs alive" \
		"$(stat -f -c %T "$d/s") $(comm_is "$hp" slirp4netns && echo alive)"
	"$R" newns --rm "$d/s"
	wait_for gone "$hp"
	assert_eq "and newns --rm clears both, the helper found by its marks, and its pid file" "$clean gone" \
		"$(leftovers "$d") $(gone "$hp" && echo gone)$(hs)"
	assert_exit "a helper that closes its ready pipe and stays: fails at once (no wait for its end)" 1 \
		timeout 20 env PATH="$tmp/fakeeof:$PATH" "$R" newns --net-helper slirp4netns --helper-timeout 30 "$d/e"
	assert_contains "saying so" "$out" "closed its ready pipe without saying it is ready"
	assert_eq "and leaves nothing" "$clean $helpers_before" "$(leftovers "$d") $(helpers)$(hs)"
	assert_exit "newns --net-helper with a failing helper fails" 1 env PATH="$tmp/fake:$PATH" "$R" newns --net-helper slirp4netns "$d/n"
	assert_eq "and leaves no pin, pid file or process" "$clean $helpers_before" "$(leftovers "$d") $(helpers)$(hs)"
	if have ip; then
		[ -d /run/netns ] || made_run_netns=1
		[ -d /etc/netns ] || made_etc_netns=1 # a helper's resolv.conf goes to /etc/netns/NAME
		"$R" newns --net-helper slirp4netns "/run/netns/rnsbox-h$$" >/dev/null
		assert_eq "newns --net-helper at /run/netns/NAME: ip netns list shows NAME once (no NAME.pid)" 1 \
			"$(ip netns list | grep -c "rnsbox-h$$")"
		assert_eq "and /run/netns holds the pin alone" "/run/netns/rnsbox-h$$" "$(ls -d /run/netns/rnsbox-h$$*)"
		"$R" newns --rm "/run/netns/rnsbox-h$$"
		# with a helper, NAME also gets /etc/netns/NAME/resolv.conf, for ip netns exec
		nm=rnsbox-e$$
		"$R" newns --net-helper slirp4netns "$nm" >/dev/null
		assert_eq "newns --net-helper NAME: ip netns exec NAME gets the helper's DNS (/etc/netns/NAME/resolv.conf)" \
			"nameserver 10.0.2.3" "$(ip netns exec "$nm" grep -m1 ^nameserver /etc/resolv.conf 2>&1)"
		"$R" newns --rm "$nm"
		assert_eq "newns --rm NAME removes /etc/netns/NAME too" no "$([ -e "/etc/netns/$nm" ] && echo yes || echo no)"
		mkdir -p "/etc/netns/$nm"
		echo "nameserver 192.0.2.53" >"/etc/netns/$nm/resolv.conf"
		out=$("$R" newns --net-helper slirp4netns "$nm" 2>&1)
		assert_contains "a resolv.conf there that is not rnsbox's is left, with a warning" "$out" "not rnsbox's: left as it is"
		"$R" newns --rm "$nm"
		assert_eq "and --rm leaves it too" "nameserver 192.0.2.53" "$(cat "/etc/netns/$nm/resolv.conf")"
		rm -r "/etc/netns/$nm"
	fi
	unset XDG_RUNTIME_DIR
	assert_exit "newns --net-helper with --type uts is a usage error" 2 "$R" newns --net-helper slirp4netns -t uts "$d/u"
	# newns -p and --shared publish|unpublish|ports: a server in the pinned namespace, run by
	# nsenter (a process whose /proc/PID/net shows the namespace), reached from the host
	port=$((port + 1))
	assert_exit "newns --net-helper slirp4netns -p 127.0.0.1:$port:8080" 0 env XDG_RUNTIME_DIR="$tmp/xdgh" \
		"$R" newns --net-helper slirp4netns -p "127.0.0.1:$port:8080" "$d/pp"
	serve_in 8080 tcp nsenter --net="$d/pp"
	send_to $port via-newns
	assert_eq "newns -p: the pinned namespace's server is reached from the host" via-newns "$got"
	assert_eq "and the API socket is gone once the port is published" "" "$(hs | tr ' ' '\n' | grep 'sock$')"
	XDG_RUNTIME_DIR=$tmp/xdgh "$R" newns --rm "$d/pp"
	wait_for helpers_back
	sp=$tmp/shp p1=$((port + 1)) p2=$((port + 2))
	port=$p2
	assert_exit "--shared --publish acquire" 0 "$R" newns --shared "$sp" --net-helper slirp4netns --publish "127.0.0.1:$p1:8080" acquire
	serve_in 8080 tcp nsenter --net="$sp/netns"
	send_to $p1 via-shared
	assert_eq "--shared: the published port reaches the shared namespace" via-shared "$got"
	assert_exit "--shared publish a UDP port while it runs" 0 "$R" newns --shared "$sp" publish "127.0.0.1:$p2:8081/udp"
	serve_in 8081 udp nsenter --net="$sp/netns"
	send_to $p2 via-udp udp
	assert_eq "--shared publish: the UDP port reaches it" via-udp "$got"
	assert_eq "--shared ports lists both" "127.0.0.1:$p1:8080/tcp 127.0.0.1:$p2:8081/udp" "$("$R" newns --shared "$sp" ports | words)"
	if [ "$jqok" = 1 ]; then
		assert_eq "info.json records them" "127.0.0.1:$p1:8080/tcp 127.0.0.1:$p2:8081/udp" "$(json '.ports | join(" ")' <"$sp/info.json")"
	fi
	assert_exit "--shared publish of a port published already fails" 1 "$R" newns --shared "$sp" publish "127.0.0.1:$p1:8080"
	assert_exit "--shared unpublish" 0 "$R" newns --shared "$sp" unpublish "127.0.0.1:$p1:8080"
	assert_eq "and the port is gone from the list" "127.0.0.1:$p2:8081/udp" "$("$R" newns --shared "$sp" ports)"
	serve_in 8080 tcp nsenter --net="$sp/netns"
	assert_exit "and nothing answers on it any more" 1 toybox nc -4 -w 2 127.0.0.1 $p1 </dev/null
	serve_stop
	assert_exit "--shared unpublish of a port not published fails" 1 "$R" newns --shared "$sp" unpublish "127.0.0.1:$p1:8080"
	# exec --state-dir: an exec session laid out as a shared namespace, so its verbs work on it
	sd=$tmp/sess p3=$((port + 1)) p4=$((port + 2)) hb=$(helpers)
	port=$p4
	serve_in 8082 tcp "$R" exec --state-dir "$sd" --net-helper slirp4netns --publish "127.0.0.1:$p3:8081" --
	assert_eq "exec --state-dir: DIR has child_pid, the helper's pid file and API socket, one holder" \
		"api.sock child_pid holders info.json lock netns.pid refcount 1" "$(cd "$sd" && echo *) $(cat "$sd/refcount")"
	assert_eq "child_pid is the command's, in the session's network namespace" "$(stat -L -c %i "/proc/$(cat "$tmp/flags/srv")/ns/net")" \
		"$(stat -L -c %i "/proc/$(cat "$sd/child_pid")/ns/net")"
	assert_eq "--shared=DIR ports lists the session's port" "127.0.0.1:$p3:8081/tcp" "$("$R" newns --shared "$sd" ports)"
	if [ "$jqok" = 1 ]; then
		cmd=$("$R" newns --shared "$sd" info --json | json '"\(.pinned) \(.netns) \(.nsenter)"')
		assert_eq "--shared=DIR info on a session: its command's namespace, and a util-linux nsenter line" \
			"true /proc/$(cat "$sd/child_pid")/ns/net nsenter -t $(cat "$sd/child_pid") -n" "$cmd"
		assert_eq "which util-linux nsenter runs into the session's network namespace" \
			"$(stat -L -c %i "/proc/$(cat "$sd/child_pid")/ns/net")" "$(sh -c "${cmd#* * } stat -L -c %i /proc/self/ns/net" 2>&1)"
	fi
	assert_exit "--shared=DIR publish adds one while the session runs" 0 "$R" newns --shared "$sd" publish "127.0.0.1:$p4:8082"
	send_to "$p4" via-session
	assert_eq "and it reaches the server inside" via-session "$got"
	wait_for test ! -e "$sd/child_pid"
	assert_eq "once the session ends, DIR is left empty and its helper is gone" "left: * $hb" "left: $(cd "$sd" && echo *) $(helpers)"
	"$R" exec --state-dir "$sd" --net-helper slirp4netns -- sleep 60 &
	spid=$!
	wait_for test -s "$sd/child_pid"
	assert_exit "exec --state-dir on a DIR a live session holds is refused" 1 "$R" exec --state-dir "$sd" -n true
	assert_contains "saying so" "$out" "--state-dir $sd: held by a live process"
	kill -KILL "$spid"
	wait "$spid" 2>/dev/null
	kill "$(cat "$sd/child_pid")" 2>/dev/null
	assert_exit "a session killed with SIGKILL: --shared=DIR gc" 0 "$R" newns --shared "$sd" gc
	wait_for helpers_back_to "$hb"
	assert_eq "drops its reference and clears DIR; its helper is gone" "left: * $hb" "left: $(cd "$sd" && echo *) $(helpers)"
	pr=$((port + 1)) port=$((port + 2))
	assert_exit "--shared publish of a range" 0 "$R" newns --shared "$sp" publish "127.0.0.1:$pr-$port:9000-9001"
	assert_eq "--shared ports lists each port of it" "127.0.0.1:$p2:8081/udp 127.0.0.1:$pr:9000/tcp 127.0.0.1:$port:9001/tcp" \
		"$("$R" newns --shared "$sp" ports | words)"
	assert_exit "--shared unpublish of the range" 0 "$R" newns --shared "$sp" unpublish "127.0.0.1:$pr-$port:9000-9001"
	assert_eq "and it is gone from the list" "127.0.0.1:$p2:8081/udp" "$("$R" newns --shared "$sp" ports)"
	assert_exit "--shared publish with no SPEC is a usage error" 2 "$R" newns --shared "$sp" publish
	assert_exit "--shared release" 0 "$R" newns --shared "$sp" release
	assert_eq "the last release removes everything, the API socket too" "$clean $helpers_before" "$(leftovers "$sp") $(helpers)"

	# the shared, reference-counted namespace
	s=$tmp/sharedns
	shared() { "$R" newns --shared "$s" --net-helper slirp4netns "$@"; }
	assert_exit "--shared DIR acquire" 0 shared acquire
	assert_eq "DIR is 0700 with the pin, netns.pid, api.sock, refcount, lock, info.json, hosts, resolv.conf" \
		"700 api.sock holders hosts info.json lock netns netns.pid refcount resolv.conf" "$(stat -c %a "$s") $(cd "$s" && echo *)"
	if [ "$jqok" = 1 ]; then
		assert_eq "info --json: pinned, count 1, helper running, the addresses" "true 1 slirp4netns true 10.0.2.100/24 10.0.2.2 10.0.2.3" \
			"$(shared info --json | json '[.pinned, .refcount, .helper.name, .helper.running, .address, .gateway, .dns] | map(tostring) | join(" ")')"
		assert_eq "info.json says the same" "1 true" "$(json '"\(.refcount) \(.helper.running)"' <"$s/info.json")"
	fi
	assert_eq "the pin is a network namespace's (mountinfo)" "net:[$(stat -L -c %i "$s/netns")]" "$(nsfs_at "$s/netns")"
	out=$(shared run -- sh -c 'cat $0/refcount; head -n1 /etc/resolv.conf; toybox ifconfig tap0 | grep -c 10.0.2.100' "$s" 2>&1)
	assert_eq "run holds a reference while CMD runs in the namespace with DIR's resolv.conf" "2 nameserver 10.0.2.3 1" "$(echo "$out" | words)"
	assert_eq "and drops it after" 1 "$(cat "$s/refcount")"
	# joining it from outside: rnsbox nsenter --shared, util-linux nsenter with info's command
	pino=$(stat -L -c %i "$s/netns")
	out=$("$R" nsenter --shared "$s" sh -c 'stat -L -c %i /proc/self/ns/net; head -n1 /etc/resolv.conf; cat $0/refcount' "$s" 2>&1)
	assert_eq "nsenter --shared DIR: the pin's namespace, DIR's resolv.conf, and no reference taken" \
		"$pino nameserver 10.0.2.3 1" "$(echo "$out" | words)"
	if [ "$jqok" = 1 ]; then
		cmd=$(shared info --json | json '"\(.keeper) \(.nsenter)"')
		assert_eq "info --json: no keeper for root, and a util-linux nsenter command" "null nsenter --net='$s/netns'" "$cmd"
		assert_eq "which util-linux nsenter runs into the pin's namespace" "$pino" \
			"$(sh -c "${cmd#null } stat -L -c %i /proc/self/ns/net" 2>&1)"
	fi
	assert_exit "exec --net=DIR/netns (unshare's: pin a new one there) refuses a shared pin" 2 "$R" exec --net="$s/netns" true
	assert_contains "naming it and nsenter --shared" "$out" "--net=$s/netns: a shared namespace's pin; no new one is pinned over it"
	assert_eq "and leaves the pin as it was" "$pino 1" "$(stat -L -c %i "$s/netns") $(grep -c " $s/netns " /proc/self/mountinfo)"
	assert_exit "nsenter --shared DIR with no shared namespace there fails" 1 "$R" nsenter --shared "$tmp/nosuch" true
	assert_contains "saying so" "$out" "--shared $tmp/nosuch: no shared network namespace is pinned there"
	hpid=$(head -n1 "$s/netns.pid")
	kill -KILL "$hpid"
	i=0
	while [ -e "/proc/$hpid" ] && [ "$(awk '{print $3}' "/proc/$hpid/stat" 2>/dev/null)" != Z ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
	out=$(shared acquire 2>&1)
	npid=$(head -n1 "$s/netns.pid")
	assert_contains "a helper killed is noticed by the next acquire" "$out" "is not running; starting it again"
	if [ "$npid" != "$hpid" ] && [ "$(cat "/proc/$npid/comm" 2>&1)" = slirp4netns ]; then ok "and started again (a new pid in netns.pid)"
	else not_ok "and started again (a new pid in netns.pid)" "old $hpid new $npid"; fi
	assert_eq "the namespace works through the new helper" 1 "$(shared run -- sh -c 'toybox ifconfig tap0 | grep -c 10.0.2.100' 2>&1)"
	assert_exit "release" 0 shared release
	assert_exit "release the last reference" 0 shared release
	assert_eq "the last release removes the pin, the helper and DIR's files" "$clean $helpers_before" "$(leftovers "$s") $(helpers)"
	assert_exit "a release below zero is clamped" 0 shared release
	assert_contains "with a warning" "$out" "the reference count is already zero; it stays zero"
	# a holder killed with SIGKILL is accounted for by gc
	sh -c '"$0" newns --shared "$1" --net-helper slirp4netns acquire && kill -KILL $$' "$R" "$s"
	assert_eq "a holder killed after acquire leaves its reference" 1 "$(cat "$s/refcount")"
	assert_exit "gc" 0 shared gc
	assert_contains "gc drops the reference of the holder that is gone" "$out" "is gone; its 1 reference(s) are dropped"
	assert_eq "and, at zero, removes the namespace" "$clean $helpers_before" "$(leftovers "$s") $(helpers)"
	# 32 processes at once
	i=0
	while [ $i -lt 32 ]; do
		(shared acquire && shared run -- true && shared release) >"$tmp/conc$i" 2>&1 &
		i=$((i + 1))
	done
	wait
	assert_eq "32 concurrent acquire/run/release: every one succeeded" "" "$(cat "$tmp"/conc* | head -n3)"
	assert_eq "and the count ended at zero: nothing mounted, no helper, no file" "$clean $helpers_before" "$(leftovers "$s") $(helpers)"
	# one DIR from two mount namespaces: the pin made in the first is not there in the second,
	# whose acquire must refuse and keep the live holder's reference
	s2=$tmp/sh2
	"$R" exec -m sh -c '"$0" newns --shared "$1" --net-helper slirp4netns acquire && : >"$2" && exec sleep 60' "$R" "$s2" "$tmp/flags/mnt1" &
	mpid1=$!
	wait_for test -e "$tmp/flags/mnt1"
	assert_exit "--shared acquire from a second mount namespace while the first holds it fails" 1 "$R" newns --shared "$s2" --net-helper slirp4netns acquire
	assert_contains "saying live processes hold it and nothing is pinned here" "$out" "live processes hold 1 reference(s)"
	assert_eq "the live holder's reference is kept" 1 "$(cat "$s2/refcount")"
	kill "$mpid1"
	wait "$mpid1" 2>/dev/null
	assert_exit "once that holder is gone, gc from here drops its reference" 0 "$R" newns --shared "$s2" gc
	assert_eq "and removes the pin, the helper and every file" "$clean $helpers_before" "$(leftovers "$s2") $(helpers)"
	assert_exit "a first acquire whose helper fails" 1 env PATH="$tmp/fake:$PATH" "$R" newns --shared "$s" --net-helper slirp4netns acquire
	assert_eq "leaves no pin, state file or process" "$clean $helpers_before" "$(leftovers "$s") $(helpers)"
	# rootless: inside the user's own user and mount namespace
	mkdir "$tmp/ush" && chown "$tuid" "$tmp/ush"
	out=$(as_user "$R" exec -Urm sh -c '
		"$0" newns --shared "$1" --net-helper slirp4netns acquire && "$0" newns --shared "$1" --net-helper slirp4netns run -- head -n1 /etc/resolv.conf &&
			"$0" newns --shared "$1" release && echo "left: $(cd "$1" && echo *)"' "$R" "$tmp/ush/s" 2>&1)
	assert_eq "rootless --shared acquire, run and release (under exec -Urm)" "nameserver 10.0.2.3 left: *" "$(echo "$out" | words)"
	# rootless with no exec -Urm: a keeper holds the user and mount namespace for every session
	k=$tmp/ush/k
	assert_exit "rootless --shared acquire as a plain user starts a keeper" 0 as_user "$R" newns --shared "$k" --net-helper slirp4netns acquire
	kp=$(cut -d' ' -f1 "$k/keeper" 2>/dev/null)
	assert_eq "DIR/keeper names a live rnsbox in a user namespace of its own" "rnsbox other" \
		"$(cat "/proc/$kp/comm" 2>&1) $([ "$(stat -L -c %i "/proc/$kp/ns/user")" != "$(stat -L -c %i /proc/self/ns/user)" ] && echo other)"
	n1=$(as_user "$R" newns --shared "$k" --net-helper slirp4netns run -- stat -L -c %i /proc/self/ns/net 2>&1)
	n2=$(as_user sh -c 'exec "$0" newns --shared "$1" --net-helper slirp4netns run -- stat -L -c %i /proc/self/ns/net' "$R" "$k" 2>&1)
	assert_eq "two separate runs share one network namespace: the pin's, seen from the keeper" \
		"$n1 $n1" "$n2 $(nsenter -t "$kp" -m stat -L -c %i "$k/netns" 2>&1)"
	assert_exit "release, the last reference" 0 as_user "$R" newns --shared "$k" release
	wait_for gone "$kp"
	wait_for helpers_back
	assert_eq "at zero the keeper and the helper end, and DIR is left empty" "gone $helpers_before left: *" \
		"$(gone "$kp" && echo gone) $(helpers) left: $(cd "$k" && echo *)"
	as_user "$R" newns --shared "$k" --net-helper slirp4netns acquire
	kp=$(cut -d' ' -f1 "$k/keeper" 2>/dev/null)
	kill -KILL "$kp"
	wait_for gone "$kp"
	out=$(as_user "$R" newns --shared "$k" --net-helper slirp4netns acquire 2>&1)
	assert_contains "a keeper killed is noticed by the next acquire" "$out" "its keeper (pid $kp) is gone"
	assert_eq "which starts a new one, and the namespace works again" 1 \
		"$(as_user "$R" newns --shared "$k" --net-helper slirp4netns run -- sh -c 'toybox ifconfig tap0 | grep -c 10.0.2.100' 2>&1)"
	kp=$(cut -d' ' -f1 "$k/keeper" 2>/dev/null)
	as_user "$R" newns --shared "$k" release
	wait_for gone "$kp"
	wait_for helpers_back
	assert_eq "and its release leaves nothing" "gone $helpers_before left: *" "$(gone "$kp" && echo gone) $(helpers) left: $(cd "$k" && echo *)"
	as_user "$R" newns --shared "$k" --net-helper slirp4netns acquire
	kp=$(cut -d' ' -f1 "$k/keeper" 2>/dev/null)
	kill -KILL "$kp"
	wait_for gone "$kp"
	out=$(as_user "$R" newns --shared "$k" gc 2>&1)
	wait_for helpers_back
	assert_contains "gc notices a keeper that is gone too" "$out" "its keeper (pid $kp) is gone"
	assert_eq "and clears it all: no helper, no file" "$helpers_before left: *" "$(helpers) left: $(cd "$k" && echo *)"
	assert_exit "rootless nsenter --shared DIR after teardown fails" 1 as_user "$R" nsenter --shared "$k" true
	assert_contains "saying nothing is pinned there" "$out" "no shared network namespace is pinned there"
	as_user "$R" newns --shared "$k" info >/dev/null
	assert_eq "--shared info after teardown makes no lock file again" "left: *" "left: $(cd "$k" && echo *)"
	if [ "$jqok" = 1 ]; then
		assert_eq "and describes no network for a namespace that is gone" "false null null" \
			"$(as_user "$R" newns --shared "$k" info --json | json '"\(.pinned) \(.device) \(.address)"')"
	fi
	# --rm of DIR/netns while references are held: refused, naming release (the pin lives
	# in the keeper's mount namespace; unlinking the file here would unpin it there)
	as_user "$R" newns --shared "$k" --net-helper slirp4netns acquire
	kp=$(cut -d' ' -f1 "$k/keeper" 2>/dev/null)
	assert_exit "newns --rm DIR/netns while --shared holds references: refused" 1 as_user "$R" newns --rm "$k/netns"
	assert_contains "naming the reference count and release" "$out" \
		"whose holders have 1 reference(s): not removed; the last release does it"
	assert_eq "and the namespace still works" 1 \
		"$(as_user "$R" newns --shared "$k" --net-helper slirp4netns run -- sh -c 'toybox ifconfig tap0 | grep -c 10.0.2.100' 2>&1)"
	# DIR/keeper that cannot be read is an error, never "no keeper" (which would start a second)
	mode=$(stat -c %a "$k/keeper")
	chmod 000 "$k/keeper"
	assert_exit "--shared acquire with DIR/keeper unreadable fails" 1 as_user "$R" newns --shared "$k" --net-helper slirp4netns acquire
	assert_contains "naming it and the cause" "$out" "read $k/keeper: Permission denied"
	chmod "$mode" "$k/keeper"
	assert_eq "and starts no second keeper: the first is still the one recorded, and alive" "$kp rnsbox" \
		"$(cut -d' ' -f1 "$k/keeper") $(cat "/proc/$kp/comm" 2>&1)"
	# joining it from outside the keeper: the pin is an empty file here, opened through the keeper
	kino=$(nsenter -t "$kp" -m stat -L -c %i "$k/netns" 2>&1)
	out=$(as_user "$R" nsenter --shared "$k" sh -c 'stat -L -c %i /proc/self/ns/net; head -n1 /etc/resolv.conf; cat $0/refcount' "$k" 2>&1)
	assert_eq "rootless nsenter --shared DIR: the keeper's pin, DIR's resolv.conf, no reference taken" \
		"$kino nameserver 10.0.2.3 1" "$(echo "$out" | words)"
	assert_eq "rootless nsenter --net=DIR/netns goes through the keeper too" "$kino" \
		"$(as_user "$R" nsenter --net="$k/netns" stat -L -c %i /proc/self/ns/net 2>&1)"
	if [ "$jqok" = 1 ]; then
		cmd=$(as_user "$R" newns --shared "$k" info --json | json '"\(.keeper) \(.nsenter)"')
		assert_eq "rootless info --json: the keeper's pid and a util-linux nsenter command through it" \
			"$kp nsenter -t $kp -U --preserve-credentials --net='/proc/$kp/root$k/netns'" "$cmd"
		assert_eq "which util-linux nsenter runs, as the user, into the pin's namespace" "$kino" \
			"$(as_user sh -c "${cmd#* } stat -L -c %i /proc/self/ns/net" 2>&1)"
	fi
	assert_exit "rootless exec -Urm --net=DIR/netns refuses the shared pin" 2 as_user "$R" exec -Urm --net="$k/netns" true
	assert_contains "pointing to nsenter --shared" "$out" "hint: join it with 'rnsbox nsenter --shared=DIR'"
	as_user "$R" newns --shared "$k" release
	wait_for gone "$kp"
	wait_for helpers_back
	# rootless: pasta's own mode, and the shared namespace's ports through the keeper
	if [ "$pasta_ok" = 1 ]; then
		out=$(as_user "$R" exec -Urn --net-helper pasta --pasta-mode=host -- sh -c 'toybox ifconfig tap0; head -n1 /etc/resolv.conf' 2>&1)
		assert_contains "rootless --pasta-mode=host: tap0 has the host's address" "$out" "inet addr:192.0.2.9"
		assert_contains "rootless --pasta-mode=host: resolv.conf names 169.254.1.1" "$out" "nameserver 169.254.1.1"
	fi
	kq=$tmp/ush/kp p1=$((port + 1)) p2=$((port + 2))
	port=$p2
	assert_exit "rootless --shared --publish acquire (through the keeper)" 0 as_user "$R" newns --shared "$kq" \
		--net-helper slirp4netns --publish "127.0.0.1:$p1:8080" acquire
	assert_exit "rootless --shared publish while it runs" 0 as_user "$R" newns --shared "$kq" publish "127.0.0.1:$p2:8081"
	for pp in "$p1 8080" "$p2 8081"; do
		serve_in "${pp#* }" tcp spawn_user "$R" newns --shared "$kq" --net-helper slirp4netns run --
		send_to "${pp% *}" "via-${pp% *}"
		assert_eq "rootless --shared: host port ${pp% *} reaches the server on ${pp#* } inside" "via-${pp% *}" "$got"
	done
	assert_exit "rootless --shared unpublish" 0 as_user "$R" newns --shared "$kq" unpublish "127.0.0.1:$p2:8081"
	assert_eq "rootless --shared ports" "127.0.0.1:$p1:8080/tcp" "$(as_user "$R" newns --shared "$kq" ports)"
	as_user "$R" newns --shared "$kq" release
	wait_for helpers_back
	assert_eq "rootless --shared release: nothing left" "$helpers_before left: *" "$(helpers) left: $(cd "$kq" && echo *)"
	# rootless exec --state-dir: the session's ports changed from outside, as the user
	sq=$tmp/ush/sess p5=$((port + 1)) p6=$((port + 2))
	port=$p6
	serve_in 8082 tcp spawn_user "$R" exec -Ur --state-dir "$sq" --net-helper slirp4netns --publish "127.0.0.1:$p5:8081" --
	assert_exit "rootless: --shared=DIR publish on an exec --state-dir session" 0 as_user "$R" newns --shared "$sq" \
		publish "127.0.0.1:$p6:8082"
	if [ "$jqok" = 1 ]; then
		cmd=$(as_user "$R" newns --shared "$sq" info --json | json .nsenter)
		assert_eq "rootless session: info's util-linux nsenter line joins its user namespace too, and runs" \
			"nsenter -t $(cat "$sq/child_pid") -U --preserve-credentials -n $(stat -L -c %i "/proc/$(cat "$sq/child_pid")/ns/net")" \
			"$cmd $(as_user sh -c "$cmd stat -L -c %i /proc/self/ns/net" 2>&1)"
	fi
	send_to "$p6" via-rootless-session
	assert_eq "rootless --state-dir: the port published from outside reaches the server inside" via-rootless-session "$got"
	wait_for test ! -e "$sq/child_pid"
	wait_for helpers_back
	assert_eq "rootless --state-dir: DIR left empty at the end, no helper" "$helpers_before left: *" \
		"$(helpers) left: $(cd "$sq" && echo *)"
	# rootless: the caller's end of a veth pair, in the user's own network namespace
	out=$(as_user "$R" exec -Urmn sh -c '"$0" newns --veth ra0:rb0 --addr ra0=10.75.0.1/24 --addr rb0=10.75.0.2/24 "$1/p" >/dev/null &&
		toybox ifconfig ra0 && "$0" nsenter --net="$1/p" toybox ifconfig rb0' "$R" "$tmp/ush" 2>&1)
	assert_contains "rootless newns --veth --addr=HOST=...: the caller's end has its address" "$out" "inet addr:10.75.0.1"
	assert_contains "and the namespace's end its own (rnsbox nsenter, toybox ifconfig)" "$out" "inet addr:10.75.0.2"
	# the issue's own case: two exec -Urm sessions of one user share no mount namespace
	spawn_user "$R" exec -Urm sh -c '"$0" newns --shared "$1" --net-helper slirp4netns acquire && : >"$2" && exec sleep 60' "$R" "$tmp/ush/s" "$tmp/flags/ush1" &
	upid=$!
	wait_for test -e "$tmp/flags/ush1"
	assert_exit "rootless: acquire from a second exec -Urm session fails" 1 as_user "$R" exec -Urm "$R" newns --shared "$tmp/ush/s" --net-helper slirp4netns acquire
	assert_contains "naming the live holder's references" "$out" "live processes hold 1 reference(s)"
	assert_eq "and the first session's reference is kept" 1 "$(cat "$tmp/ush/s/refcount")"
	kill "$upid"
	wait "$upid" 2>/dev/null
	as_user "$R" exec -Urm "$R" newns --shared "$tmp/ush/s" gc 2>/dev/null
	wait_for helpers_back
	assert_eq "after the session ends, gc from another clears it all" "left: * $helpers_before" "left: $(cd "$tmp/ush/s" && echo *) $(helpers)"
	umount /dev/net/tun
	assert_eq "no helper is left by the network cases" "$helpers_before" "$(helpers)"
fi
}

# --- interrupt: each flow interrupted at every system call it makes (strace inject), by TERM, SIGKILL, EMFILE and EIO
# A kill point is a system call and its count in its process (the Nth mount, say), as a
# plain run under strace shows them; helpers and COMMAND are left untraced (-b execve).
# At each point the flow runs with strace injecting there, then what a user would run next
# (--rm, gc, the call again), and then nothing may be left: no file, pin, veth, helper,
# state file or rnsbox process. A TERM to rnsbox itself ends it with 143 after its undo
# (0 where the work was done before it looked); one to a child it made fails it with 1,
# saying how the child ended; an injected error fails it with 1 (126 for the exec of
# COMMAND), or nothing, where rnsbox does without the call. A SIGKILL may leave what the
# next --rm or gc clears; a veth of a namespace that has ended goes when the kernel has torn
# the namespace down (bounded wait). A SIGKILL goes to each call that makes, changes or
# ends something, and to the exit (between two of them what is left is the same). Each
# error goes where the kernel gives it: EMFILE to every call that makes an fd, EIO to every
# read, write, send, receive, directory read, mount, stat and change of a name; not to
# close (which frees the fd whatever it returns, unlike an injected error), wait4 of a
# child there is, capget of itself and the like. RNSBOX_SWEEP=PATTERN sweeps only the
# flows whose name matches.
group_interrupt() {
if [ "${RNSBOX_TEST_NS-}" != 1 ] || ! have strace || ! have slirp4netns; then
	skip "interruption sweep: it needs root, toybox, strace and slirp4netns"
	return
fi
if [ "$san" = 1 ]; then
	skip "interruption sweep: it runs on the plain build (make check); its points are rnsbox's paths, not memory errors, and take minutes"
	return
fi
d=$tmp/int s=$tmp/ints c=$tmp/intc
mkdir "$d" "$c"
base=$(pins)
rt=$(env -u XDG_RUNTIME_DIR "$R" detect --shell | sed -n "s/^RNSBOX_RUNTIME_DIR_PATH='\(.*\)'$/\1/p")
# rtstate: files of the runtime directory and its helpers/ that were not there before
# (directories aside: the first helper makes helpers/, and it stays)
rtls() { for f in "$rt"/* "$rt"/helpers/*; do [ -e "$f" ] && [ ! -d "$f" ] && printf '%s ' "${f#"$rt"/}"; done; }
rt_before=$(rtls)
rtstate() { for f in $(rtls); do case " $rt_before " in *" $f "*) ;; *) printf '%s ' "$f" ;; esac; done; }
helpers_before=$(helpers)
# kill_points LOG: NAME:N for each system call of an strace -f log, N its count in its process
kill_points() { awk '{s = $2; sub(/\(.*/, "", s); if (s !~ /^[a-z_0-9]+$/) next; k = ++c[$1, s]; if (!((s, k) in seen)) {seen[s, k]; print s ":" k}}' "$1"; }
# state: what is left (files of $d and $s, pins, rnsbox processes, helpers, state files, veth pairs)
state() {
	gone_dev tv1 && gone_dev tv2
	echo "$(leftovers "$d") $(leftovers "$s" | cut -d' ' -f1) helpers:$(($(helpers) - helpers_before)) $(rtstate)$(has_dev tv1 && echo tv1)$(has_dev tv2 && echo tv2)$(cat "$tmp/uh.bad" 2>/dev/null)"
	rm -f "$tmp/uh.bad"
}
want="$clean files: helpers:0 "
# reset: after a point that left something, clear it, so that each point is judged alone
reset() {
	ps=$(cat /proc/[0-9]*/stat 2>/dev/null | awk '$2 ~ /^\((slirp4netns|pasta|passt)/ {print $1}')
	for p in $ps; do
		tr '\0' '\n' 2>/dev/null <"/proc/$p/environ" | grep -qx "RNSBOX_TEST_RUN=$RNSBOX_TEST_RUN" && kill -KILL "$p"
	done
	find /proc/[0-9]*/exe -maxdepth 0 -lname "$R" 2>/dev/null | cut -d/ -f3 | xargs -r kill -KILL
	awk -v d="$d" -v s="$s" 'index($5, d "/") == 1 || index($5, s "/") == 1 {print $5}' /proc/self/mountinfo | while read -r m; do umount -l "$m"; done
	rm -rf "${d:?}"/* "${s:?}"
	for f in $(rtstate); do rm -f "${rt:?}/$f"; done
	wait_for helpers_back
}
# sweep KIND CMD...: CMD at each kill point with KIND injected, then the function after;
# prints the points where something was left, or the status was not one of those above
sweep() {
	kind=$1
	shift
	strace -f -b execve -qq -o "$tmp/sweep.log" "$@" >/dev/null 2>&1
	after >/dev/null 2>&1
	case $kind in TERM | KILL) inj=signal=$kind ;; *) inj=error=$kind ;; esac
	np=0
	for p in $(kill_points "$tmp/sweep.log"); do
		case $kind:${p%:*} in
		TERM:*) ;;
		KILL:open* | KILL:mkdir* | KILL:mount | KILL:umount2 | KILL:unlink* | KILL:rename* | KILL:symlink* | KILL:flock) ;;
		KILL:sendto | KILL:sendmsg | KILL:write | KILL:fork | KILL:clone* | KILL:execve | KILL:kill | KILL:pidfd_send_signal | KILL:exit_group) ;;
		EMFILE:open* | EMFILE:socket* | EMFILE:pipe2 | EMFILE:signalfd4 | EMFILE:pidfd_open | EMFILE:pidfd_getfd | EMFILE:memfd_create | EMFILE:dup* | EMFILE:accept*) ;;
		EIO:read | EIO:write | EIO:pread64 | EIO:recvmsg | EIO:recvfrom | EIO:sendto | EIO:sendmsg | EIO:getdents64 | EIO:mount | EIO:rename* | EIO:unlink* | EIO:mkdir* | EIO:fstatfs | EIO:*stat*) ;;
		*) continue ;;
		esac
		before >/dev/null 2>&1
		timeout -k 2 20 strace -f -b execve -qq -o /dev/null -e "inject=${p%:*}:$inj:when=${p#*:}" "$@" >"$tmp/sweep.out" 2>"$tmp/sweep.err"
		st=$? np=$((np + 1))
		done_ok $st || st="$st, but not done"
		after >/dev/null 2>&1
		left=$(state)
		case $kind:$st in
		TERM:143 | TERM:0 | KILL:* | E*:0 | E*:1) ;;
		TERM:1) grep -q 'SIGTERM' "$tmp/sweep.err" || left="$left status 1" ;;
		E*:126) [ "${p%:*}" = execve ] || left="$left status 126" ;;
		*) left="$left status $st" ;;
		esac
		if [ "$left" != "$want" ]; then
			printf '%s ' "$p: $left; $(head -c 160 "$tmp/sweep.err" | tr '\n' ' ')"
			reset >/dev/null 2>&1
		fi
	done
	[ $np -gt 3 ] || echo "only $np kill points"
}
# sweep_all NAME CMD...: sweep CMD with each kind, one case each (RNSBOX_SWEEP=PATTERN: only
# the flows whose name matches)
sweep_all() {
	name=$1
	shift
	# shellcheck disable=SC2254 # a pattern, on purpose
	case $name in ${RNSBOX_SWEEP:-*}) ;; *) return ;; esac
	for k in TERM KILL EMFILE EIO; do
		assert_eq "$name, interrupted by $k at each system call: nothing left after it (or after the next --rm or gc)" "" "$(sweep $k "$@")"
	done
}
pinned() { for f; do [ "$(stat -f -c %T "$f" 2>/dev/null)" = nsfs ] || return 1; done; }
before() { :; }
# newns alone and with a veth pair: rnsbox unshares itself, or a child makes the namespaces
done_ok() { [ "$1" != 0 ] || pinned "$d/n"; }
after() { [ -e "$d/n" ] && "$R" newns --rm "$d/n"; }
sweep_all "newns --veth --addr" "$R" newns --veth tv1:eth0 --addr eth0=10.91.0.1/24 "$d/n"
done_ok() { [ "$1" != 0 ] || pinned "$d/m" "$d/u" "$d/n"; }
after() { for f in "$d/m" "$d/u" "$d/n"; do [ -e "$f" ] && "$R" newns --rm "$f"; done; }
sweep_all "newns --type mnt,uts,net --veth" "$R" newns -t mnt,uts,net --veth tv2:eth0 "$d/m" "$d/u" "$d/n"
# with a network helper
done_ok() { [ "$1" != 0 ] || { pinned "$d/n" && [ "$(helpers)" = $((helpers_before + 1)) ]; }; }
after() { [ -e "$d/n" ] && "$R" newns --rm "$d/n"; }
sweep_all "newns --net-helper slirp4netns" "$R" newns --net-helper slirp4netns "$d/n"
done_ok() { [ "$1" != 0 ] || [ "$(cat "$tmp/sweep.out")" = 10.0.2.100 ]; }
after() { :; }
sweep_all "exec -n --net-helper slirp4netns" "$R" exec -n --net-helper slirp4netns sh -c 'toybox ifconfig tap0 | sed -n "s/.*inet addr:\([0-9.]*\).*/\1/p"'
# the shared namespace: acquire (its holder, strace, is gone after: gc drops it), run, and
# release of a reference the suite holds (then a release of the suite's own, if one is left)
done_ok() { [ "$1" != 0 ] || { pinned "$s/netns" && [ "$(cat "$s/refcount")" = 1 ]; }; }
after() { [ -d "$s" ] && "$R" newns --shared "$s" gc; }
sweep_all "newns --shared acquire" "$R" newns --shared "$s" --net-helper slirp4netns acquire
done_ok() { [ "$1" != 0 ] || [ "$(cat "$tmp/sweep.out")" = 10.0.2.100 ]; }
sweep_all "newns --shared run" "$R" newns --shared "$s" --net-helper slirp4netns run sh -c 'toybox ifconfig tap0 | sed -n "s/.*inet addr:\([0-9.]*\).*/\1/p"'
before() { "$R" newns --shared "$s" --net-helper slirp4netns acquire; }
done_ok() { [ "$1" != 0 ] || [ ! -e "$s/netns" ]; }
after() { "$R" newns --shared "$s" release; }
sweep_all "newns --shared release" "$R" newns --shared "$s" release
before() { :; }
# userns-handle --cache: after any interruption the next call works, and the cache then
# holds one pin and its key, and nothing else
done_ok() { [ "$1" != 0 ] || [ "$(sed -n '/_map:/{n;p}' "$tmp/sweep.out" | words)" = "0 740000 10 0 740000 10" ]; }
uh() { "$R" userns-handle --cache="$c" --map-users 0:740000:10 --map-groups 0:740000:10 "$@"; }
after() {
	uh --print >/dev/null || echo "the next call failed" >"$tmp/uh.bad"
	got=$(leftovers "$c" | sed 's/ pins.*//; s/^files://; s/[0-9a-f]\{16\}/K/g') n=$(($(pins) - base))
	for f in "$c"/*; do umount "$f" 2>/dev/null; done
	rm -rf "${c:?}"/*
	[ "$got $n" = "K K.key 1" ] || echo "cache after: $got, $n pin(s)" >>"$tmp/uh.bad"
}
sweep_all "userns-handle --cache" "$R" userns-handle --cache="$c" --map-users 0:740000:10 --map-groups 0:740000:10 --print
}

# --- process hygiene: set-user-ID refusal, fds 0-2, close-on-exec
group_hygiene() {
if [ $root = 1 ]; then
	cp "$R" "$tmp/rnsbox-suid" && chmod 4755 "$tmp/rnsbox-suid"
	mp=$(df -P "$tmp" | awk 'NR==2 {print $6}')
	if awk -v m="$mp" '$5 == m && $6 ~ /nosuid/ {f=1} END {exit !f}' /proc/self/mountinfo; then
		skip "set-user-ID refusal: $tmp is on a nosuid mount"
	else
		assert_exit "a set-user-ID copy refuses to run" 1 as_user "$tmp/rnsbox-suid" detect -q
		assert_contains "the refusal says why" "$out" "refusing to run set-user-ID"
	fi
fi
if [ "$jqok" = 1 ]; then
	assert_eq "with stdin and stderr closed: still one valid report" object \
		"$("$R" detect --json <&- 2>&- | json type)"
fi
if [ "$san" = 1 ]; then
	skip "fd checks: the sanitizer runtime opens files of its own at start"
elif have strace; then
	strace -f -qq -o "$tmp/trace" -e trace=openat,open,socket,pipe2,pipe "$R" detect --json <&- >/dev/null 2>&-
	assert_contains "a closed stdin is filled with /dev/null before anything else" \
		"$(grep -m1 -E 'open(at)?\(' "$tmp/trace" | sed 's/|O_LARGEFILE//')" '"/dev/null", O_RDWR) = 0'
	leaky=$(grep -E '^[0-9]+ +(openat|open|socket|pipe2?)\(' "$tmp/trace" | grep -v CLOEXEC | grep -v '"/dev/null"' | grep -v '= -1' | head -3)
	assert_eq "every fd rnsbox opens is close-on-exec" "" "$leaky"
else
	skip "fd checks: strace not installed"
fi
}

# --- fuzz regressions: each kept input of tests/fuzz/regress/TARGET, once (what fuzzing found stays fixed)
group_fuzz() {
if [ -x tests/fuzz/fuzz ]; then
	for d in tests/fuzz/regress/*/; do
		t=$(basename "$d")
		set -- "$d"*
		if got=$(RNSBOX_FUZZ=$t tests/fuzz/fuzz -timeout=10 "$@" 2>&1); then
			ok "fuzz regressions of $t: $# inputs, none fails"
		else
			not_ok "fuzz regressions of $t" "$(printf '%s\n' "$got" | grep -a -m3 -e 'rnsbox fuzz:' -e 'ERROR' -e 'SUMMARY')"
		fi
	done
else
	skip "fuzz regressions: tests/fuzz/fuzz not built (make check builds it with clang)"
fi
}

# --- make install, with the applets
group_install() {
if have make; then
	make -s install DESTDIR="$tmp/dest" PREFIX=/usr APPLETS=1 >/dev/null 2>&1
	assert_eq "make install APPLETS=1: unshare and nsenter link to rnsbox" "rnsbox rnsbox" \
		"$(readlink "$tmp/dest/usr/bin/unshare") $(readlink "$tmp/dest/usr/bin/nsenter")"
	assert_exit "make install puts rnsbox.1 in PREFIX/share/man/man1" 0 cmp rnsbox.1 "$tmp/dest/usr/share/man/man1/rnsbox.1"
	v=$("$tmp/dest/usr/bin/rnsbox" --version)
	assert_eq "the applets print rnsbox's version" "$v $v" "$("$tmp/dest/usr/bin/unshare" -V) $("$tmp/dest/usr/bin/nsenter" --version)"
	rm "$tmp/dest/usr/bin/nsenter" && echo mine >"$tmp/dest/usr/bin/nsenter"
	got=$(make -s install DESTDIR="$tmp/dest" PREFIX=/usr APPLETS=1 2>&1)
	assert_eq "make install APPLETS=1 never replaces an existing file" "mine" "$(cat "$tmp/dest/usr/bin/nsenter")"
	assert_contains "make install says what it left alone" "$got" "nsenter exists, not replaced"
else
	skip "make install: make not installed"
fi
}

# --- the shell files themselves
group_shellcheck() {
if have shellcheck; then
	set -- test.sh .ci/run
	for f in tests/*.sh bench/*.sh; do [ -e "$f" ] && set -- "$@" "$f"; done
	if sc=$(shellcheck "$@" 2>&1); then
		ok "shellcheck: every shell file is clean ($*)"
	else
		not_ok "shellcheck: every shell file is clean" "$sc"
	fi
else
	skip "shellcheck not installed"
fi
}

# --- run the groups: all of them in order, or those named
if [ $# -gt 0 ]; then
	for g; do
		case " $groups " in *" $g "*) "group_$g" ;; *) echo "test.sh: no group $g (./test.sh --list)" >&2; exit 2 ;; esac
	done
else
	for g in $groups; do "group_$g"; done
fi
finish
