/*
 * A test fixture, as util-linux's mkfds foreign-sockets: holds at fd 3 a socket of a network
 * namespace it is not in. It unshares a network namespace, opens the socket there, goes back
 * to the first one, prints "PID INODE" (INODE: the socket's namespace), and waits for a
 * signal. Needs CAP_SYS_ADMIN (root).
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
	struct stat st;
	int self = fcntl(open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), F_DUPFD_CLOEXEC, 10), sk; /* fd 3 is the socket's */
	if (self < 0 || unshare(CLONE_NEWNET) < 0 || stat("/proc/self/ns/net", &st) < 0 ||
	    (sk = socket(AF_UNIX, SOCK_DGRAM, 0)) < 0 || dup2(sk, 3) != 3 || setns(self, CLONE_NEWNET) < 0) {
		perror("foreign-socket");
		return 1;
	}
	printf("%d %lu\n", (int)getpid(), (unsigned long)st.st_ino);
	fflush(stdout);
	for (;;)
		pause();
}
