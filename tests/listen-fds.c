/*
 * listen-fds: a test fixture for rnsbox's test.sh. It puts a listening TCP socket on
 * 127.0.0.1 (a port the kernel picks) at fd 3, sets LISTEN_FDS=1 and LISTEN_PID as
 * systemd's socket activation does, prints the socket's "socket:[INODE]" on stdout, and
 * runs CMD. PID is "self" (our own pid, which CMD keeps across exec) or a number.
 *
 *   listen-fds PID CMD [ARG]...
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	char pid[16], link[64];
	ssize_t n;
	if (argc < 3) {
		fprintf(stderr, "usage: listen-fds PID CMD [ARG]...\n");
		return 2;
	}
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 4) < 0 ||
	    (s != 3 && (dup2(s, 3) < 0 || close(s) < 0))) {
		perror("listen-fds: socket");
		return 1;
	}
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("LISTEN_PID", strcmp(argv[1], "self") == 0 ? pid : argv[1], 1);
	setenv("LISTEN_FDS", "1", 1);
	if ((n = readlink("/proc/self/fd/3", link, sizeof(link) - 1)) < 0) {
		perror("listen-fds: readlink");
		return 1;
	}
	link[n] = '\0';
	printf("%s\n", link);
	fflush(stdout);
	execvp(argv[2], argv + 2);
	perror("listen-fds: exec");
	return 127;
}
