/*
 * pidfd-ino: a test fixture for rnsbox's test.sh. It prints the inode of a pidfd of
 * process PID (pidfs, Linux 6.9: what util-linux's getino prints, and what nsenter
 * --target=PID:INODE compares), as the kernel's fstat gives it, then a space and "pidfs"
 * or the file system's magic number in hex where pidfds live elsewhere.
 *
 *   pidfd-ino PID
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct stat st;
	struct statfs sf;
	if (argc != 2) {
		fprintf(stderr, "usage: pidfd-ino PID\n");
		return 2;
	}
	long fd = syscall(SYS_pidfd_open, atoi(argv[1]), 0);
	if (fd < 0 || fstat((int)fd, &st) < 0 || fstatfs((int)fd, &sf) < 0) {
		perror("pidfd-ino");
		return 1;
	}
	if (sf.f_type == 0x50494446)
		printf("%llu pidfs\n", (unsigned long long)st.st_ino);
	else
		printf("%llu %lx\n", (unsigned long long)st.st_ino, (unsigned long)sf.f_type);
	return 0;
}
