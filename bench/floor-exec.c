/*
 * floor-exec: the raw-syscall floor for `rnsbox exec -rn CMD`: exactly the work rnsbox
 * does, with nothing around it. unshare a user and a network namespace, deny setgroups,
 * write one-id uid and gid maps, set loopback up with one rtnetlink request (acked), and
 * execve CMD. No option parsing, no messages. Used by `make bench`.
 *
 *   floor-exec CMD [ARG]...
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct nlmsghdr { uint32_t len; uint16_t type, flags; uint32_t seq, pid; };
struct ifinfomsg { unsigned char family, pad; unsigned short type; int index; unsigned flags, change; };
struct sockaddr_nl { sa_family_t family; unsigned short pad; uint32_t pid, groups; };

static void put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, s, strlen(s)) < 0)
		_exit(1);
	close(fd);
}

int main(int argc, char **argv)
{
	char map[32];
	unsigned uid = (unsigned)geteuid(), gid = (unsigned)getegid();
	struct { struct nlmsghdr h; struct ifinfomsg i; } req = {
		{sizeof(req), 16 /* RTM_NEWLINK */, 0x5 /* REQUEST|ACK */, 1, 0},
		{.index = 1 /* lo is always 1 in a new namespace */, .flags = IFF_UP, .change = IFF_UP},
	};
	struct sockaddr_nl k = {.family = AF_NETLINK};
	char ack[256];
	if (argc < 2 || unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		return 1;
	put("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "0 %u 1", uid);
	put("/proc/self/uid_map", map);
	snprintf(map, sizeof(map), "0 %u 1", gid);
	put("/proc/self/gid_map", map);
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (s < 0 || sendto(s, &req, sizeof(req), 0, (struct sockaddr *)&k, sizeof(k)) < 0 || recv(s, ack, sizeof(ack), 0) < 0)
		return 1;
	execv(argv[1], argv + 1);
	return 127;
}
