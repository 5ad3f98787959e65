/*
 * floor-newns: the raw-syscall floor for `rnsbox newns PATH` and `rnsbox newns --rm PATH`:
 * exactly the work they must do, with nothing around it. add: create PATH exclusively,
 * unshare a network namespace, set loopback up with one rtnetlink request (acked), and
 * bind-mount /proc/self/ns/net on PATH. del: unmount PATH and unlink it. No option
 * parsing, no checks, no messages. Used by `make bench`.
 *
 *   floor-newns add|del PATH
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

struct nlmsghdr { uint32_t len; uint16_t type, flags; uint32_t seq, pid; };
struct ifinfomsg { unsigned char family, pad; unsigned short type; int index; unsigned flags, change; };
struct sockaddr_nl { sa_family_t family; unsigned short pad; uint32_t pid, groups; };

int main(int argc, char **argv)
{
	struct { struct nlmsghdr h; struct ifinfomsg i; } req = {
		{sizeof(req), 16 /* RTM_NEWLINK */, 0x5 /* REQUEST|ACK */, 1, 0},
		{.index = 1 /* lo is always 1 in a new namespace */, .flags = IFF_UP, .change = IFF_UP},
	};
	struct sockaddr_nl k = {.family = AF_NETLINK};
	char ack[256];
	if (argc != 3)
		return 2;
	if (strcmp(argv[1], "del") == 0)
		return umount2(argv[2], UMOUNT_NOFOLLOW) < 0 || unlink(argv[2]) < 0;
	int fd = open(argv[2], O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
	if (fd < 0 || close(fd) < 0 || unshare(CLONE_NEWNET) < 0)
		return 1;
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (s < 0 || sendto(s, &req, sizeof(req), 0, (struct sockaddr *)&k, sizeof(k)) < 0 || recv(s, ack, sizeof(ack), 0) < 0)
		return 1;
	return mount("/proc/self/ns/net", argv[2], NULL, MS_BIND, NULL) < 0;
}
