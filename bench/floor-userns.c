/*
 * floor-userns: the raw-syscall floor for user-namespace handles, and the reference
 * design's cost, for `make bench`.
 *
 *   floor-userns floor N CMD [ARG]...      N handles the cheapest way: a CLONE_VM clone in
 *                                          a new user namespace, its maps written, its ns
 *                                          file opened, the helper ended and reaped; then
 *                                          exec CMD (as rnsbox ends by running one)
 *   floor-userns forkexec N HELPER CMD [ARG]...
 *                                          the same N handles as runc makes them: fork,
 *                                          unshare, exec a helper binary (HELPER, which must
 *                                          wait for EOF on stdin: cat, say), wait for the
 *                                          exec, write the maps, open, end it, reap it
 *
 * Handle i maps 0:100000+10*i:10 for uids and gids. Run as root. SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void put(pid_t pid, const char *file, const char *text)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		_exit(1);
	close(fd);
}

static int helper(void *arg)
{
	int *p = arg;
	char c;
	syscall(SYS_close, p[1]);
	syscall(SYS_read, p[0], &c, 1);
	return 0;
}

int main(int argc, char **argv)
{
	static char stack[4096] __attribute__((aligned(16)));
	char map[48], path[48];
	int forkexec = argc > 4 && strcmp(argv[1], "forkexec") == 0;
	if (argc < 4)
		return 2;
	int n = atoi(argv[2]);
	const char *helper_bin = forkexec ? argv[3] : NULL;
	for (int i = 0; i < n; i++) {
		int p[2], ready[2];
		pid_t pid;
		char c;
		if (pipe2(p, O_CLOEXEC) < 0)
			return 1;
		if (!forkexec) {
			pid = clone(helper, stack + sizeof(stack), CLONE_VM | CLONE_NEWUSER | SIGCHLD, p);
		} else {
			if (pipe2(ready, O_CLOEXEC) < 0)
				return 1;
			if ((pid = fork()) == 0) {
				dup2(p[0], 0);
				if (unshare(CLONE_NEWUSER) < 0)
					_exit(1);
				execl(helper_bin, helper_bin, (char *)NULL);
				_exit(127);
			}
			close(ready[1]);
			if (read(ready[0], &c, 1) != 0) /* EOF: the helper has exec'd */
				return 1;
			close(ready[0]);
		}
		if (pid < 0)
			return 1;
		snprintf(map, sizeof(map), "0 %d 10", 100000 + 10 * i);
		put(pid, "uid_map", map);
		put(pid, "gid_map", map);
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return 1;
		close(p[0]);
		close(p[1]);
		waitpid(pid, NULL, 0);
		/* the handle stays open, as rnsbox keeps its handles for the command */
	}
	execv(argv[3 + forkexec], argv + 3 + forkexec);
	return 127;
}
