#!/bin/sh
# cross-sysroot.sh DIR: musl for aarch64, armhf and riscv64, unpacked into DIR for
# `make check-cross`, and what test.sh's cross group boots under qemu-system-arm: Debian's
# armhf kernel (armmp-lpae, for qemu's virt machine), its veth module and a static busybox,
# in DIR/armhf-boot. Debian 12 ships musl-dev for arm64 and armhf; riscv64's is in Debian 13
# (trixie). The packages are fetched with apt through a private state directory (its own
# sources list, lists, cache and an empty dpkg status), so the host's package state, its
# architectures and its sources are never changed, and unpacked with dpkg-deb -x, never
# installed. For each architecture DIR gets a gcc specs file whose paths point into DIR.
# Does nothing when DIR is complete already. Exits non-zero, saying why, on failure.
set -eu
dir=${1:?usage: cross-sysroot.sh DIR}
triples='aarch64-linux-musl arm-linux-musleabihf riscv64-linux-musl'
done_=1
for t in $triples; do [ -f "$dir/$t.specs" ] || done_=0; done
[ -f "$dir/armhf-boot/vmlinuz" ] || done_=0
[ $done_ = 1 ] && exit 0

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
: >"$work/status"
cat >"$work/sources.list" <<EOF
deb [arch=arm64,armhf] http://deb.debian.org/debian bookworm main
deb [arch=riscv64] http://deb.debian.org/debian trixie main
EOF
set -- -o Dir::Etc::sourcelist="$work/sources.list" -o Dir::Etc::sourceparts=/nonexistent \
	-o Dir::State::Lists="$work/lists" -o Dir::State::status="$work/status" -o Dir::Cache="$work/cache" \
	-o APT::Architecture=arm64 -o APT::Architectures::=arm64 -o APT::Architectures::=armhf \
	-o APT::Architectures::=riscv64 -o APT::Sandbox::User=root -o Debug::NoLocking=1
timeout 300 apt-get -qq "$@" update
# the kernel's package by name: linux-image-armmp-lpae depends on the current one
kpkg=$(apt-cache "$@" depends linux-image-armmp-lpae:armhf | awk '/Depends: linux-image-/ {print $2; exit}')
[ -n "$kpkg" ] || { echo "cross-sysroot.sh: no armhf kernel package found" >&2; exit 1; }
(cd "$work/debs" && timeout 300 apt-get -qq "$@" download musl-dev:arm64 musl-dev:armhf musl-dev:riscv64 \
	"$kpkg" busybox-static:armhf)
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
for t in $triples; do
	[ -f "$work/root/usr/lib/$t/libc.a" ] || { echo "cross-sysroot.sh: no libc.a for $t" >&2; exit 1; }
	rm -rf "${dir:?}/$t"
	mkdir -p "$dir/$t"
	mv "$work/root/usr/lib/$t" "$dir/$t/lib"
	mv "$work/root/usr/include/$t" "$dir/$t/include"
	# musl-gcc's specs, pointed into DIR (the dynamic linker line does not matter: -static)
	sed -e "s|/usr/include/$t|$dir/$t/include|g" -e "s|/usr/lib/$t|$dir/$t/lib|g" \
		"$dir/$t/lib/musl-gcc.specs" >"$dir/$t.specs"
done
rm -rf "$dir/armhf-boot"
mkdir -p "$dir/armhf-boot"
mv "$work"/root/boot/vmlinuz-* "$dir/armhf-boot/vmlinuz"
mv "$work/root/bin/busybox" "$dir/armhf-boot/busybox"
find "$work/root/lib/modules" -name veth.ko -exec mv {} "$dir/armhf-boot/" \;
echo "cross-sysroot.sh: musl for $triples in $dir"
