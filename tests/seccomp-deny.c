/*
 * seccomp-deny: a test fixture for rnsbox's test.sh. It installs a seccomp filter that
 * makes the named syscalls fail with the given errno (or kills the process, with KILL),
 * sets no_new_privs as the kernel requires for an unprivileged filter, and runs CMD.
 *
 *   seccomp-deny EPERM|ENOSYS|KILL SYSCALL... -- CMD [ARG]...
 *
 * SYSCALL is one of the names in the table below. SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define AUDIT_ARCH 0xC000003Eu
#elif defined(__aarch64__)
#define AUDIT_ARCH 0xC00000B7u
#endif

/* <linux/filter.h> and <linux/seccomp.h> */
struct sock_filter { uint16_t code; uint8_t jt, jf; uint32_t k; };
struct sock_fprog { unsigned short len; struct sock_filter *filter; };
#define BPF_LD_W_ABS 0x20
#define BPF_JEQ_K 0x15
#define BPF_RET_K 0x06
#define SECCOMP_RET_KILL_PROCESS 0x80000000u
#define SECCOMP_RET_ERRNO 0x00050000u
#define SECCOMP_RET_ALLOW 0x7fff0000u
#define SECCOMP_MODE_FILTER 2

static const struct { const char *name; long nr; } calls[] = {
	{"unshare", SYS_unshare},       {"clone3", 435},     {"open_tree", 428},
	{"mount_setattr", 442},         {"pidfd_open", 434}, {"setns", SYS_setns},
};

int main(int argc, char **argv)
{
#ifndef AUDIT_ARCH
	fprintf(stderr, "seccomp-deny: unsupported architecture\n");
	return 77;
#else
	struct sock_filter f[64];
	unsigned n = 0, action;
	int i = 2;
	if (argc < 4) {
		fprintf(stderr, "usage: seccomp-deny EPERM|ENOSYS|KILL SYSCALL... -- CMD [ARG]...\n");
		return 2;
	}
	action = strcmp(argv[1], "KILL") == 0     ? SECCOMP_RET_KILL_PROCESS
		 : strcmp(argv[1], "ENOSYS") == 0 ? SECCOMP_RET_ERRNO | ENOSYS
						  : SECCOMP_RET_ERRNO | EPERM;
	f[n++] = (struct sock_filter){BPF_LD_W_ABS, 0, 0, 4}; /* seccomp_data.arch */
	f[n++] = (struct sock_filter){BPF_JEQ_K, 1, 0, AUDIT_ARCH};
	f[n++] = (struct sock_filter){BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW};
	f[n++] = (struct sock_filter){BPF_LD_W_ABS, 0, 0, 0}; /* seccomp_data.nr */
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		size_t c = 0;
		while (c < sizeof(calls) / sizeof(calls[0]) && strcmp(calls[c].name, argv[i]) != 0)
			c++;
		if (c == sizeof(calls) / sizeof(calls[0]) || n > 60) {
			fprintf(stderr, "seccomp-deny: unknown syscall %s\n", argv[i]);
			return 2;
		}
		f[n++] = (struct sock_filter){BPF_JEQ_K, 0, 1, (uint32_t)calls[c].nr};
		f[n++] = (struct sock_filter){BPF_RET_K, 0, 0, action};
	}
	f[n++] = (struct sock_filter){BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW};
	if (i + 1 >= argc) {
		fprintf(stderr, "seccomp-deny: no command after --\n");
		return 2;
	}
	struct sock_fprog prog = {(unsigned short)n, f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		perror("seccomp-deny: install filter");
		return 1;
	}
	execvp(argv[i + 1], argv + i + 1);
	perror("seccomp-deny: exec");
	return 127;
#endif
}
