/*
 * rnsbox: a namespace toolbox in one static C program.
 * SPDX-License-Identifier: MIT (see LICENSE)
 *
 * rnsbox does what util-linux unshare/nsenter, ip netns, rootlesskit's child and podman's
 * rootless-netns helpers do, with raw syscalls and rtnetlink, no library beyond libc, small
 * enough for an initramfs. It is one file so it can be dropped into any tree and built with
 * `musl-gcc -static`. It is not a privileged helper: it refuses to run set-user-ID.
 *
 * Design: every subcommand parses its option rows (one engine, opt_get, which also makes
 * --help from them) into one struct of options and runs as a list of phases, each a
 * helper. Those that run a command own a struct run, the one tail for fork, supervision,
 * ids and exec; what they need done when the command ends they register as exit hooks.
 * Diagnostics go through one family of functions that format into a stack buffer and
 * emit a line with one write(2), so they are safe in forked children. Children
 * are made with _Fork() (POSIX 2024's fork without atfork handlers, of which rnsbox has
 * none; musl's fork links its thread-lock machinery and the vDSO clock, 2.8 KiB; with
 * musl, rnsbox's _Fork is the bare call), so libc stays consistent in them; they talk to
 * rnsbox through one protocol (child_start). The one raw clone is userns-handle's
 * helper (CLONE_VM, raw syscalls only, for speed). Every
 * fd is close-on-exec from birth. Kernel features are probed with deliberately bad
 * arguments, never inferred from version numbers.
 *
 * Contents (grep -n '^/\*====' rnsbox.c):
 *   1. includes and compat constants
 *   2. diagnostics and exit codes
 *   3. small utilities (files, lines, numbers, children)
 *   4. report output (text, JSON, shell)
 *   5. syscall wrappers and probes
 *   6. netlink
 *   7. namespace table and options
 *   8. id maps and subordinate ids
 *   9. user-mode networking (helpers, resolv.conf and hosts, copy-up)
 *  10. detect
 *  11. running a command (supervision, ids, exec)
 *  12. exec (and the unshare applet)
 *  13. nsenter (and the nsenter applet)
 *  14. newns
 *  15. userns-handle
 *  16. dispatch table
 *  17. main
 */

/*==== 1. includes and compat constants ====*/

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <arpa/inet.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef RNSBOX_VERSION
#define RNSBOX_VERSION "unknown"
#endif

/*
 * opt_get's state, under the names libc's getopt gives it, but rnsbox's own: musl defines
 * optind and the rest in the object of its getopt, so naming libc's would link that
 * getopt, and stdio's fwrite and mbtowc with it, for nothing (1.5 KiB).
 */
static int rnsbox_optind = 1, rnsbox_optopt;
static char *rnsbox_optarg;
#define optind rnsbox_optind
#define optarg rnsbox_optarg
#define optopt rnsbox_optopt

/*
 * stat, lstat, fstat and fstatat as the one syscall where the kernel's struct stat is
 * libc's (the 64-bit targets: newfstatat): musl's fstatat copies it field by field and
 * carries fallbacks for kernels before AT_EMPTY_PATH (2.6.39), 0.5 KiB. The 32-bit
 * targets keep musl's, whose struct stat has 64-bit times the kernel's stat64 lacks.
 */
#if defined(SYS_newfstatat) && UINTPTR_MAX > 0xffffffffu
static int sys_fstatat(int fd, const char *path, struct stat *st, int flags)
{
	return (int)syscall(SYS_newfstatat, fd, path, st, flags);
}
#define fstatat(fd, path, st, flags) sys_fstatat(fd, path, st, flags)
#define stat(path, st) sys_fstatat(AT_FDCWD, path, st, 0)
#define lstat(path, st) sys_fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW)
#define fstat(fd, st) sys_fstatat(fd, "", st, AT_EMPTY_PATH)
#endif

/*
 * musl ships no Linux UAPI headers, so the few kernel constants and structs rnsbox needs
 * are defined here, named as the kernel names them. Values are ABI and never change.
 */
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080 /* Linux 5.6 */
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434 /* Linux 5.3, same number on every architecture */
#endif
#ifndef SYS_clone3
#define SYS_clone3 435 /* Linux 5.3 */
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424 /* Linux 5.1 */
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428 /* Linux 5.2 */
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429 /* Linux 5.2 */
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442 /* Linux 5.12 */
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438 /* Linux 5.6 */
#endif
#ifndef SYS_close_range
#define SYS_close_range 436 /* Linux 5.9; CLOSE_RANGE_CLOEXEC since 5.11 */
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC 4 /* <linux/close_range.h>, which glibc includes */
#endif

/* <linux/mount.h> (not included: it clashes with <sys/mount.h>; glibc 2.36 defines these there) */
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x04
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x01
#endif
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

/* The initial user namespace has had this fixed inode since Linux 3.8 (PROC_USER_INIT_INO). */
#define USERNS_INIT_INO 0xEFFFFFFDu
/* create_user_ns() refuses to create a namespace below level 33 (ENOSPC; EUSERS before 4.9). */
#define USERNS_MAX_LEVEL 33

/* <linux/capability.h> */
#define CAP_VERSION_3 0x20080522
struct cap_header { uint32_t version; int pid; };
struct cap_data { uint32_t effective, permitted, inheritable; };

/* <linux/netlink.h> and <linux/rtnetlink.h> */
#define NETLINK_ROUTE 0
#define NLM_F_REQUEST 0x01
#define NLM_F_ACK 0x04
#define NLMSG_ERROR 0x2
#define NLMSG_DONE 0x3
#define NLM_F_EXCL 0x200
#define NLM_F_CREATE 0x400
#define RTM_NEWLINK 16
#define RTM_DELLINK 17
#define RTM_GETLINK 18
#define RTM_NEWADDR 20
#define RTM_NEWROUTE 24
#define RTM_GETNSID 90
#define NETNSA_NSID 1
#define NETNSA_FD 3
#define IFLA_LINK 5
#define IFLA_IFNAME 3
#define IFLA_MTU 4
#define IFLA_LINKINFO 18
#define IFLA_NET_NS_FD 28
#define IFLA_INFO_KIND 1
#define IFLA_INFO_DATA 2
#define VETH_INFO_PEER 1
#define IFA_ADDRESS 1
#define IFA_LOCAL 2
#define IFA_F_NODAD 0x02
#define RTA_DST 1
#define RTA_OIF 4
#define RTA_GATEWAY 5
#define NL_ALIGN(n) (((n) + 3u) & ~3u)
struct nlmsghdr { uint32_t nlmsg_len; uint16_t nlmsg_type, nlmsg_flags; uint32_t nlmsg_seq, nlmsg_pid; };
struct nlmsgerr { int error; struct nlmsghdr msg; };
struct sockaddr_nl { sa_family_t nl_family; unsigned short nl_pad; uint32_t nl_pid, nl_groups; };
struct rtattr { unsigned short rta_len, rta_type; };
struct ifinfomsg {
	unsigned char ifi_family, ifi_pad;
	unsigned short ifi_type;
	int ifi_index;
	unsigned ifi_flags, ifi_change;
};
struct ifaddrmsg { unsigned char ifa_family, ifa_prefixlen, ifa_flags, ifa_scope; uint32_t ifa_index; };
struct rtmsg {
	unsigned char rtm_family, rtm_dst_len, rtm_src_len, rtm_tos, rtm_table, rtm_protocol, rtm_scope, rtm_type;
	unsigned rtm_flags;
};

/* <linux/nsfs.h> and <linux/magic.h> */
#define NS_GET_USERNS 0xb701 /* _IO(0xb7, 0x1), Linux 4.9 */
#define NS_GET_PARENT 0xb702 /* _IO(0xb7, 0x2), Linux 4.9 */
#define NS_GET_NSTYPE 0xb703 /* _IO(0xb7, 0x3), Linux 4.11 */
#define NS_GET_MNTNS_ID 0x8008b705 /* _IOR(0xb7, 0x5, __u64), Linux 6.9 */
#define NSFS_MAGIC 0x6e736673
#define CGROUP2_SUPER_MAGIC 0x63677270
#define SYSFS_MAGIC 0x62656572
#define PIDFS_MAGIC 0x50494446 /* Linux 6.9: a pidfd's inode names its process for the system's uptime */
#define SIOCGSKNS 0x894C /* <linux/sockios.h>: a socket's network namespace, Linux 4.9 */

/* Hints given in more than one place */
#define NS_LIMIT_HINT "a user.max_*_namespaces limit or the user namespace nesting limit (32) is reached; ENOSPC is not a full disk"
#define RUN_AS_ROOT "run it as root, or inside rnsbox exec -Urm (a user and mount namespace of its own)"
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define PRINTF(f, a) __attribute__((format(printf, f, a)))
/* For a function gcc would inline into its one caller, where the merged frame costs more (aarch64, x86_64) */
#define NOINLINE __attribute__((noinline))

/*==== 2. diagnostics and exit codes ====*/

/*
 * Exit codes, documented in README. exec adds the command's own status and 128+N for a
 * command killed by signal N.
 */
enum {
	EX_OK = 0,
	EX_FAIL = 1,       /* the operation failed */
	EX_USAGE = 2,      /* bad command line */
	EX_UNKNOWN = 3,    /* detect -q: cannot tell (a map is unreadable or malformed) */
};

/*
 * snprintf for rnsbox's own formats, in place of musl's vfprintf, whose floating-point
 * formatting alone is more than half of its 8 KiB: %s %c %d %i %u %x %o %%, the l, ll and
 * z sizes (z is size_t: 32 bits on armhf), a width (digits or *) with the '-' and '0' flags, and a precision for
 * strings (%.*s). Like snprintf it returns the length the result would have had and
 * always ends buf with a NUL (size > 0). Safe after fork: no locks, no allocation.
 */
PRINTF(3, 0) static int vsfmt(char *buf, size_t size, const char *fmt, va_list ap)
{
	size_t n = 0;
	for (const char *p = fmt; *p;) {
		char num[24], *s = num + sizeof(num);
		size_t len = 0, width = 0, prec = (size_t)-1;
		int left = 0, zero = 0, size_mod = 0, neg = 0;
		unsigned long long v = 0;
		if (*p != '%') {
			if (n + 1 < size)
				buf[n] = *p;
			n++, p++;
			continue;
		}
		for (p++; *p == '-' || *p == '0'; p++)
			*p == '-' ? (left = 1) : (zero = 1);
		if (*p == '*') { /* a negative width is '-' and its size, as in printf */
			long long w = va_arg(ap, int);
			left |= w < 0;
			width = (size_t)(w < 0 ? -w : w), p++;
		}
		for (; *p >= '0' && *p <= '9'; p++)
			width = width * 10 + (size_t)(*p - '0');
		if (*p == '.') {
			prec = 0;
			if (*++p == '*')
				prec = (size_t)va_arg(ap, int), p++;
			for (; *p >= '0' && *p <= '9'; p++)
				prec = prec * 10 + (size_t)(*p - '0');
		}
		for (; *p == 'l' || *p == 'z'; p++) /* 1 long, 2 long long, 3 size_t (32 bits on 32-bit targets) */
			size_mod = *p == 'z' ? 3 : size_mod + 1;
		char conv = *p ? *p++ : '%';
		if (conv == 's') {
			s = va_arg(ap, char *);
			for (len = 0; len < prec && s[len]; len++)
				;
		} else if (conv == 'c' || conv == '%') {
			*--s = conv == '%' ? '%' : (char)va_arg(ap, int);
			len = 1;
		} else {
			if (conv == 'd' || conv == 'i') {
				long long x = size_mod == 3 ? va_arg(ap, ssize_t) : size_mod == 2 ? va_arg(ap, long long)
					    : size_mod ? va_arg(ap, long) : va_arg(ap, int);
				neg = x < 0;
				v = neg ? 0 - (unsigned long long)x : (unsigned long long)x;
			} else {
				v = size_mod == 3 ? va_arg(ap, size_t) : size_mod == 2 ? va_arg(ap, unsigned long long)
				  : size_mod ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
			}
			unsigned base = conv == 'x' ? 16 : conv == 'o' ? 8 : 10;
			do
				*--s = "0123456789abcdef"[v % base];
			while (v /= base);
			if (neg)
				*--s = '-';
			len = (size_t)(num + sizeof(num) - s);
		}
		if (neg && zero && !left && width > len) { /* the sign goes before the zeros: -0042 */
			if (n + 1 < size)
				buf[n] = '-';
			n++, s++, len--, width--;
		}
		for (; !left && width > len; width--) {
			if (n + 1 < size)
				buf[n] = zero ? '0' : ' ';
			n++;
		}
		for (size_t i = 0; i < len; i++, n++)
			if (n + 1 < size)
				buf[n] = s[i];
		for (; left && width > len; width--, n++)
			if (n + 1 < size)
				buf[n] = ' ';
	}
	if (size)
		buf[n < size ? n : size - 1] = '\0';
	return (int)n;
}

PRINTF(3, 4) static int sfmt(char *buf, size_t size, const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	int n = vsfmt(buf, size, format, ap);
	va_end(ap);
	return n;
}

#ifndef __GLIBC__
/*
 * strerror, in musl's words, for the errnos rnsbox can meet (the calls it makes, as their
 * pages list them); any other is "errno N". musl's table of every errno is 2.2 KiB.
 */
char *strerror(int err)
{
	static const unsigned char codes[] = {
		EPERM, ENOENT, ESRCH, EINTR, EIO, ENXIO, E2BIG, ENOEXEC, EBADF, ECHILD, EAGAIN, ENOMEM,
		EACCES, EFAULT, EBUSY, EEXIST, EXDEV, ENODEV, ENOTDIR, EISDIR, EINVAL, ENFILE, EMFILE,
		ENOTTY, ETXTBSY, EFBIG, ENOSPC, ESPIPE, EROFS, EMLINK, EPIPE, ERANGE, EDEADLOCK,
		ENAMETOOLONG, ENOLCK, ENOSYS, ENOTEMPTY, ELOOP, EPROTO, EBADMSG, EOVERFLOW, ENOTSOCK,
		EMSGSIZE, EPROTONOSUPPORT, ENOTSUP, EAFNOSUPPORT, EADDRINUSE, EADDRNOTAVAIL, ENETUNREACH,
		ECONNABORTED, ECONNRESET, ENOBUFS, ENOTCONN, ETIMEDOUT, ECONNREFUSED, EHOSTUNREACH, EALREADY,
		EINPROGRESS, ESTALE, EDQUOT
	};
	static const char text[] =
		"Operation not permitted\0No such file or directory\0No such process\0"
		"Interrupted system call\0I/O error\0No such device or address\0Argument list too long\0"
		"Exec format error\0Bad file descriptor\0No child process\0"
		"Resource temporarily unavailable\0Out of memory\0Permission denied\0Bad address\0"
		"Resource busy\0File exists\0Cross-device link\0No such device\0Not a directory\0"
		"Is a directory\0Invalid argument\0Too many open files in system\0"
		"No file descriptors available\0Not a tty\0Text file busy\0File too large\0"
		"No space left on device\0Invalid seek\0Read-only file system\0Too many links\0Broken pipe\0"
		"Result not representable\0Resource deadlock would occur\0Filename too long\0"
		"No locks available\0Function not implemented\0Directory not empty\0Symbolic link loop\0"
		"Protocol error\0Bad message\0Value too large for data type\0Not a socket\0"
		"Message too large\0Protocol not supported\0Not supported\0"
		"Address family not supported by protocol\0Address in use\0Address not available\0"
		"Network unreachable\0Connection aborted\0Connection reset by peer\0"
		"No buffer space available\0Socket not connected\0Operation timed out\0Connection refused\0"
		"Host is unreachable\0Operation already in progress\0Operation in progress\0"
		"Stale file handle\0Quota exceeded";
	static char other[16];
	const char *p = text;
	for (size_t i = 0; i < sizeof(codes); p += strlen(p) + 1, i++)
		if (codes[i] == err)
			return (char *)p;
	sfmt(other, sizeof(other), "errno %d", err);
	return other;
}
#endif

/*
 * Append to the string of length n in buf (of size > 0): the new length, at most size - 1,
 * so that a chain of appends stops at the end of buf instead of running past it.
 */
PRINTF(4, 0) static size_t vsfmt_at(char *buf, size_t size, size_t n, const char *fmt, va_list ap)
{
	size_t k = n < size ? (size_t)vsfmt(buf + n, size - n, fmt, ap) : 0;
	return n + k < size ? n + k : size - 1;
}

PRINTF(4, 5) static size_t sfmt_at(char *buf, size_t size, size_t n, const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	n = vsfmt_at(buf, size, n, format, ap);
	va_end(ap);
	return n;
}

/*
 * Messages are formatted in full into DIAG_TEXT bytes (room for two paths), then fitted
 * to their line or field by elide: a message too long for it loses the middle, so the
 * action at its start and the cause (the errno) at its end both stay.
 */
#define DIAG_TEXT (2 * PATH_MAX + 256)

/* Copy src (of length n) to dst (of size), its middle replaced by "..." when it does not fit. The length. */
static size_t elide(char *dst, size_t size, const char *src, size_t n)
{
	size_t head = (size - 4) / 2, tail = size - 4 - head;
	if (n < size) {
		memcpy(dst, src, n + 1);
		return n;
	}
	memcpy(dst, src, head);
	memcpy(dst + head, "...", 3);
	memcpy(dst + head + 3, src + n - tail, tail + 1);
	return size - 1;
}

/*
 * The only mutable global, the diagnostics state: the prefix ("rnsbox" or "rnsbox:
 * SUBCMD", set once by dispatch) and a hook that also gets each fatal message, with its
 * argument (exec reports through it on --json-status-fd); NULL where unused. dry is
 * --dry-run's (1 text, 2 JSON lines): the steps are told (plan) instead of done, which
 * every wrapper of a call that changes something must see, however deep it is.
 */
static struct {
	char prefix[48];
	void (*fatal)(void *arg, const char *msg);
	void *fatal_arg;
	int dry;
} diag = {"rnsbox", NULL, NULL, 0};

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not one. */
static int utf8_len(const unsigned char *s)
{
	int n = s[0] < 0x80 ? 1 : s[0] < 0xc2 ? 0 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : s[0] < 0xf5 ? 4 : 0;
	if ((n == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f))) ||
	    (n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))))
		return 0;
	for (int i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * How many bytes at s go into a JSON string as they are: a whole UTF-8 sequence other
 * than a quote, a backslash or a control byte; 0 when the byte at s must be escaped (as
 * \" \\ or \u00XX, also for bytes that are not UTF-8, so the result is always valid JSON).
 */
static int json_plain(const unsigned char *s)
{
	int n = utf8_len(s);
	return n == 1 && (*s < 0x20 || *s == 0x7f || *s == '"' || *s == '\\') ? 0 : n;
}

/* The JSON escape of the byte c (one json_plain refuses): \" \\ or \u00XX. */
static const char *json_esc(char buf[8], unsigned char c)
{
	if (c == '"' || c == '\\')
		sfmt(buf, 8, "\\%c", c);
	else
		sfmt(buf, 8, "\\u%04x", c);
	return buf;
}

/* JSON string body of s into buf, cut (never inside an escape or a UTF-8 sequence) to fit. */
static void json_escape(char *buf, size_t size, const char *s)
{
	size_t n = 0;
	char esc[8];
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t k = (size_t)json_plain(p);
		const char *part = k ? (const char *)p : json_esc(esc, *p);
		size_t len = k ? k : strlen(esc);
		if (n + len >= size)
			break;
		memcpy(buf + n, part, len);
		n += len;
		p += k ? k : 1;
	}
	buf[n] = '\0';
}

/*
 * Format one line "PREFIX: MESSAGE[: strerror(err)]\n" into a stack buffer and write it
 * with a single write(2), so lines from a parent and a forked child never interleave.
 * err < 0 means no errno part; fatal lines also go to diag.fatal. Callers
 * capture errno before any call that may change it.
 */
PRINTF(4, 0) static void vdiag(int err, int fatal, const char *tag, const char *fmt, va_list ap)
{
	char text[DIAG_TEXT], buf[1024];
	size_t n = (size_t)sfmt(text, sizeof(text), "%s: %s", diag.prefix, tag);
	n = vsfmt_at(text, sizeof(text) - 64, n, fmt, ap); /* room is kept for the errno */
	if (err >= 0)
		n = sfmt_at(text, sizeof(text), n, ": %s", strerror(err));
	n = elide(buf, sizeof(buf) - 1, text, n); /* and for the newline */
	if (fatal && diag.fatal)
		diag.fatal(diag.fatal_arg, buf);
	buf[n++] = '\n';
	ssize_t w = write(STDERR_FILENO, buf, n);
	(void)w;
}

PRINTF(1, 2) static void warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdiag(-1, 0, "", fmt, ap);
	va_end(ap);
}

/* A second line after an error whose errno alone is ambiguous. */
PRINTF(1, 2) static void hint(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdiag(-1, 0, "hint: ", fmt, ap);
	va_end(ap);
}

PRINTF(1, 2) __attribute__((noreturn)) static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdiag(-1, 1, "", fmt, ap);
	va_end(ap);
	_exit(EX_FAIL);
}

PRINTF(1, 2) __attribute__((noreturn)) static void die_errno(const char *fmt, ...)
{
	int err = errno;
	va_list ap;
	va_start(ap, fmt);
	vdiag(err, 1, "", fmt, ap);
	va_end(ap);
	_exit(EX_FAIL);
}

/* A fatal error, then a hint line if hint_text is set, then exit with code. */
PRINTF(3, 4) __attribute__((noreturn)) static void die_hint(int code, const char *hint_text, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdiag(-1, 1, "", fmt, ap);
	va_end(ap);
	if (hint_text)
		hint("%s", hint_text);
	_exit(code);
}

/* A usage error names the problem and where help is; it never dumps the usage text. */
PRINTF(1, 2) __attribute__((noreturn)) static void die_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdiag(-1, 1, "", fmt, ap);
	va_end(ap);
	hint("see 'rnsbox%s%s --help'", diag.prefix[6] ? " " : "", diag.prefix[6] ? diag.prefix + 8 : "");
	_exit(EX_USAGE);
}

/* --version and -V, of rnsbox and of every subcommand and applet. */
__attribute__((noreturn)) static void print_version(void)
{
	static const char v[] = "rnsbox " RNSBOX_VERSION "\n";
	_exit(write(STDOUT_FILENO, v, sizeof(v) - 1) != sizeof(v) - 1);
}

/* The usage error for what opt_get returned that no subcommand's switch takes (':', '?'). */
__attribute__((noreturn)) static void die_option(int c, char **argv)
{
	if (c == ':')
		die_usage("option '%s' needs an argument", argv[optind - 1]);
	if (optopt)
		die_usage("unknown option '-%c'", optopt);
	die_usage("unknown option '%s'", argv[optind - 1]);
}

/*
 * The outcome of a step that must clean up before anyone dies (a helper or child that
 * reports to its parent, newns undoing what it made): ok, or the message and a hint.
 */
struct result {
	int ok;
	int sig;   /* the signal that interrupted the step, if one did: rnsbox exits 128+sig */
	char msg[600], hint[200];
};

PRINTF(3, 4) static void result_fail(struct result *r, const char *hint_text, const char *fmt, ...)
{
	char text[DIAG_TEXT];
	va_list ap;
	va_start(ap, fmt);
	size_t n = vsfmt_at(text, sizeof(text), 0, fmt, ap);
	va_end(ap);
	elide(r->msg, sizeof(r->msg), text, n);
	sfmt(r->hint, sizeof(r->hint), "%s", hint_text ? hint_text : "");
	r->ok = 0;
}

/*==== 3. small utilities (files, lines, numbers, children) ====*/

/* Where w is in s (NULL: nowhere): a naive search, where musl's two-way strstr would cost 1.3 KiB. */
static const char *find(const char *s, const char *w)
{
	for (size_t n = strlen(w); *s; s++)
		if (strncmp(s, w, n) == 0)
			return s;
	return NULL;
}

static int contains(const char *s, const char *w)
{
	return find(s, w) != NULL;
}

#ifndef __GLIBC__
/*
 * musl's memcpy, memmove and memset, as plain loops: on aarch64 musl's are unrolled
 * assembly of 1 KiB, on armhf and riscv64 unrolled C; rnsbox copies structs and short
 * strings, never bulk data (the relay splices). aarch64 -952 bytes, armhf -1,088,
 * riscv64 -1,344, x86_64 -160. Loop distribution would turn the loops back into calls.
 */
#define MEM_FN __attribute__((optimize("no-tree-loop-distribute-patterns")))
MEM_FN void *memcpy(void *restrict d, const void *restrict s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

MEM_FN void *memmove(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;
	if (p <= q || p >= q + n)
		return memcpy(d, s, n);
	while (n--)
		p[n] = q[n];
	return d;
}

MEM_FN void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}
#endif

#ifndef __GLIBC__
/*
 * musl's string functions rnsbox calls, as plain loops: musl's read a word at a time
 * and keep byte sets as bitmaps, for speed on long strings; rnsbox's are short. With
 * getenv (musl's brings its own strchrnul) 1.5 KiB on aarch64. strtok keeps its place in
 * a static, as libc's does.
 */
MEM_FN size_t strlen(const char *s)
{
	const char *p = s;
	while (*p)
		p++;
	return (size_t)(p - s);
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}

void *memchr(const void *s, int c, size_t n)
{
	for (const unsigned char *p = s; n--; p++)
		if (*p == (unsigned char)c)
			return (void *)p;
	return NULL;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n && *a && *a == *b; n--, a++, b++)
		;
	return n ? *(const unsigned char *)a - *(const unsigned char *)b : 0;
}

int strncasecmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		int x = *a >= 'A' && *a <= 'Z' ? *a + 32 : *a, y = *b >= 'A' && *b <= 'Z' ? *b + 32 : *b;
		if (x != y || !x)
			return x - y;
	}
	return 0;
}

/* How many bytes at s are (accept 1) or are not (0) in set. */
static size_t span(const char *s, const char *set, int accept)
{
	size_t n = 0;
	while (s[n] && (strchr(set, s[n]) != NULL) == accept)
		n++;
	return n;
}

size_t strspn(const char *s, const char *set)
{
	return span(s, set, 1);
}

size_t strcspn(const char *s, const char *set)
{
	return span(s, set, 0);
}

char *strpbrk(const char *s, const char *set)
{
	s += strcspn(s, set);
	return *s ? (char *)s : NULL;
}

char *strtok(char *s, const char *sep)
{
	static char *next;
	if (!s && !(s = next))
		return NULL;
	s += strspn(s, sep);
	if (!*s)
		return next = NULL;
	next = s + strcspn(s, sep);
	if (*next)
		*next++ = '\0';
	else
		next = NULL;
	return s;
}

int atoi(const char *s)
{
	int v = 0, neg = 0;
	while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
		s++;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	while (*s >= '0' && *s <= '9')
		v = 10 * v - (*s++ - '0'); /* negative, as musl: INT_MIN fits */
	return neg ? v : -v;
}

char *getenv(const char *name)
{
	extern char **environ;
	size_t n = strlen(name);
	for (char **e = environ; n && *e; e++)
		if (!strncmp(name, *e, n) && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}
#endif

#ifndef __GLIBC__
/*
 * musl's wrappers of calls rnsbox makes, where musl carries fallbacks for kernels before
 * 2.6.27 (O_CLOEXEC, SOCK_CLOEXEC, pipe2, fchdir of an O_PATH fd): rnsbox needs 5.8 or
 * later, so they are the bare calls. 1.2 KiB on aarch64. O_LARGEFILE is 0 on 64-bit targets.
 */
int openat(int dfd, const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	unsigned mode = flags & O_CREAT ? va_arg(ap, unsigned) : 0; /* rnsbox never uses O_TMPFILE */
	va_end(ap);
	return (int)syscall(SYS_openat, dfd, path, flags | O_LARGEFILE, mode);
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	unsigned mode = flags & O_CREAT ? va_arg(ap, unsigned) : 0; /* rnsbox never uses O_TMPFILE */
	va_end(ap);
	return openat(AT_FDCWD, path, flags, mode);
}

int pipe2(int fd[2], int flags)
{
	return (int)syscall(SYS_pipe2, fd, flags);
}

int socket(int domain, int type, int proto)
{
	return (int)syscall(SYS_socket, domain, type, proto);
}

int fchdir(int fd)
{
	return (int)syscall(SYS_fchdir, fd);
}

ssize_t readlink(const char *restrict path, char *restrict buf, size_t size)
{
	return syscall(SYS_readlinkat, AT_FDCWD, path, buf, size);
}

int dup2(int old, int fd)
{
	return old == fd ? fd : (int)syscall(SYS_dup3, old, fd, 0); /* rnsbox never dups an fd onto itself */
}

int isatty(int fd)
{
	struct winsize w;
	return syscall(SYS_ioctl, fd, TIOCGWINSZ, &w) == 0;
}

/*
 * And those whose musl wrappers convert 64-bit time structures on 32-bit targets, which
 * none of rnsbox's calls pass (its ioctls, prctls and messages carry no times), or fill
 * in what the kernel leaves: 0.6 KiB on aarch64.
 */
int ioctl(int fd, int req, ...)
{
	va_list ap;
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return (int)syscall(SYS_ioctl, fd, (unsigned)req, arg);
}

int prctl(int op, ...)
{
	unsigned long x[4];
	va_list ap;
	va_start(ap, op);
	for (int i = 0; i < 4; i++)
		x[i] = va_arg(ap, unsigned long);
	va_end(ap);
	return (int)syscall(SYS_prctl, op, x[0], x[1], x[2], x[3]);
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	return syscall(SYS_recvmsg, fd, msg, flags); /* the callers zero msghdr's padding */
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
#ifdef SYS_mmap2
	return (void *)syscall(SYS_mmap2, addr, len, prot, flags, fd, (long)(off / 4096));
#else
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
#endif
}

pid_t tcgetpgrp(int fd)
{
	int pgrp = -1;
	return ioctl(fd, TIOCGPGRP, &pgrp) < 0 ? -1 : pgrp;
}

int tcsetpgrp(int fd, pid_t pgrp)
{
	int p = pgrp;
	return ioctl(fd, TIOCSPGRP, &p);
}

int sched_getaffinity(pid_t pid, size_t size, cpu_set_t *set)
{
	long n = syscall(SYS_sched_getaffinity, pid, size, set);
	if (n < 0)
		return -1;
	memset((char *)set + n, 0, size - (size_t)n);
	return 0;
}

int sched_setaffinity(pid_t pid, size_t size, const cpu_set_t *set)
{
	return (int)syscall(SYS_sched_setaffinity, pid, size, set);
}

/*
 * poll as ppoll where there is no poll (aarch64, riscv64), statfs and fstatfs (statfs64
 * on 32-bit targets, as musl's: the same struct), sigwaitinfo, and the signal set bits
 * without musl's checks for the signals it reserves (rnsbox names none): no cancellation
 * points, no conversions. clone with CLONE_VM (userns-handle's helper, its only one) is
 * musl's own __clone, the assembly under its clone, which in musl 1.2.5 also handles
 * fork-like flags; without musl's C wrapper there is no stack-protector code linked.
 */
int poll(struct pollfd *p, nfds_t n, int ms)
{
#ifdef SYS_poll
	return (int)syscall(SYS_poll, p, n, ms);
#else
	struct timespec ts = {ms / 1000, ms % 1000 * 1000000L};
	return (int)syscall(SYS_ppoll, p, n, ms < 0 ? NULL : &ts, NULL, 0);
#endif
}

#ifdef SYS_statfs64
#define STATFS(call, a, buf) syscall(call##64, a, sizeof(*buf), buf)
#else
#define STATFS(call, a, buf) syscall(call, a, buf)
#endif
int statfs(const char *path, struct statfs *buf)
{
	return (int)STATFS(SYS_statfs, path, buf);
}

int fstatfs(int fd, struct statfs *buf)
{
	return (int)STATFS(SYS_fstatfs, fd, buf);
}

int sigwaitinfo(const sigset_t *restrict set, siginfo_t *restrict info)
{
	return (int)syscall(SYS_rt_sigtimedwait, set, info, NULL, _NSIG / 8);
}

#define SIG_WORD(set, sig) ((unsigned long *)(set))[((unsigned)(sig) - 1) / (8 * sizeof(long))]
#define SIG_BIT(sig) (1UL << ((unsigned)(sig) - 1) % (8 * sizeof(long)))
int sigaddset(sigset_t *set, int sig)
{
	SIG_WORD(set, sig) |= SIG_BIT(sig);
	return 0;
}

int sigdelset(sigset_t *set, int sig)
{
	SIG_WORD(set, sig) &= ~SIG_BIT(sig);
	return 0;
}

/*
 * _Fork as the bare call: musl's also takes its abort lock and sets the child's thread id,
 * which only raise, pthread_kill and stdio's locks read, none of which rnsbox calls.
 */
pid_t _Fork(void)
{
#ifdef SYS_fork
	return (pid_t)syscall(SYS_fork);
#else
	return (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
#endif
}

int __clone(int (*fn)(void *), void *stack, int flags, void *arg, ...);
int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
	int pid = __clone(fn, stack, flags, arg, (pid_t *)0, (void *)0, (pid_t *)0);
	return pid < 0 ? (errno = -pid, -1) : pid;
}
#endif

/* write(2) all of buf, retrying short writes and EINTR. Returns 0 or -1 with errno. */
static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * --dry-run (exec, newns, userns-handle): every step that would change the system or the
 * process (a file written, a mount, unshare, setns, an id, a netlink request, a program
 * run) goes through plan() where it is done, so what is printed is what the code would
 * do, in its order, from the same code path. Without --dry-run plan() returns 0: do it.
 * With it, the step goes to standard output ("STEP WHAT", or a JSON line with --json)
 * and plan() returns 1: skip it, as if it had worked.
 */
PRINTF(2, 3) static int plan(const char *step, const char *fmt, ...)
{
	char what[1024], esc[1024], line[2200];
	va_list ap;
	if (!diag.dry)
		return 0;
	va_start(ap, fmt);
	size_t k = (size_t)vsfmt(what, sizeof(what), fmt, ap);
	va_end(ap);
	for (k = k < sizeof(what) ? k : sizeof(what) - 1; k > 0 && what[k - 1] == '\n';)
		what[--k] = '\0'; /* a file's text, its lines joined by commas */
	for (char *c = what; (c = strchr(c, '\n'));)
		*c = ',';
	json_escape(esc, sizeof(esc), what);
	size_t n = (size_t)sfmt(line, sizeof(line), diag.dry == 2 ? "{\"step\": \"%s\", \"what\": \"%s\"}\n" : "%-7s %s\n",
				step, diag.dry == 2 ? esc : what);
	if (write_all(STDOUT_FILENO, line, n < sizeof(line) ? n : sizeof(line) - 1) < 0)
		die_errno("write the plan to standard output");
	return 1;
}

/* plan() of running the program path with argv: the command line, words with a blank or empty quoted. */
static int plan_argv(const char *path, char *const *argv)
{
	char cmd[1024];
	size_t n = (size_t)sfmt(cmd, sizeof(cmd), "%s", path);
	for (int i = 1; diag.dry && argv[i]; i++)
		n = sfmt_at(cmd, sizeof(cmd), n, *argv[i] && !strpbrk(argv[i], " \t'\"") ? " %s" : " '%s'", argv[i]);
	return plan("exec", "%s", cmd);
}

/* Write a short string to a file that must exist (proc and sys files). 0 or -1 with errno. */
static int write_file(const char *path, const char *text)
{
	if (plan("write", "%s: %s", path, text))
		return 0;
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	int rc = write_all(fd, text, strlen(text));
	int err = errno;
	close(fd);
	errno = err;
	return rc;
}

/*
 * A line reader over an fd: proc files, /etc/subuid, mountinfo, resolv.conf. Lines are
 * read whole, whatever their length: a line longer than the buffer inside the struct
 * moves to anonymous memory that grows as needed (mmap, not malloc, which would bring
 * musl's allocator along), up to LINE_MAX_LEN, past which it is E2BIG, never split.
 * Not to be copied (buf may point into it); lines_close frees what it took.
 */
#define LINE_MAX_LEN (16u << 20)
struct lines {
	int fd, lineno;
	size_t len, off, size;
	char *buf, small[4096];
};

static int lines_open(struct lines *l, const char *path)
{
	l->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	l->lineno = 0;
	l->len = l->off = 0;
	l->buf = l->small;
	l->size = sizeof(l->small);
	return l->fd < 0 ? -1 : 0;
}

/* Room for a longer line: the buffer four times as large. 0, or -1 with errno (E2BIG past the cap). */
static int lines_grow(struct lines *l)
{
	size_t size = l->size * 4;
	char *p = l->size >= LINE_MAX_LEN ? MAP_FAILED
		: mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		errno = l->size >= LINE_MAX_LEN ? E2BIG : errno;
		return -1;
	}
	memcpy(p, l->buf, l->len);
	if (l->buf != l->small)
		munmap(l->buf, l->size);
	l->buf = p;
	l->size = size;
	return 0;
}

/* Next line without its newline, NULL at end (errno 0) or on error (errno set). */
static char *lines_next(struct lines *l)
{
	for (;;) {
		char *start = l->buf + l->off;
		char *nl = memchr(start, '\n', l->len - l->off);
		if (nl) {
			*nl = '\0';
			l->off = (size_t)(nl + 1 - l->buf);
			l->lineno++;
			return start;
		}
		memmove(l->buf, start, l->len - l->off);
		l->len -= l->off;
		l->off = 0;
		if (l->len == l->size - 1 && lines_grow(l) < 0)
			return NULL;
		ssize_t n = read(l->fd, l->buf + l->len, l->size - 1 - l->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return NULL;
		if (n == 0) {
			errno = 0;
			if (l->len == 0)
				return NULL;
			l->buf[l->len++] = '\n'; /* last line without a newline */
			continue;
		}
		l->len += (size_t)n;
	}
}

static void lines_close(struct lines *l)
{
	if (l->buf != l->small)
		munmap(l->buf, l->size);
	l->buf = l->small;
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

/* A directory's entries through getdents64 (musl's readdir would bring malloc along). */
struct dents {
	int fd;
	long n, off;
	char buf[4096] __attribute__((aligned(8)));
};

/* Open dir (relative to dfd) for dents_next, without following a symlink. 0, or -1 with errno. */
static int dents_open(struct dents *d, int dfd, const char *dir)
{
	d->n = d->off = 0;
	d->fd = openat(dfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return d->fd < 0 ? -1 : 0;
}

/* The next entry's name, "." and ".." skipped; NULL at the end or on an error. */
static const char *dents_next(struct dents *d)
{
	for (;;) {
		if (d->off >= d->n) {
			d->off = 0;
			if ((d->n = syscall(SYS_getdents64, d->fd, d->buf, sizeof(d->buf))) <= 0)
				return NULL;
		}
		struct dirent *e = (void *)(d->buf + d->off);
		d->off += e->d_reclen;
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			return e->d_name;
	}
}

/*
 * Parse a decimal unsigned number that must fit in max, at *s, and advance *s past it.
 * No sign, no leading whitespace, at least one digit. 0 or -1.
 */
static int parse_uint(const char **s, unsigned long long max, unsigned long long *out)
{
	const char *p = *s;
	unsigned long long v = 0;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*s = p;
	*out = v;
	return 0;
}

/*
 * The one read of a small file (a pid file, a count, a sysctl, /proc/PID/environ): name
 * in dfd (AT_FDCWD for a path), opened with flags added (O_NOFOLLOW for state files),
 * read with one read(2) into buf, NUL-terminated (empty on failure). Its length, or -1
 * with errno; ENOENT is for the caller to read as "none", no other error is.
 */
static ssize_t read_small(int dfd, const char *name, int flags, char *buf, size_t size)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | flags);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);
	int err = errno;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	errno = err;
	return n;
}

/* Read a file holding one unsigned number (a sysctl). 0, or -1 with errno (EINVAL: not one). */
static int read_number(const char *path, unsigned long long *out)
{
	char buf[64];
	if (read_small(AT_FDCWD, path, 0, buf, sizeof(buf)) < 0)
		return -1;
	const char *p = buf;
	if (parse_uint(&p, ~0ULL, out) < 0 || (*p != '\0' && strcmp(p, "\n") != 0)) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/*
 * Look a user or group up in /etc/passwd or /etc/group ("name:x:id:..."), read directly:
 * musl's getpw* would bring malloc, stdio and an nscd client into a static binary. With
 * name set, find its id; else find field number field (0: the name, 6: passwd's shell) of
 * *id's line into buf. 0, or -1 if not found.
 */
static int idfile_lookup(const char *path, const char *name, unsigned *id, char *buf, size_t size, int field)
{
	struct lines l;
	char *line;
	int rc = -1;
	if (lines_open(&l, path) < 0)
		return -1;
	while (rc < 0 && (line = lines_next(&l))) {
		size_t len = strcspn(line, ":");
		const char *p = line[len] ? strchr(line + len + 1, ':') : NULL;
		unsigned long long v;
		if (!p || (p++, parse_uint(&p, UINT32_MAX, &v)) < 0 || *p != ':')
			continue;
		if (name ? strlen(name) == len && strncmp(line, name, len) == 0 : v == *id) {
			if (name)
				*id = (unsigned)v;
			for (p = line; field > 0 && p && (p = strchr(p, ':')); field--)
				p++;
			rc = name || (p && (size_t)sfmt(buf, size, "%.*s", (int)strcspn(p, ":"), p) < size) ? 0 : -1;
		}
	}
	lines_close(&l);
	return rc;
}

/*
 * Find an executable on PATH (or the default search path when PATH is unset). Fills buf
 * and returns 0, or -1 if not found.
 */
static int path_find(const char *name, char *buf, size_t size)
{
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (const char *p = path;; p++) {
		size_t len = strcspn(p, ":");
		if (len > 0 && (size_t)sfmt(buf, size, "%.*s/%s", (int)len, p, name) < size &&
		    access(buf, X_OK) == 0)
			return 0;
		p += len;
		if (!*p)
			return -1;
	}
}

/*
 * The one environment editor: env (room entries) gets the variables "NAME=value" of add
 * first, then environ's without the names add sets, then NULL (setenv would bring malloc
 * along). Marks go first so a reader of /proc/PID/environ finds them in its first page.
 */
static void env_with(char **env, size_t room, char *const *add, size_t nadd)
{
	extern char **environ;
	size_t n = 0;
	for (size_t i = 0; i < nadd && n + 1 < room; i++)
		env[n++] = add[i];
	for (char **v = environ; *v && n + 1 < room; v++) {
		size_t len = strcspn(*v, "=") + 1, i = 0;
		while (i < nadd && strncmp(*v, add[i], len))
			i++;
		if (i == nadd)
			env[n++] = *v;
	}
	env[n] = NULL;
}

/*
 * The signal names by number, 1 to 31, as every architecture rnsbox is built for numbers
 * them (the generic Linux numbering; not MIPS', Alpha's or SPARC's), checked below.
 */
static const char sig_names[] = "HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD CONT "
				"STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS ";
_Static_assert(SIGBUS == 7 && SIGUSR1 == 10 && SIGCHLD == 17 && SIGSTOP == 19 && SIGSYS == 31,
	       "sig_names assumes the generic Linux signal numbers");

/* A signal by number (1-64), NAME or SIGNAME, any case. The number, or -1. */
static int parse_signal(const char *s)
{
	unsigned long long v;
	const char *p = s;
	if (parse_uint(&p, 64, &v) == 0)
		return !*p && v > 0 ? (int)v : -1;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	size_t len = strlen(s);
	int num = 1;
	for (const char *q = sig_names; *q; q += strcspn(q, " ") + 1, num++)
		if (len && strncasecmp(s, q, len) == 0 && q[len] == ' ')
			return num;
	return -1;
}

/* The name of signal sig (1 to 31) into buf, "?" for another. */
static const char *sig_name(int sig, char buf[8])
{
	const char *p = sig_names;
	for (int n = 1; *p && n < sig; n++)
		p += strcspn(p, " ") + 1;
	sfmt(buf, 8, "%.*s", sig >= 1 && *p ? (int)strcspn(p, " ") : 1, sig >= 1 && *p ? p : "?");
	return buf;
}

/*
 * The catchable signals that would end rnsbox while it makes things: newns blocks them
 * from the start, takes them where it waits (nh_spawn's poll, through a signalfd) and
 * looks for them before it says it is done, so that on any of them it undoes what it
 * made and exits 128+N (newns_fail) instead of dying with pins and a helper left.
 */
static void sig_held(sigset_t *set)
{
	sigemptyset(set);
	for (int i = 0; i < 5; i++)
		sigaddset(set, (int[]){SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE}[i]);
}

/* The first held signal pending (taken from the kernel's queue), or 0. */
static int sig_pending(void)
{
	sigset_t held, pend;
	sig_held(&held);
	if (sigpending(&pend) < 0)
		return 0;
	for (int sig = 1; sig < 32; sig++)
		if (sigismember(&held, sig) && sigismember(&pend, sig)) {
			sigset_t one;
			sigemptyset(&one);
			sigaddset(&one, sig);
			sigwaitinfo(&one, NULL);
			return sig;
		}
	return 0;
}

/*
 * One protocol for every forked step: child_start forks with a SOCK_SEQPACKET socketpair
 * between parent and child, so each message (a go byte, a pid, a report) arrives whole,
 * a send to a child that is gone is EPIPE (MSG_NOSIGNAL), never a SIGPIPE that would end
 * rnsbox before its undo, and the child's end closing (it exited, or was killed) is EOF.
 * The parent reaps with child_reap, which says how the child ended. Reports hold no fd or
 * pid of the sender's: those travel as their own messages.
 */
struct child {
	pid_t pid;
	int fd; /* this side's end of the pair */
};

/* Fork: 0 in the child, its pid in the parent, -1 (errno) when no child was made. */
static pid_t child_start(struct child *c)
{
	int sv[2];
	c->pid = -1;
	if (syscall(SYS_socketpair, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1; /* the syscall: musl's wrapper carries a fallback for kernels before 2.6.27 */
	int err = (c->pid = _Fork()) < 0 ? errno : 0;
	close(sv[c->pid == 0]);
	c->fd = sv[c->pid != 0];
	if (c->pid < 0)
		close(c->fd), errno = err;
	return c->pid;
}

/* One message to the other side: 0, or -1 (EPIPE: it is gone). */
static int child_send(int fd, const void *msg, size_t len)
{
	return sendto(fd, msg, len, MSG_NOSIGNAL, NULL, 0) == (ssize_t)len ? 0 : -1;
}

/* One message of exactly len bytes from the other side: 0, or -1 (EOF: it is gone). */
static int child_recv(int fd, void *msg, size_t len)
{
	ssize_t n;
	while ((n = read(fd, msg, len)) < 0 && errno == EINTR) /* one message a read */
		;
	return n == (ssize_t)len ? 0 : -1;
}

/* How a process ended, from its wait status, into why: "exited with status N", "killed by SIGTERM". */
static char *wait_why(int status, char why[32])
{
	char sn[8];
	if (WIFSIGNALED(status))
		sfmt(why, 32, "killed by SIG%s", sig_name(WTERMSIG(status), sn));
	else
		sfmt(why, 32, "exited with status %d", WEXITSTATUS(status));
	return why;
}

/* Parent: close the pair and reap the child; how it ended into why (", " wait_why); its wait status. */
static int child_reap(struct child *c, char why[40])
{
	int status = 0;
	char w[32];
	close(c->fd);
	while (c->pid > 0 && waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	sfmt(why, 40, ", %s", wait_why(status, w));
	return status;
}

/*
 * Run fn(res) in a child and copy *res (len bytes) back. The child may change its own
 * credentials and namespaces freely; the caller's are untouched. Blocks until the child
 * exits. 0, or -1 if it ended before reporting (errno EPIPE; *status its wait status).
 * A dry run does fn's steps itself.
 */
static int in_child(void (*fn)(void *), void *res, size_t len, int *status)
{
	struct child c;
	char why[40];
	if (plan("fork", "a child does the next steps"))
		return fn(res), 0;
	if (child_start(&c) < 0)
		return -1;
	if (c.pid == 0) {
		fn(res);
		_exit(child_send(c.fd, res, len) < 0);
	}
	int rc = child_recv(c.fd, res, len);
	*status = child_reap(&c, why);
	if (rc < 0)
		errno = EPIPE;
	return rc;
}

/*==== 4. report output (text, JSON, shell) ====*/

/*
 * detect and the listing commands emit one tree of facts through these calls, and each
 * format renders it: text for people (indented "key: value"), one JSON object, or shell
 * assignments RNSBOX_PATH_KEY='value' that are safe to eval. Arrays hold scalars only:
 * a word array ('[') becomes one space-separated value in shell and text, a line array
 * ('(') one value with an element a line. JSON shows both as arrays.
 */
enum fmt { FMT_TEXT, FMT_JSON, FMT_SHELL };

#define OUT_DEPTH 4
struct out {
	enum fmt fmt;
	int fd;                   /* where out_flush writes; 0: standard output */
	int depth;
	int count[OUT_DEPTH + 1]; /* members written so far at each level */
	char kind[OUT_DEPTH + 1]; /* '{', '[' or '(' */
	const char *key[OUT_DEPTH + 1];
	size_t len;
	char buf[4096];
};

static void out_flush(struct out *o)
{
	if (write_all(o->fd ? o->fd : STDOUT_FILENO, o->buf, o->len) < 0 && errno != EPIPE)
		die_errno("write %s", o->fd ? "a state file" : "standard output");
	o->len = 0;
}

/*
 * Write what o holds when telling it is part of an operation that is undone if it cannot
 * be told (the paths newns and userns-handle made): SIGPIPE is ignored meanwhile, so a
 * closed pipe is EPIPE here, not a death halfway with the pins left. 0, or -1 with errno.
 */
static int out_commit(struct out *o)
{
	sigset_t pipe, was;
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe, &was); /* blocked: a write to a closed pipe is EPIPE, its SIGPIPE pending */
	int rc = write_all(o->fd ? o->fd : STDOUT_FILENO, o->buf, o->len), err = errno;
	if (rc < 0 && err == EPIPE && !sigismember(&was, SIGPIPE))
		sigwaitinfo(&pipe, NULL); /* pending since the EPIPE: taken, so unblocking does not deliver it */
	sigprocmask(SIG_SETMASK, &was, NULL);
	o->len = 0;
	errno = err;
	return rc;
}

static void out_mem(struct out *o, const char *s, size_t n)
{
	while (n > 0) {
		if (o->len == sizeof(o->buf))
			out_flush(o);
		size_t k = sizeof(o->buf) - o->len < n ? sizeof(o->buf) - o->len : n;
		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
	}
}

static void out_s(struct out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

PRINTF(2, 3) static void out_f(struct out *o, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsfmt(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	out_mem(o, buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/*
 * The body of a string value, escaped for the format: JSON escapes quotes, backslashes,
 * control bytes and bytes that are not UTF-8 (as \u00XX); shell writes inside single
 * quotes, so only ' needs '\''; text shows control and non-UTF-8 bytes as \xNN.
 */
static void out_escaped(struct out *o, const char *str)
{
	for (const unsigned char *s = (const unsigned char *)str; *s;) {
		int n = utf8_len(s);
		if (o->fmt == FMT_SHELL) {
			if (*s == '\'')
				out_s(o, "'\\''");
			else
				out_mem(o, (const char *)s, 1);
			s++;
		} else if (o->fmt == FMT_JSON ? json_plain(s) : n > 1 || (n == 1 && *s >= 0x20 && *s != 0x7f)) {
			out_mem(o, (const char *)s, (size_t)n);
			s += n;
		} else if (o->fmt == FMT_JSON) {
			char esc[8];
			out_s(o, json_esc(esc, *s++));
		} else {
			out_f(o, "\\x%02x", *s++);
		}
	}
}

/* Start a member: separator, then the key as the format spells it. */
static void out_key(struct out *o, const char *key)
{
	int d = o->depth, first = o->count[d]++ == 0;
	if (o->kind[d] == '[') {
		if (!first || o->fmt == FMT_TEXT)
			out_s(o, o->fmt == FMT_JSON ? "," : " ");
		return;
	}
	if (o->kind[d] == '(') {
		if (o->fmt == FMT_TEXT)
			for (out_s(o, "\n"); d-- > 1;)
				out_s(o, "  ");
		else if (!first)
			out_s(o, o->fmt == FMT_JSON ? "," : "\n");
		return;
	}
	if (o->fmt == FMT_JSON) {
		out_s(o, first ? "\"" : ",\"");
		out_escaped(o, key);
		out_s(o, "\":");
	} else if (o->fmt == FMT_TEXT) {
		for (int i = 1; i < d; i++)
			out_s(o, "  ");
		out_escaped(o, key);
		out_s(o, ":");
	} else {
		out_s(o, "RNSBOX");
		for (int i = 2; i <= d + 1; i++) { /* level 1 is the unnamed top object */
			const char *k = i <= d ? o->key[i] : key;
			out_s(o, "_");
			for (; *k; k++) {
				char c = *k >= 'a' && *k <= 'z' ? (char)(*k - 32) : *k;
				out_mem(o, (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ? &c : "_", 1);
			}
		}
		out_s(o, "=");
	}
}

/* A scalar: val is the rendered text, quoted says whether JSON needs quotes. */
static void out_val(struct out *o, const char *key, const char *val, int quoted)
{
	int in_array = o->kind[o->depth] != '{';
	out_key(o, key);
	if (o->fmt == FMT_TEXT && !in_array)
		out_s(o, " ");
	if ((o->fmt == FMT_JSON && quoted) || (o->fmt == FMT_SHELL && !in_array))
		out_s(o, o->fmt == FMT_JSON ? "\"" : "'");
	out_escaped(o, val);
	if ((o->fmt == FMT_JSON && quoted) || (o->fmt == FMT_SHELL && !in_array))
		out_s(o, o->fmt == FMT_JSON ? "\"" : "'");
	if (o->fmt != FMT_JSON && !in_array)
		out_s(o, "\n");
}

static void out_str(struct out *o, const char *key, const char *val)
{
	out_val(o, key, val, 1);
}

/* A missing value (the kernel lacks it, there is none): JSON null, shell empty, text word. */
static void out_none(struct out *o, const char *key, const char *word)
{
	out_val(o, key, o->fmt == FMT_JSON ? "null" : o->fmt == FMT_SHELL ? "" : word, 0);
}

/* A value that could not be read (no /proc, say): "unknown" in every format, never null. */
static void out_unknown(struct out *o, const char *key)
{
	out_val(o, key, "unknown", 1);
}

static void out_u64(struct out *o, const char *key, unsigned long long v)
{
	char buf[24];
	sfmt(buf, sizeof(buf), "%llu", v);
	out_val(o, key, buf, 0);
}

static void out_bool(struct out *o, const char *key, int v)
{
	static const char *const words[3][2] = {{"no", "yes"}, {"false", "true"}, {"0", "1"}};
	out_val(o, key, words[o->fmt][!!v], 0);
}

/* Open an object ('{') or array ('[', '('); key is ignored at the top level. */
static void out_open(struct out *o, const char *key, char kind)
{
	if (o->depth > 0 && o->fmt == FMT_SHELL && kind == '{') {
		o->count[o->depth]++; /* a shell object is only a prefix of its members' names */
	} else if (o->depth > 0) {
		out_key(o, key);
		if (o->fmt == FMT_SHELL)
			out_s(o, "'");
		if (o->fmt == FMT_TEXT && kind == '{')
			out_s(o, "\n");
	}
	if (o->fmt == FMT_JSON)
		out_s(o, kind == '{' ? "{" : "[");
	o->depth++;
	o->count[o->depth] = 0;
	o->kind[o->depth] = kind;
	o->key[o->depth] = key;
}

static void out_close(struct out *o)
{
	int d = o->depth--;
	if (o->fmt == FMT_JSON)
		out_s(o, o->kind[d] == '{' ? "}" : "]");
	else if (o->kind[d] != '{') {
		if (o->fmt == FMT_TEXT && o->count[d] == 0)
			out_s(o, " none");
		out_s(o, o->fmt == FMT_SHELL ? "'\n" : "\n");
	}
	if (o->depth == 0) {
		if (o->fmt == FMT_JSON)
			out_s(o, "\n");
		out_flush(o);
	}
}

/*
 * Things a report could not read, collected while it is made and listed at its end, so
 * a masked or missing /proc is said plainly instead of guessed around.
 */
struct notes {
	int n;
	size_t len;
	char buf[2048];
};

PRINTF(2, 3) static void note(struct notes *nt, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsfmt(nt->buf + nt->len, sizeof(nt->buf) - nt->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(nt->buf) - nt->len)
		return; /* full: the first notes matter most */
	nt->len += (size_t)n + 1;
	nt->n++;
}

static void out_notes(struct out *o, const char *key, const struct notes *nt)
{
	out_open(o, key, '(');
	for (size_t off = 0; off < nt->len; off += strlen(nt->buf + off) + 1)
		out_str(o, "", nt->buf + off);
	out_close(o);
}

/*==== 5. syscall wrappers and probes ====*/

static long sys_pidfd_open(pid_t pid, unsigned flags)
{
	return syscall(SYS_pidfd_open, pid, flags);
}

static long sys_clone3(void *args, size_t size)
{
	return syscall(SYS_clone3, args, size);
}

static long sys_pidfd_getfd(int pidfd, int fd)
{
	return syscall(SYS_pidfd_getfd, pidfd, fd, 0);
}

static long sys_close_range(unsigned first, unsigned last, unsigned flags)
{
	return syscall(SYS_close_range, first, last, flags);
}

/* fcntl's F_GETFD and F_SETFD, the only ones rnsbox uses, as the syscall: musl's fcntl is 0.4 KiB. */
static int sys_fdflags(int fd, int cmd, int flags)
{
	return (int)syscall(SYS_fcntl, fd, cmd, flags);
}

/*
 * setuid, setgid and setgroups as the syscalls: rnsbox has one thread, and musl's
 * wrappers bring __synccall (for every thread) and with it sigaction and semaphores, about
 * 2 KiB. The 32-bit ARM (and i386) calls of those names take 16-bit ids: the *32 ones are
 * meant, and used wherever the architecture has them.
 */
#ifdef SYS_setuid32
#define SYS_ID_SETUID SYS_setuid32
#define SYS_ID_SETGID SYS_setgid32
#define SYS_ID_SETGROUPS SYS_setgroups32
#else
#define SYS_ID_SETUID SYS_setuid
#define SYS_ID_SETGID SYS_setgid
#define SYS_ID_SETGROUPS SYS_setgroups
#endif
static long sys_setuid(uid_t uid)
{
	return plan("ids", "setuid %u", (unsigned)uid) ? 0 : syscall(SYS_ID_SETUID, uid);
}

static long sys_setgid(gid_t gid)
{
	return plan("ids", "setgid %u", (unsigned)gid) ? 0 : syscall(SYS_ID_SETGID, gid);
}

static long sys_setgroups(size_t n, const gid_t *list)
{
	return plan("ids", "setgroups (%zu)", n) ? 0 : syscall(SYS_ID_SETGROUPS, n, list);
}

/* path, relative to dfd (AT_FDCWD, or a directory fd named by its /proc/self/fd link), into buf. */
static char *at_path(int dfd, const char *path, char buf[PATH_MAX])
{
	char link[32];
	ssize_t n = -1;
	sfmt(link, sizeof(link), "/proc/self/fd/%d", dfd);
	if (dfd != AT_FDCWD && (n = readlink(link, buf, PATH_MAX - 2)) > 0 && *path)
		buf[n++] = '/';
	sfmt(buf + (n < 0 ? 0 : n), PATH_MAX - (size_t)(n < 0 ? 0 : n), "%s", path);
	return buf;
}

/* plan() of a step on path, relative to dfd (at_path; read only in a dry run). more follows the path. */
static int plan_at(const char *step, int dfd, const char *path, const char *more)
{
	char d[PATH_MAX];
	return diag.dry && plan(step, "%s%s", at_path(dfd, path, d), more);
}

/*
 * rnsbox's new mount API calls: a copy of a tree (open_tree, OPEN_TREE_CLONE: done in a
 * dry run too, as it is no change until it is moved), its attributes (attr_set, the first
 * field of attr: userns-handle's id map), the copy moved into place.
 */
static long sys_open_tree(int dfd, const char *path, unsigned flags)
{
	plan("mount", "a copy of %s (open_tree)", path);
	return syscall(SYS_open_tree, dfd, path, flags);
}

static long sys_mount_setattr(int dfd, const char *path, unsigned flags, void *attr, size_t size)
{
	return plan("mount", "the copy's attributes 0x%llx set", attr ? *(unsigned long long *)attr : 0)
		       ? 0 : syscall(SYS_mount_setattr, dfd, path, flags, attr, size);
}

static long sys_move_mount(int from_dfd, const char *from, int to_dfd, const char *to, unsigned flags)
{
	return plan("mount", "the copy moved to %s", to) ? 0 : syscall(SYS_move_mount, from_dfd, from, to_dfd, to, flags);
}

/*
 * The calls of libc that change the system, each through plan() first, and their names
 * redirected to these (below), so that no call site can do one unplanned. (name)(...)
 * calls the real one: a function-like macro is not expanded before ')'. unshare and
 * setns follow the namespace table. In a dry run, a file opened to be written is
 * /dev/null, so what is written to it goes nowhere.
 */
static const char *mount_flags(unsigned long f, char *buf, size_t size)
{
	/* MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE, MS_SLAVE, MS_SHARED */
	static const char names[][8] = {"ro", "nosuid", "nodev", "noexec", "remount", "bind", "move", "rec", "private",
					"slave", "shared"};
	static const unsigned char bit[] = {0, 1, 2, 3, 5, 12, 13, 14, 18, 19, 20};
	size_t n = 0;
	*buf = '\0';
	for (size_t i = 0; i < sizeof(bit); i++)
		if (f >> bit[i] & 1)
			n = sfmt_at(buf, size, n, "%s%s", n ? "," : "", names[i]);
	return buf;
}

static int dry_mount(const char *src, const char *dst, const char *type, unsigned long flags, const void *data)
{
	char f[80];
	return plan("mount", "%s on %s type %s (%s)", src ? src : "-", dst, type ? type : "-", mount_flags(flags, f, sizeof(f)))
		       ? 0 : (mount)(src, dst, type, flags, data);
}
#define mount(...) dry_mount(__VA_ARGS__)

static int dry_umount2(const char *dst, int flags)
{
	return plan("umount", "%s", dst) ? 0 : (umount2)(dst, flags);
}
#define umount2(...) dry_umount2(__VA_ARGS__)

static int dry_openat(int dfd, const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = flags & O_CREAT ? (mode_t)va_arg(ap, unsigned) : 0;
	va_end(ap);
	if ((flags & (O_CREAT | O_WRONLY | O_RDWR)) && strcmp(path, "/dev/null") &&
	    plan_at(flags & O_CREAT ? "create" : "open", dfd, path, flags & O_CREAT ? "" : " (to write)"))
		return (openat)(AT_FDCWD, "/dev/null", O_RDWR | O_CLOEXEC);
	return (openat)(dfd, path, flags, mode);
}
#define openat(...) dry_openat(__VA_ARGS__)
#define open(...) dry_openat(AT_FDCWD, __VA_ARGS__)

/* A dry run says what would fail for what is there: mkdir of what exists, unlink of what does not. */
static int dry_mkdir(int dfd, const char *path, mode_t mode)
{
	struct stat st;
	if (diag.dry && fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return errno = EEXIST, -1;
	return plan_at("mkdir", dfd, path, "") ? 0 : (mkdirat)(dfd, path, mode);
}
#define mkdirat(...) dry_mkdir(__VA_ARGS__)
#define mkdir(...) dry_mkdir(AT_FDCWD, __VA_ARGS__)

static int dry_unlinkat(int dfd, const char *path, int flags)
{
	struct stat st;
	if (diag.dry && fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	return plan_at(flags ? "rmdir" : "unlink", dfd, path, "") ? 0 : (unlinkat)(dfd, path, flags);
}
#define unlinkat(...) dry_unlinkat(__VA_ARGS__)
#define unlink(p) dry_unlinkat(AT_FDCWD, p, 0)
#define rmdir(p) dry_unlinkat(AT_FDCWD, p, AT_REMOVEDIR)

static int dry_renameat(int dfd, const char *from, int dfd2, const char *to)
{
	char m[PATH_MAX + 8] = " to ";
	if (diag.dry)
		at_path(dfd2, to, m + 4);
	return plan_at("rename", dfd, from, m) ? 0 : (renameat)(dfd, from, dfd2, to);
}
#define renameat(...) dry_renameat(__VA_ARGS__)
#define rename(a, b) dry_renameat(AT_FDCWD, a, AT_FDCWD, b)

static int dry_symlink(const char *target, const char *path)
{
	return plan("symlink", "%s -> %s", path, target) ? 0 : (symlink)(target, path);
}
#define symlink(...) dry_symlink(__VA_ARGS__)

static int dry_chmod(const char *path, mode_t mode)
{
	return plan("chmod", "%s %o", path, (unsigned)mode) ? 0 : (chmod)(path, mode);
}
#define chmod(...) dry_chmod(__VA_ARGS__)

static int dry_sethostname(const char *name, size_t len)
{
	return plan("uts", "hostname %.*s", (int)len, name) ? 0 : (sethostname)(name, len);
}
#define sethostname(...) dry_sethostname(__VA_ARGS__)

static int dry_chroot(const char *path)
{
	return plan("chroot", "%s", path) ? 0 : (chroot)(path);
}
#define chroot(...) dry_chroot(__VA_ARGS__)

static int dry_chdir(int fd, const char *path)
{
	return plan_at("chdir", path ? AT_FDCWD : fd, path ? path : "", "") ? 0 : path ? (chdir)(path) : (fchdir)(fd);
}
#define chdir(p) dry_chdir(-1, p)
#define fchdir(fd) dry_chdir(fd, NULL)

/* This process's capability sets (capget works without /proc). 0, or -1 with errno. */
static int caps_get(struct cap_data c[2])
{
	struct cap_header h = {CAP_VERSION_3, 0};
	return (int)syscall(SYS_capget, &h, c);
}

/* Whether capability cap is in this process's effective set. */
static int cap_effective(int cap)
{
	struct cap_data c[2];
	return caps_get(c) == 0 && (c[cap / 32].effective >> (cap % 32) & 1);
}

/*
 * Classify a probe that called a syscall with a deliberately bad argument (STYLE 13):
 * ENOSYS means the kernel lacks it, EPERM/EACCES that a policy (seccomp, LSM) blocks it,
 * anything else (EINVAL, EBADF, EFAULT, success) that it is there.
 */
static const char *probe_word(long rc)
{
	if (rc >= 0)
		return "present";
	if (errno == ENOSYS)
		return "absent";
	if (errno == EPERM || errno == EACCES)
		return "blocked";
	return "present";
}

/*==== 6. netlink ====*/

/*
 * A small checked builder for one rtnetlink request (after libmnl): every put checks
 * room first and, when there is none, marks the buffer so nl_do refuses to send it.
 */
struct nlbuf {
	unsigned char *p;
	size_t cap, len;
	int overflow;
};
#define NLBUF(arr) {.p = (arr), .cap = sizeof(arr)}

static void *nl_room(struct nlbuf *b, size_t len)
{
	if (b->overflow || b->cap - b->len < NL_ALIGN(len)) {
		b->overflow = 1;
		return NULL;
	}
	void *p = b->p + b->len;
	memset(p, 0, NL_ALIGN(len));
	b->len += NL_ALIGN(len);
	((struct nlmsghdr *)(void *)b->p)->nlmsg_len = (uint32_t)b->len;
	return p;
}

static void nl_put_hdr(struct nlbuf *b, uint16_t type, uint16_t flags)
{
	b->len = 0;
	b->overflow = 0;
	struct nlmsghdr *h = nl_room(b, sizeof(*h));
	if (!h)
		return;
	h->nlmsg_type = type;
	h->nlmsg_flags = (uint16_t)(flags | NLM_F_REQUEST | NLM_F_ACK);
}

/* The family header after nlmsghdr (ifinfomsg, ifaddrmsg, rtmsg), zeroed; NULL if no room. */
static void *nl_put_extra(struct nlbuf *b, size_t len)
{
	return nl_room(b, len);
}

static void nl_put_attr(struct nlbuf *b, uint16_t type, const void *data, size_t len)
{
	struct rtattr *a = nl_room(b, sizeof(*a) + len);
	if (!a)
		return;
	a->rta_len = (unsigned short)(sizeof(*a) + len);
	a->rta_type = type;
	memcpy(a + 1, data, len);
}

/* Open a nested attribute at the end of b; nl_nest_end closes it. 0 when there is no room. */
static size_t nl_nest_start(struct nlbuf *b, uint16_t type)
{
	size_t off = b->len;
	struct rtattr *a = nl_room(b, sizeof(*a));
	if (!a)
		return 0;
	a->rta_type = type;
	return off;
}

static void nl_nest_end(struct nlbuf *b, size_t off)
{
	if (!b->overflow)
		((struct rtattr *)(void *)(b->p + off))->rta_len = (unsigned short)(b->len - off);
}

struct nl {
	int fd;
	uint32_t seq, port;
};

/* Open an rtnetlink socket in the caller's current network namespace. 0 or -errno. */
static int nl_open(struct nl *nl)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	socklen_t sl = sizeof(sa);
	nl->seq = 0;
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl->fd < 0)
		return -errno;
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(nl->fd, (struct sockaddr *)&sa, &sl) < 0) {
		int err = errno;
		close(nl->fd);
		nl->fd = -1;
		return -err;
	}
	nl->port = sa.nl_pid;
	return 0;
}

/*
 * The index of the link name in the namespace nl was opened in: SIOCGIFINDEX on its
 * socket, which the kernel answers for the socket's namespace, not the caller's. 0 if none.
 */
static int nl_index(const struct nl *nl, const char *name)
{
	struct ifreq ifr = {0};
	sfmt(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	return ioctl(nl->fd, SIOCGIFINDEX, &ifr) < 0 ? 0 : ifr.ifr_ifindex;
}

static void nl_close(struct nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

/*
 * The messages of one datagram of n bytes from the kernel: 0 for an ack or the end of a
 * dump, -errno for an error (one outside 1..4095 is a malformed reply: -EBADMSG), 1 when
 * none of it answers our request (another sequence number or port), so read on. A
 * message that answers it with data (RTM_NEWLINK for RTM_GETLINK) is copied to got, if
 * there is room, before the ack that follows it.
 */
static int nl_reply(const struct nl *nl, const struct nlmsghdr *h, size_t n, struct nlbuf *got)
{
	for (; n >= sizeof(*h) && h->nlmsg_len >= sizeof(*h) && h->nlmsg_len <= n;
	     n -= n < NL_ALIGN(h->nlmsg_len) ? n : NL_ALIGN(h->nlmsg_len),
	     h = (const void *)((const char *)h + NL_ALIGN(h->nlmsg_len))) {
		if (h->nlmsg_seq != nl->seq || h->nlmsg_pid != nl->port)
			continue; /* a stale reply */
		if (h->nlmsg_type == NLMSG_ERROR) {
			if (h->nlmsg_len < sizeof(*h) + sizeof(int))
				return -EBADMSG;
			int err;
			memcpy(&err, h + 1, sizeof(err));
			return err <= 0 && err > -4096 ? err : -EBADMSG;
		}
		if (h->nlmsg_type == NLMSG_DONE)
			return 0;
		if (got && !got->len && h->nlmsg_len <= got->cap)
			memcpy(got->p, h, got->len = h->nlmsg_len);
	}
	return 1;
}

/*
 * Send the request in b and wait for its ack. Replies are checked for truncation, for
 * coming from the kernel (port 0), and for our port and sequence number; NLMSG_ERROR
 * carries the kernel's verdict. A reply with data goes to got (NULL: none wanted; its
 * len stays 0 when none came). Returns 0 or -errno; the caller adds the context.
 */
static int nl_talk(struct nl *nl, struct nlbuf *b, struct nlbuf *got)
{
	struct nlmsghdr *req = (struct nlmsghdr *)(void *)b->p;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	if (b->overflow)
		return -EMSGSIZE;
	req->nlmsg_seq = ++nl->seq;
	if (sendto(nl->fd, b->p, b->len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		union { char buf[8192]; struct nlmsghdr align; } u;
		struct sockaddr_nl from;
		struct iovec iov = {u.buf, sizeof(u.buf)};
		struct msghdr mh = {.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1};
		ssize_t n = recvmsg(nl->fd, &mh, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (mh.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		if (from.nl_pid != 0)
			continue; /* not from the kernel */
		int rc = nl_reply(nl, &u.align, (size_t)n, got);
		if (rc <= 0)
			return rc;
	}
}

static int nl_do(struct nl *nl, struct nlbuf *b)
{
	return nl_talk(nl, b, NULL);
}

/*
 * The link of index idx (or, with idx 0, named name) in nl's namespace: its index in
 * *self, and its IFLA_LINK, the index of its peer for a veth (in the peer's namespace),
 * as the return value; 0 for none, -errno when there is no such link.
 */
static int link_peer(struct nl *nl, int idx, const char *name, int *self)
{
	union { unsigned char b[8192]; struct nlmsghdr h; } rep;
	union { unsigned char b[128]; struct nlmsghdr h; } req;
	struct nlbuf b = NLBUF(req.b), got = NLBUF(rep.b);
	nl_put_hdr(&b, RTM_GETLINK, 0);
	struct ifinfomsg *ifi = nl_put_extra(&b, sizeof(*ifi));
	if (ifi)
		ifi->ifi_index = idx;
	if (!idx)
		nl_put_attr(&b, IFLA_IFNAME, name, strlen(name) + 1);
	int rc = nl_talk(nl, &b, &got), peer = 0;
	size_t off = NL_ALIGN(sizeof(struct nlmsghdr)) + NL_ALIGN(sizeof(struct ifinfomsg));
	if (rc < 0 || got.len < off)
		return rc < 0 ? rc : -ENODEV;
	memcpy(self, &((struct ifinfomsg *)(void *)(rep.b + sizeof(struct nlmsghdr)))->ifi_index, sizeof(*self));
	for (struct rtattr a; off + sizeof(a) <= got.len; off += NL_ALIGN(a.rta_len)) {
		memcpy(&a, rep.b + off, sizeof(a));
		if (a.rta_len < sizeof(a) || off + a.rta_len > got.len)
			break;
		if (a.rta_type == IFLA_LINK && a.rta_len >= sizeof(a) + sizeof(peer))
			memcpy(&peer, rep.b + off + sizeof(a), sizeof(peer));
	}
	return peer;
}

/*
 * Whether the network namespace of fd has an id in nl's (RTM_GETNSID, which never makes
 * one): the kernel gives one as a link across the two is made (a veth pair), so none
 * means no such link. 1 where it cannot be told.
 */
static int netns_linked(struct nl *nl, int fd)
{
	union { unsigned char b[128]; struct nlmsghdr h; } req, rep;
	struct nlbuf b = NLBUF(req.b), got = NLBUF(rep.b);
	uint32_t nsfd = (uint32_t)fd;
	int32_t id = 0;
	size_t off = NL_ALIGN(sizeof(struct nlmsghdr)) + NL_ALIGN(1); /* struct rtgenmsg */
	nl_put_hdr(&b, RTM_GETNSID, 0);
	nl_put_extra(&b, 1);
	nl_put_attr(&b, NETNSA_FD, &nsfd, sizeof(nsfd));
	if (nl_talk(nl, &b, &got) < 0)
		return 1;
	for (struct rtattr a; off + sizeof(a) + sizeof(id) <= got.len; off += NL_ALIGN(a.rta_len)) {
		memcpy(&a, rep.b + off, sizeof(a));
		if (a.rta_len < sizeof(a))
			break;
		if (a.rta_type == NETNSA_NSID)
			memcpy(&id, rep.b + off + sizeof(a), sizeof(id));
	}
	return id >= 0;
}

/*
 * Change a link by name in the namespace nl was opened in: set it up (up), give it an
 * MTU (mtu > 0), or delete it (del). 0 or -errno.
 */
static int link_set(struct nl *nl, const char *name, int up, unsigned mtu, int del)
{
	unsigned char buf[128];
	struct nlbuf b = NLBUF(buf);
	char m[24] = "";
	if (mtu)
		sfmt(m, sizeof(m), " mtu %u", mtu);
	if (plan("netlink", "ip link %s %s%s%s", del ? "delete" : "set", name, up ? " up" : "", m))
		return 0;
	nl_put_hdr(&b, del ? RTM_DELLINK : RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = nl_put_extra(&b, sizeof(*ifi));
	if (ifi && up)
		ifi->ifi_flags = ifi->ifi_change = IFF_UP;
	nl_put_attr(&b, IFLA_IFNAME, name, strlen(name) + 1);
	if (mtu)
		nl_put_attr(&b, IFLA_MTU, &mtu, sizeof(mtu));
	return nl_do(nl, &b);
}

static int link_up(struct nl *nl, const char *name)
{
	return link_set(nl, name, 1, 0, 0);
}

/*
 * A veth pair, name in nl's namespace, set up, and peer in the namespace of the fd netns
 * (the kernel brings a peer up only once the pair is made). The kernel wants
 * CAP_NET_ADMIN over both namespaces. 0 or -errno.
 */
static int veth_add(struct nl *nl, const char *name, const char *peer, int netns)
{
	unsigned char buf[256];
	struct nlbuf b = NLBUF(buf);
	size_t nest[3];
	if (plan("netlink", "ip link add %s up type veth peer %s netns (the new one)", name, peer))
		return 0;
	nl_put_hdr(&b, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifi = nl_put_extra(&b, sizeof(*ifi));
	if (ifi)
		ifi->ifi_flags = ifi->ifi_change = IFF_UP;
	nl_put_attr(&b, IFLA_IFNAME, name, strlen(name) + 1);
	nest[0] = nl_nest_start(&b, IFLA_LINKINFO);
	nl_put_attr(&b, IFLA_INFO_KIND, "veth", 4);
	nest[1] = nl_nest_start(&b, IFLA_INFO_DATA);
	nest[2] = nl_nest_start(&b, VETH_INFO_PEER);
	nl_put_extra(&b, sizeof(struct ifinfomsg));
	nl_put_attr(&b, IFLA_IFNAME, peer, strlen(peer) + 1);
	nl_put_attr(&b, IFLA_NET_NS_FD, &netns, sizeof(netns));
	for (int i = 3; i-- > 0;) /* the three nests all end here */
		nl_nest_end(&b, nest[i]);
	return nl_do(nl, &b);
}

/* An address as ip prints it: IPv4 dotted, IPv6 as eight groups (never shortened). */
static const char *ip_str(char buf[40], int family, const void *a)
{
	const unsigned char *b = a;
	size_t n = 0;
	for (int i = 0; i < (family == AF_INET ? 4 : 8); i++)
		n = family == AF_INET ? sfmt_at(buf, 40, n, "%s%u", i ? "." : "", b[i])
				      : sfmt_at(buf, 40, n, "%s%x", i ? ":" : "", (unsigned)(b[2 * i] << 8 | b[2 * i + 1]));
	return buf;
}

/* An address on the link name (ENODEV: none); IPv6 skips duplicate address detection. 0 or -errno. */
static int addr_add(struct nl *nl, const char *name, int family, const void *addr, unsigned plen)
{
	unsigned char buf[128];
	char ip[40];
	struct nlbuf b = NLBUF(buf);
	size_t len = family == AF_INET ? 4 : 16;
	if (plan("netlink", "ip address add %s/%u dev %s", ip_str(ip, family, addr), plen, name))
		return 0;
	int dev = nl_index(nl, name);
	if (!dev)
		return -ENODEV;
	nl_put_hdr(&b, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg *a = nl_put_extra(&b, sizeof(*a));
	if (a)
		*a = (struct ifaddrmsg){(unsigned char)family, (unsigned char)plen,
					family == AF_INET6 ? IFA_F_NODAD : 0, 0, (uint32_t)dev};
	nl_put_attr(&b, IFA_LOCAL, addr, len);
	nl_put_attr(&b, IFA_ADDRESS, addr, len);
	return nl_do(nl, &b);
}

/*
 * A route in the main table to dst/plen (0: default), via gw (NULL: on-link) and out of
 * the link name ("": any; ENODEV: no such link). 0 or -errno.
 */
static int route_add(struct nl *nl, int family, const void *dst, unsigned plen, const void *gw, const char *name)
{
	unsigned char buf[128];
	char ip[2][48];
	struct nlbuf b = NLBUF(buf);
	size_t len = family == AF_INET ? 4 : 16;
	if (plen)
		sfmt(ip[0] + strlen(ip_str(ip[0], family, dst)), 8, "/%u", plen);
	if (plan("netlink", "ip route add %s%s%s%s%s", plen ? ip[0] : "default", gw ? " via " : "",
		 gw ? ip_str(ip[1], family, gw) : "", *name ? " dev " : "", name))
		return 0;
	int dev = *name ? nl_index(nl, name) : 0;
	if (*name && !dev)
		return -ENODEV;
	nl_put_hdr(&b, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	struct rtmsg *r = nl_put_extra(&b, sizeof(*r));
	if (r) /* RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE or RT_SCOPE_LINK, RTN_UNICAST */
		*r = (struct rtmsg){(unsigned char)family, (unsigned char)plen, 0, 0, 254, 3, gw ? 0 : 253, 1, 0};
	if (plen)
		nl_put_attr(&b, RTA_DST, dst, len);
	if (gw)
		nl_put_attr(&b, RTA_GATEWAY, gw, len);
	if (dev)
		nl_put_attr(&b, RTA_OIF, &dev, sizeof(dev));
	return nl_do(nl, &b);
}

/* An IPv4 address, four decimal parts of 0 to 255 without leading zeros, alone in s: 1 with a filled, else 0. */
static int parse_ip4(const char *s, unsigned char a[4])
{
	for (int i = 0; i < 4; i++, s++) {
		unsigned v = 0, j = 0;
		while (j < 3 && s[j] >= '0' && s[j] <= '9')
			v = v * 10 + (unsigned)(s[j++] - '0');
		if (!j || (j > 1 && *s == '0') || v > 255 || s[j] != (i < 3 ? '.' : '\0'))
			return 0;
		a[i] = (unsigned char)v;
		s += j;
	}
	return 1;
}

/*
 * An IP address in the string s, into a (network order): IPv4 (parse_ip4), AF_INET; IPv6
 * as up to eight groups of 1 to 4 hex digits, one "::" for a run of zero groups and a
 * dotted IPv4 address as the last 32 bits allowed, AF_INET6; else 0. inet_pton's
 * grammar, without musl's 0.8 KiB.
 */
static int parse_ip(const char *s, unsigned char a[16])
{
	unsigned char b[16];
	int n = 0, gap = -1;
	if (!strchr(s, ':'))
		return parse_ip4(s, a) ? AF_INET : 0;
	if (*s == ':' && *++s != ':') /* a leading ':' only as "::" */
		return 0;
	while (*s && n < 16) {
		unsigned v = 0, j = 0, d;
		if (*s == ':') { /* the second ':' of "::" */
			if (gap >= 0)
				return 0;
			gap = n, s++;
			continue;
		}
		while (j < 4 && ((d = (unsigned)(s[j] | 32) - 'a' + 10) < 16 || (d = (unsigned)s[j] - '0') < 10))
			v = v * 16 + d, j++;
		if (j && s[j] == '.' && n <= 12 && parse_ip4(s, b + n)) { /* the dotted tail */
			n += 4, s = "";
			break;
		}
		if (!j || (s[j] && (s[j] != ':' || !s[j + 1])))
			return 0;
		b[n++] = (unsigned char)(v >> 8), b[n++] = (unsigned char)v;
		s += j + (s[j] == ':');
	}
	if (*s || (gap < 0 ? n != 16 : n == 16))
		return 0;
	memset(a, 0, 16);
	memcpy(a, b, gap < 0 ? 16 : (size_t)gap);
	if (gap >= 0)
		memcpy(a + 16 - (n - gap), b + gap, (size_t)(n - gap));
	return AF_INET6;
}

/* ADDR[/PREFIX], IPv4 or IPv6, into family, addr and plen (the full length when absent). 0 or -1. */
static int parse_prefix(const char *s, size_t len, unsigned char *family, unsigned char addr[16], unsigned char *plen)
{
	char buf[48];
	size_t alen = strcspn(s, "/");
	unsigned long long v;
	if (alen > len)
		alen = len;
	if (alen >= sizeof(buf))
		return -1;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	*family = (unsigned char)parse_ip(buf, addr);
	v = *family == AF_INET ? 32 : 128;
	const char *p = s + alen + 1;
	if (!*family || (alen < len && (parse_uint(&p, v, &v) < 0 || p != s + len)))
		return -1;
	*plen = (unsigned char)v;
	return 0;
}

/*==== 7. namespace table and options ====*/

/*
 * Every namespace type rnsbox knows, in the order namespaces are entered. The user
 * namespace is joined first to gain privilege over the others and left for last when
 * privilege is being dropped; that ordering lives in the callers, not in this table.
 */
static const struct nsdef {
	int flag;
	const char *name;    /* in /proc/PID/ns */
	char opt;            /* unshare's and nsenter's short option */
	const char *longopt; /* and long option */
} ns_table[] = {
	{CLONE_NEWUSER, "user", 'U', "user"}, {CLONE_NEWCGROUP, "cgroup", 'C', "cgroup"},
	{CLONE_NEWIPC, "ipc", 'i', "ipc"},    {CLONE_NEWUTS, "uts", 'u', "uts"},
	{CLONE_NEWNET, "net", 'n', "net"},    {CLONE_NEWPID, "pid", 'p', "pid"},
	{CLONE_NEWNS, "mnt", 'm', "mount"},   {CLONE_NEWTIME, "time", 'T', "time"},
};
#define NS_COUNT ((int)ARRAY_LEN(ns_table))

/* The table index of a CLONE_NEW* flag. */
static int ns_index(int flag)
{
	int i = 0;
	while (i < NS_COUNT - 1 && ns_table[i].flag != flag)
		i++;
	return i;
}

/* The names of the namespace types in flags, "net,mnt", for messages. */
static const char *ns_names(int flags, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int i = 0; i < NS_COUNT; i++)
		if (flags & ns_table[i].flag && n < size)
			n = sfmt_at(buf, size, n, "%s%s", n ? "," : "", ns_table[i].name);
	return buf;
}

/* unshare and setns through plan(), as the calls of section 5 (namespaces by their names, flags in hex). */
static int dry_unshare(int flags)
{
	char n[64];
	return plan("unshare", "%s (clone flags 0x%x)", ns_names(flags, n, sizeof(n)), (unsigned)flags) ? 0 : (unshare)(flags);
}
#define unshare(...) dry_unshare(__VA_ARGS__)

static int dry_setns(int fd, int flags)
{
	char n[64], m[72];
	sfmt(m, sizeof(m), " (%s)", ns_names(flags, n, sizeof(n)));
	return plan_at("setns", fd, "", m) ? 0 : (setns)(fd, flags);
}
#define setns(...) dry_setns(__VA_ARGS__)

/*
 * The one way rnsbox joins namespaces by their files (nsenter, the network helper's
 * namespace, the keeper's): each fd[ns] not -1 is joined in the table's order, user
 * first, as that gives the right to join the others, in two passes, so one refused
 * before its user namespace was joined is tried again. The caller keeps and closes the
 * fds. err[ns] is why each one left unjoined was refused (else 0); returns how many are
 * left, with errno the first one's.
 */
static int ns_join(const int fd[NS_COUNT], int err[NS_COUNT])
{
	int left = 0, first = -1;
	for (int ns = 0; ns < NS_COUNT; ns++)
		err[ns] = fd[ns] >= 0 ? -1 : 0;
	for (int pass = 0; pass < 2; pass++)
		for (int ns = 0; ns < NS_COUNT; ns++)
			if (err[ns] && (err[ns] = setns(fd[ns], ns_table[ns].flag) < 0 ? errno : 0) != 0 && pass)
				left++, first = first < 0 ? ns : first;
	if (left)
		errno = err[first];
	return left;
}

/*
 * Options. A subcommand's options are rows of one type: the long name, what --help says
 * of it, what opt_get returns, and the kind of argument. A val that is a letter is also
 * the short option -LETTER. help, stored after the name's NUL (a pointer less a row), is
 * "ARG\tMEANING" (nothing before the tab when there is no argument); a '\n' in MEANING
 * goes on at the meanings' column; an empty help keeps an alias out of --help. --help is
 * made from the rows, so it cannot disagree with the parser (and rnsbox.1 is checked
 * against --help).
 */
enum { ARG_NONE, ARG_REQ, ARG_OPT, ARG_OPT_LONG /* optional after --NAME=; -X takes none */ };
struct opt {
	const char *name; /* NAME "\0" HELP, made by OPT() */
	unsigned short val;
	unsigned char arg;
};
#define OPT(name, help, val, arg) {name "\0" help, val, arg}

/* A subcommand's option set: its rows (a zero row ends them), the text around them in
 * --help, and, if ns is an ARG_ kind, ns_table's options (-U/--user, ...) taking FILE
 * as ns says, each described as its name followed by ns_help's MEANING. */
struct opts {
	const char *head, *tail;
	const struct opt *rows;
	unsigned char ns;
	const char *ns_help;
};

enum { OPT_NS = 1 /* a namespace option; opt_ns is its ns_table index */ };

/* --dry-run and its --json, rows of exec, newns and userns-handle (newns's --json is its own). */
enum { OPT_DRY_RUN = 900, OPT_DRY_JSON };
#define DRY_ROW OPT("dry-run", "\tprint each step, in order, and do none (--json: as JSON lines)", OPT_DRY_RUN, 0)

/* Once the options are read: --dry-run (diag.dry 1) with --json (4) into diag.dry, 1 text, 2 JSON lines. */
static void dry_set(void)
{
	if (diag.dry == 4)
		die_usage("--json: goes with --dry-run");
	diag.dry = diag.dry ? 1 + (diag.dry > 1) : 0;
}
static struct opt opt_last; /* the row opt_get matched last, for messages: "--%s", opt_last.name */
static int opt_ns;

/* Row i of s: the namespace options, then its own rows, then --help and --version.
 * 0 past the end, 2 for a namespace option (*ns its index), else 1. */
static int opt_at(const struct opts *s, int i, struct opt *r, int *ns)
{
	static const struct opt common[] = {OPT("help", "\tthis text", 'h', 0), OPT("version", "\trnsbox's version", 'V', 0)};
	if (s->ns && i < NS_COUNT) {
		*r = (struct opt){ns_table[i].longopt, (unsigned char)ns_table[i].opt, s->ns};
		return *ns = i, 2;
	}
	i -= s->ns ? NS_COUNT : 0;
	for (const struct opt *p = s->rows; p->name; p++, i--)
		if (!i)
			return *r = *p, 1;
	return i < 2 ? *r = common[i], 1 : 0;
}

/* --help, made from the rows: head, one entry a row, tail. */
__attribute__((noreturn)) static void opt_usage(const struct opts *s)
{
	static char buf[12288];
	struct opt r;
	int ns = 0, kind;
	size_t n = sfmt(buf, sizeof(buf), "%s", s->head);
	for (int i = 0; (kind = opt_at(s, i, &r, &ns)); i++) {
		const char *help = kind == 2 ? s->ns_help : r.name + strlen(r.name) + 1;
		if (!*help)
			continue;
		size_t alen = strcspn(help, "\t"), at = n;
		n = sfmt_at(buf, sizeof(buf), n, "  %c%c%s--%s%s%.*s%s", r.val < 128 ? '-' : ' ', r.val < 128 ? r.val : ' ',
			    r.val < 128 ? ", " : "  ", r.name, r.arg == ARG_REQ ? "=" : r.arg ? "[=" : "", (int)alen, help,
			    r.arg > ARG_REQ ? "]" : "");
		n = sfmt_at(buf, sizeof(buf), n, "%s%*s%s%s", n - at > 24 ? "\n" : "", n - at > 24 ? 26 : (int)(26 - (n - at)), "",
			    kind == 2 ? ns_table[ns].name : "", kind == 2 ? " " : "");
		for (const char *p = help + alen + 1; *p; p++)
			n = *p == '\n' ? sfmt_at(buf, sizeof(buf), n, "\n%26s", "") : sfmt_at(buf, sizeof(buf), n, "%c", *p);
		n = sfmt_at(buf, sizeof(buf), n, "\n");
	}
	n = sfmt_at(buf, sizeof(buf), n, "%s", s->tail ? s->tail : "");
	_exit(write_all(STDOUT_FILENO, buf, n) < 0);
}

/*
 * getopt_long over a set of rows, in place of musl's, which brings stdio's fwrite and
 * mbtowc along (3.5 KiB): argv is never permuted; a missing argument gives ':', an
 * unknown option '?' with optopt set (0 for a long one); a long option may be shortened
 * to a unique prefix; "--" ends the options. --help and --version (-h, -V) are answered
 * here, for every set. Its state is optind, optarg and optopt, plus the position inside
 * a cluster of short options (optind = 0 starts afresh, as with glibc). A namespace
 * option returns OPT_NS with opt_ns set; its optarg loses a leading '=' (-n=FILE).
 */
static int opt_get(int argc, char **argv, const struct opts *s)
{
	static int pos; /* the position in a cluster of short options at argv[optind] */
	struct opt r;
	int kind, ns = 0, hits = 0, hit = 0, c = 0;
	if (optind == 0) /* a new parse: forget a cluster left unfinished */
		pos = 0, optind = 1;
	char *a = optind < argc ? argv[optind] : NULL;
	optarg = NULL;
	optopt = 0;
	if (!pos && (!a || a[0] != '-' || !a[1] || (optind++, a[1] == '-' && !a[2])))
		return -1;
	if (!pos && a[1] != '-')
		optind--, pos = 1;
	if (pos)
		c = (unsigned char)a[pos++];
	size_t len = c ? 0 : strcspn(a + 2, "=");
	for (int i = 0; (kind = opt_at(s, i, &r, &ns)); i++)
		if (c ? r.val == c : strncmp(r.name, a + 2, len) == 0) {
			hit = kind, opt_last = r, opt_ns = ns, hits++;
			if (c || !r.name[len]) { /* a short option, or an exact name, which wins over prefixes */
				hits = 1;
				break;
			}
		}
	int takes = hits == 1 && (opt_last.arg == ARG_REQ || (opt_last.arg != ARG_NONE && !c) || opt_last.arg == ARG_OPT);
	if (c && !takes) {
		if (!a[pos]) /* the cluster ends here */
			pos = 0, optind++;
		if (!hits)
			return optopt = c, '?';
	} else if (c) {
		optarg = a[pos] ? a + pos : NULL;
		pos = 0, optind++;
	} else if (hits != 1 || (a[2 + len] && !takes)) {
		return '?';
	} else if (a[2 + len]) {
		optarg = a + 3 + len;
	}
	if (takes && !optarg && opt_last.arg == ARG_REQ && !(optarg = optind < argc ? argv[optind++] : NULL))
		return optopt = c, ':';
	if (opt_last.val == 'h' || opt_last.val == 'V')
		opt_last.val == 'h' ? opt_usage(s) : print_version();
	if (hit == 2 && optarg && *optarg == '=')
		optarg++;
	return hit == 2 ? OPT_NS : opt_last.val;
}

/*
 * What is at path, for pins: PIN_NONE (nothing), the CLONE_NEW* type of a live pin (an
 * nsfs file; NS_GET_NSTYPE says which), PIN_STALE (an empty regular file: a pin's mount
 * point whose mount is gone or lives in another mount namespace), PIN_OTHER (a symlink,
 * a directory, a file with data: never a pin), or PIN_ERR (errno set). Only a regular
 * file is opened, so no device or FIFO is touched.
 */
enum { PIN_NONE = 0, PIN_STALE = -1, PIN_OTHER = -2, PIN_ERR = -3 };
static int pin_kind(const char *path)
{
	struct stat st;
	struct statfs sf;
	int type = -1, fd;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? PIN_NONE : PIN_ERR;
	if (!S_ISREG(st.st_mode))
		return PIN_OTHER;
	/* one that cannot be opened or asked (EMFILE, say) is an error, never a stale pin */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0)
		return PIN_ERR;
	int err = fstatfs(fd, &sf) < 0 ? errno : 0;
	if (!err && sf.f_type == NSFS_MAGIC && (type = ioctl(fd, NS_GET_NSTYPE)) < 0)
		err = errno;
	close(fd);
	errno = err;
	return err ? PIN_ERR : type > 0 ? type : st.st_size == 0 ? PIN_STALE : PIN_OTHER;
}

/* Undo the octal escapes (\040 and so on) of a mountinfo field, in place. */
static void unescape_octal(char *s)
{
	char *d = s;
	for (; *s; s++)
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	*d = '\0';
}

/*
 * The next line of /proc/self/mountinfo split up: *root is the mount's root in its file
 * system (an nsfs mount's is "TYPE:[INODE]"), *mp its mount point, unescaped; the line
 * from the optional fields on ("shared:N - FSTYPE SOURCE OPTIONS") is returned. NULL at
 * the end (errno 0) or on error.
 */
static char *mountinfo_next(struct lines *l, char **root, char **mp)
{
	char *line, *f[5];
	while ((line = lines_next(l))) {
		char *p = line;
		for (int i = 0; i < 5 && p; i++) {
			f[i] = p;
			if ((p = strchr(p, ' ')))
				*p++ = '\0';
		}
		if (!p)
			continue;
		*root = f[3];
		unescape_octal(*mp = f[4]);
		return p;
	}
	return NULL;
}

/*
 * Whether some mount sits below dir (an absolute path without symlinks). Where mountinfo
 * cannot be read to its end, the answer is yes: a caller must not hide what it cannot see.
 */
static int has_submounts(const char *dir)
{
	struct lines l;
	char *root, *mp;
	size_t len = strlen(dir);
	int found = 0;
	if (lines_open(&l, "/proc/self/mountinfo") < 0)
		return 1;
	while (!found && mountinfo_next(&l, &root, &mp))
		found = strncmp(mp, dir, len) == 0 && mp[len] == '/';
	found |= !found && errno;
	lines_close(&l);
	return found;
}

/* The id of the mount namespace of /proc/self/ns/mnt; 0 where the kernel has no ids. */
static uint64_t mntns_id(void)
{
	uint64_t id = 0;
	int fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (ioctl(fd, NS_GET_MNTNS_ID, &id) < 0)
			id = 0;
		close(fd);
	}
	return id;
}

/*
 * Called right after unshare(CLONE_NEWNS), when the new mount namespace is to be pinned
 * in the one whose id is outer. The kernel refuses that pin (EINVAL, mnt_ns_loop) unless
 * the new namespace's id is above outer's, and since Linux 6.18 ids come from per-CPU
 * batches, so a namespace made later on another CPU can have the lower id. Then the
 * mount namespace is made again on each CPU in turn (the CPU that made outer's gives a
 * higher id), and the affinity put back. Nothing was done in the first one yet.
 */
static void mntns_above(uint64_t outer)
{
	cpu_set_t was, one;
	if (!outer || diag.dry || mntns_id() > outer || sched_getaffinity(0, sizeof(was), &was) < 0)
		return;
	for (int cpu = 0; cpu < CPU_SETSIZE && mntns_id() <= outer; cpu++) {
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (CPU_ISSET(cpu, &was) && sched_setaffinity(0, sizeof(one), &one) == 0 && unshare(CLONE_NEWNS) < 0)
			break;
	}
	sched_setaffinity(0, sizeof(was), &was);
}

/*
 * Bind dir on itself, under a lock on it so concurrent callers make one mount, and give
 * that mount propagation prop. For MS_SHARED a dir that is already a mount point is only
 * made shared. 0, or -1 with errno.
 */
static int dir_propagation(const char *dir, unsigned long prop)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = -1;
	if (fd < 0 && !diag.dry) /* a dry run did not make it */
		return -1;
	flock(fd, LOCK_EX);
	if ((prop == MS_SHARED && mount(NULL, dir, NULL, MS_SHARED, NULL) == 0) ||
	    (mount(dir, dir, NULL, MS_BIND, NULL) == 0 && mount(NULL, dir, NULL, prop, NULL) == 0))
		rc = 0;
	int err = errno;
	close(fd); /* and the lock with it */
	errno = err;
	return rc;
}

/*
 * Make the mount point for a pin of type at path, exclusively and without following a
 * symlink. An empty file there (a stale pin) is replaced; a live pin of the same type is
 * reused with exist_ok (returns 1) and refused otherwise, as is anything else. 0 when
 * made, or -1 with r set. A dry run meets what is there as a real run would (EEXIST),
 * and creates after the unlink of a stale one, which it did not do.
 */
static int pin_file(const char *path, int type, int exist_ok, struct result *r)
{
	for (int tries = 0; tries < 2; tries++) {
		int fd = diag.dry && !tries && pin_kind(path) != PIN_NONE
				 ? (errno = EEXIST, -1) : open(path, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
		if (fd >= 0)
			return close(fd), 0;
		int err = errno, kind = err == EEXIST ? pin_kind(path) : PIN_ERR;
		if (kind == type && exist_ok)
			return 1;
		if (kind == PIN_STALE && unlink(path) == 0)
			continue;
		if (kind == PIN_ERR)
			result_fail(r, NULL, "create %s: %s", path, strerror(err == EEXIST ? errno : err));
		else if (kind > 0)
			result_fail(r, kind == type ? "--exist-ok reuses it; --rm removes it" : NULL,
				    "%s: already a live %s namespace pin", path, ns_table[ns_index(kind)].name);
		else
			result_fail(r, NULL, "%s: exists and is not a namespace pin", path);
		return -1;
	}
	result_fail(r, NULL, "%s: replaced while it was being made", path);
	return -1;
}

/* The directory of file as an absolute path without symlinks, as the kernel tells it. 0 or -1. */
static int pin_dir(const char *file, char *buf, size_t size)
{
	char fdpath[32];
	const char *slash = strrchr(file, '/');
	int len = slash ? (int)(slash - file) + (slash == file) : 1, fd;
	if ((size_t)sfmt(buf, size, "%.*s", len, slash ? file : ".") >= size ||
	    (fd = open(buf, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	sfmt(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(fdpath, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/*
 * Pin namespace ns (a table index) at file, an existing mount point, with a bind mount of
 * src (a /proc/.../ns/ file), and check that file is then an nsfs file of that type. A
 * mount namespace cannot be pinned on a mount that propagates into it (EINVAL), so there
 * the file's directory is first bind-mounted on itself and made private, unless mounts
 * below it (pins made before) would be hidden by that. Pin a mount namespace before the
 * other types, so that a call's own pins are not among them. Nothing is left mounted on
 * failure. 0, or -1 with the message in r.
 */
static int pin_mount(const char *src, int ns, const char *file, struct result *r)
{
	int flag = ns_table[ns].flag, rc = mount(src, file, NULL, MS_BIND, NULL), err = errno;
	char dir[PATH_MAX];
	const char *why = err != EPERM ? NULL : "this mount namespace is not the caller's; rootless, run inside rnsbox exec -Urm";
	if (rc < 0 && err == EINVAL && flag == CLONE_NEWNS) {
		why = "a mount namespace is pinned only on a private mount (binding the directory on itself would hide "
		      "its submounts): use a directory of its own";
		if (pin_dir(file, dir, sizeof(dir)) == 0 && !has_submounts(dir) && dir_propagation(dir, MS_PRIVATE) == 0) {
			rc = mount(src, file, NULL, MS_BIND, NULL);
			err = errno;
		}
	}
	if (rc < 0) {
		result_fail(r, why, "bind %s on %s: %s", src, file, strerror(err));
		return -1;
	}
	if (diag.dry || pin_kind(file) == flag)
		return 0;
	umount2(file, MNT_DETACH | UMOUNT_NOFOLLOW);
	result_fail(r, NULL, "%s: not a %s namespace file after the bind mount", file, ns_table[ns].name);
	return -1;
}

/*
 * A new pin of type (a CLONE_NEW* flag) at path from src: pin_file, then pin_mount, the
 * file removed again if the mount fails. 0 when pinned; 1 when a live pin of the type was
 * there (exist_ok) and is left as it is; -1 with r set.
 */
static int pin_new(const char *src, int type, const char *path, int exist_ok, struct result *r)
{
	int made = pin_file(path, type, exist_ok, r);
	if (made != 0 || pin_mount(src, ns_index(type), path, r) == 0)
		return made;
	unlink(path);
	return -1;
}

/*==== 8. id maps and subordinate ids ====*/

struct idrange {
	uint32_t inside, outside, count;
};

#define IDMAP_MAX 340 /* the kernel's limit on lines in uid_map since Linux 4.15 */

/*
 * Read a uid_map or gid_map strictly: each line exactly three unsigned 32-bit fields
 * separated by blanks, count > 0, neither range past 2^32. A malformed map is an error
 * naming the file and line (errno EINVAL), never a guess. Returns the number of lines
 * (0 for a map not yet written), or -1 with errno; the message is in why.
 */
static int idmap_read(const char *path, struct idrange *r, int max, char *why, size_t whylen)
{
	struct lines l;
	int n = 0;
	char *line;
	if (lines_open(&l, path) < 0) {
		sfmt(why, whylen, "open %s: %s", path, strerror(errno));
		return -1;
	}
	while ((line = lines_next(&l))) {
		const char *p = line;
		unsigned long long v[3];
		int i;
		for (i = 0; i < 3; i++) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (parse_uint(&p, UINT32_MAX, &v[i]) < 0)
				break;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		const char *bad = i < 3 || *p ? "expected three unsigned 32-bit numbers"
				  : v[2] == 0 ? "zero count"
				  : v[0] + v[2] > 1ULL << 32 || v[1] + v[2] > 1ULL << 32 ? "range past 2^32"
				  : n == max ? "too many lines" : NULL;
		if (bad) {
			sfmt(why, whylen, "%s:%d: %s", path, l.lineno, bad);
			lines_close(&l);
			errno = EINVAL;
			return -1;
		}
		r[n++] = (struct idrange){(uint32_t)v[0], (uint32_t)v[1], (uint32_t)v[2]};
	}
	int err = errno;
	lines_close(&l);
	if (err) {
		sfmt(why, whylen, "read %s: %s", path, strerror(err));
		errno = err;
		return -1;
	}
	return n;
}

/* Rootless, as rootlesskit and podman define it: inside id 0 maps to an outside id other than 0. */
static int idmap_rootless(const struct idrange *r, int n)
{
	for (int i = 0; i < n; i++)
		if (r[i].inside == 0 && r[i].outside != 0)
			return 1;
	return 0;
}

/*
 * The subordinate ranges of a user in /etc/subuid or /etc/subgid ("name:start:count"),
 * matched by user name and by numeric id, as shadow's newuidmap does. Comments and blank
 * lines are skipped; a malformed line or a zero or overflowing range is noted and skipped,
 * unless strict and it is the user's own: then it is an error (EINVAL, noted).
 * Returns the number of ranges (inside is 0), or -1 with errno if the file cannot be read.
 */
static int subid_read(const char *path, const char *user, unsigned id, struct idrange *r, int max, int strict,
		      struct notes *nt)
{
	struct lines l;
	char idstr[16], *line;
	int n = 0;
	sfmt(idstr, sizeof(idstr), "%u", id);
	if (lines_open(&l, path) < 0)
		return -1;
	while ((line = lines_next(&l))) {
		char *colon = strchr(line, ':');
		const char *p = colon ? colon + 1 : line;
		unsigned long long start, count;
		char first = line[strspn(line, " \t")];
		if (first == '\0' || first == '#')
			continue;
		size_t len = strcspn(line, ":");
		int mine = (user && len == strlen(user) && strncmp(line, user, len) == 0) ||
			   (len == strlen(idstr) && strncmp(line, idstr, len) == 0);
		if (!colon || parse_uint(&p, UINT32_MAX, &start) < 0 || *p++ != ':' ||
		    parse_uint(&p, UINT32_MAX, &count) < 0 || *p || count == 0 || start + count > 1ULL << 32) {
			note(nt, "%s:%d: malformed line (zero count, range past 2^32, or not name:start:count)", path, l.lineno);
			if (strict && mine) {
				lines_close(&l);
				errno = EINVAL;
				return -1;
			}
			continue;
		}
		if (mine) {
			if (n == max) {
				note(nt, "%s:%d: more than %d ranges", path, l.lineno, max);
				break;
			}
			r[n++] = (struct idrange){0, (uint32_t)start, (uint32_t)count};
		}
	}
	int err = errno;
	lines_close(&l);
	errno = err;
	return err ? -1 : n;
}

/* A uid or gid map being built for a new user namespace; from: where each range came from (IDMAP_FROM_*). */
struct idmap {
	int n;
	struct idrange r[IDMAP_MAX];
	unsigned char from[IDMAP_MAX];
};
enum { IDMAP_FROM_OPTION, IDMAP_FROM_ONE, IDMAP_FROM_SUBIDS, IDMAP_FROM_ALL };

/*
 * Parse one --map-users/--map-groups value into m: "inside:outside:count" (util-linux
 * 2.39 and later) or "outside,inside,count" (2.38), told apart by the separator; "auto"
 * "subids" and "all" set *autom (to MAP_AUTO, MAP_SUBIDS, MAP_ALL) instead. Dies with a
 * usage error naming the option.
 */
enum { MAP_AUTO = 1, MAP_SUBIDS, MAP_ALL };
static void idmap_parse(const char *opt, const char *s, struct idmap *m, int *autom)
{
	unsigned long long v[3];
	const char *p = s;
	char sep = strchr(s, ':') ? ':' : ',';
	if (strcmp(s, "auto") == 0 || strcmp(s, "subids") == 0 || strcmp(s, "all") == 0) {
		*autom = s[0] == 's' ? MAP_SUBIDS : s[1] == 'u' ? MAP_AUTO : MAP_ALL;
		return;
	}
	for (int i = 0; i < 3; i++)
		if (parse_uint(&p, UINT32_MAX, &v[i]) < 0 || *p++ != (i < 2 ? sep : '\0'))
			die_usage("%s: '%s' is not INSIDE:OUTSIDE:COUNT (or OUTSIDE,INSIDE,COUNT)", opt, s);
	if (sep == ',') { /* 2.38 order: outer first */
		unsigned long long t = v[0];
		v[0] = v[1];
		v[1] = t;
	}
	if (v[2] == 0 || v[0] + v[2] > 1ULL << 32 || v[1] + v[2] > 1ULL << 32)
		die_usage("%s: '%s': %s", opt, s, v[2] ? "range past 2^32" : "zero count");
	if (m->n == IDMAP_MAX)
		die_usage("%s: more than %d ranges", opt, IDMAP_MAX);
	m->r[m->n++] = (struct idrange){(uint32_t)v[0], (uint32_t)v[1], (uint32_t)v[2]};
}

/* Whether [a, a+n) and [b, b+m) meet. */
static int span_overlap(uint32_t a, uint32_t n, uint32_t b, uint32_t m)
{
	return (uint64_t)a < (uint64_t)b + m && (uint64_t)b < (uint64_t)a + n;
}

/* The first pair of lines in m whose inside or outside ranges overlap, as a message; NULL if none. */
static const char *idmap_overlap(const struct idmap *m, char *buf, size_t size)
{
	for (int i = 0; i < m->n; i++)
		for (int j = i + 1; j < m->n; j++)
			if (span_overlap(m->r[i].inside, m->r[i].count, m->r[j].inside, m->r[j].count) ||
			    span_overlap(m->r[i].outside, m->r[i].count, m->r[j].outside, m->r[j].count)) {
				sfmt(buf, size, "%u:%u:%u overlaps %u:%u:%u", m->r[i].inside, m->r[i].outside,
					 m->r[i].count, m->r[j].inside, m->r[j].outside, m->r[j].count);
				return buf;
			}
	return NULL;
}

/*
 * The one writer of a process's own maps, right after its unshare(CLONE_NEWUSER):
 * setgroups first (NULL: left alone; ENOENT, a kernel without the file, is no error), then
 * the one-id maps, inside uid[0] to the outside uid[1] the process had (gid likewise;
 * NULL: none). Having left its user namespace, the writer has no capability in the
 * parent, even as root, so the kernel takes a gid map from it only after setgroups says
 * "deny". 0, or the step that failed (1 setgroups, 2 uid_map, 3 gid_map: as trial_step
 * counts them) with errno. Ranged maps, and other processes', go through map_write.
 */
static int idmap_self(const char *setgroups, const uint32_t *uid, const uint32_t *gid)
{
	char map[32];
	if (setgroups && write_file("/proc/self/setgroups", setgroups) < 0 && errno != ENOENT)
		return 1;
	for (int k = 0; k < 2; k++) {
		const uint32_t *id = k ? gid : uid;
		if (id && (sfmt(map, sizeof(map), "%u %u 1", id[0], id[1]),
			   write_file(k ? "/proc/self/gid_map" : "/proc/self/uid_map", map) < 0))
			return 2 + k;
	}
	return 0;
}

/* Sort n ranges by their inside or outside start (insertion sort: at most 340, usually one). */
static void range_sort(struct idrange *r, int n, int inside)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && (inside ? r[j].inside < r[j - 1].inside : r[j].outside < r[j - 1].outside); j--) {
			struct idrange t = r[j];
			r[j] = r[j - 1];
			r[j - 1] = t;
		}
}

/*
 * The n subordinate ranges sub sorted by their outside start and merged where they touch
 * or overlap, a range holding the caller's own id (self) left out (it is mapped on its
 * own, or not at all); how many are left.
 */
static int subid_merge(struct idrange *sub, int n, unsigned self)
{
	int k = 0;
	range_sort(sub, n, 0);
	for (int i = 0; i < n; i++) {
		if (span_overlap(sub[i].outside, sub[i].count, self, 1))
			continue;
		if (k > 0 && (uint64_t)sub[k - 1].outside + sub[k - 1].count >= sub[i].outside) {
			uint64_t end = (uint64_t)sub[i].outside + sub[i].count;
			if (end > (uint64_t)sub[k - 1].outside + sub[k - 1].count)
				sub[k - 1].count = (uint32_t)(end - sub[k - 1].outside);
			continue;
		}
		sub[k++] = sub[i];
	}
	return k;
}

/*
 * --map-auto: the caller's subordinate ranges from file, sorted and merged where they
 * touch, without any range that holds the caller's own id (it is mapped on its own),
 * laid out from inside id 0 upwards around the ids m already maps. --map-subids
 * (identity): the caller's first range only, each id mapped to itself, as util-linux
 * 2.41 does. Dies naming the file and line of a bad entry of the caller's.
 */
static void idmap_auto(struct idmap *m, const char *file, unsigned self, int identity)
{
	struct idrange sub[64];
	struct notes nt = {0};
	char name[64];
	unsigned uid = (unsigned)getuid();
	const char *user = idfile_lookup("/etc/passwd", NULL, &uid, name, sizeof(name), 0) == 0 ? name : NULL;
	int n = subid_read(file, user, uid, sub, (int)ARRAY_LEN(sub), 1, &nt);
	const char *opt = identity ? "--map-subids" : "--map-auto";
	if (n < 0 && errno == EINVAL)
		die("%s: %s", opt, nt.buf);
	if (n < 0)
		die_errno("%s: read %s", opt, file);
	if (identity && n > 0 && m->n < IDMAP_MAX) {
		m->r[m->n++] = (struct idrange){sub[0].outside, sub[0].outside, sub[0].count};
		return;
	}
	int k = subid_merge(sub, n, self);
	if (k == 0)
		die("%s: no subordinate ids for %s (uid %u) in %s", opt, user ? user : "this user", uid, file);
	uint64_t next = 0;
	for (int i = 0; i < k; i++) {
		uint32_t out = sub[i].outside, left = sub[i].count;
		while (left > 0) {
			uint64_t chunk = left, end = next;
			if (next >= 1ULL << 32) /* every inside id is taken: (uint32_t)next would wrap to 0 */
				die("--map-auto: the subordinate ranges in %s do not fit: %u id(s) left over past inside id "
				    "4294967295", file, (unsigned)left);
			for (int j = 0; j < m->n; j++) /* skip inside ids already taken */
				if (span_overlap((uint32_t)next, 1, m->r[j].inside, m->r[j].count))
					end = (uint64_t)m->r[j].inside + m->r[j].count;
			if (end != next) {
				next = end;
				continue;
			}
			for (int j = 0; j < m->n; j++)
				if (m->r[j].inside >= next && m->r[j].inside - next < chunk)
					chunk = m->r[j].inside - next;
			if (next + chunk > 1ULL << 32 || m->n == IDMAP_MAX)
				die("--map-auto: the subordinate ranges in %s do not fit", file);
			m->r[m->n++] = (struct idrange){(uint32_t)next, out, (uint32_t)chunk};
			next += chunk;
			out += (uint32_t)chunk;
			left -= (uint32_t)chunk;
		}
	}
}

/*
 * The caller's uid as the parent user namespace sees it (its own uid in the initial
 * one), from /proc/self/uid_map; getuid() where the map cannot tell.
 */
static unsigned outer_uid(void)
{
	struct idrange r[IDMAP_MAX];
	char why[8];
	unsigned uid = (unsigned)getuid();
	int n = idmap_read("/proc/self/uid_map", r, IDMAP_MAX, why, sizeof(why));
	for (int i = 0; i < n; i++)
		if (uid - r[i].inside < r[i].count)
			return r[i].outside + (uid - r[i].inside);
	return uid;
}

/*
 * The runtime directory for state and pins: $XDG_RUNTIME_DIR if it is absolute, else
 * /run/user/UID if it is a directory owned by the caller, else /run/rnsbox for root and
 * /tmp/rnsbox-UID for anyone else. UID is the caller's outer uid, so a rootless user
 * who is root in a user namespace keeps their own directory. Returns the path; *source
 * says which rule chose it.
 */
static const char *runtime_dir_as(char *buf, size_t size, const char **source, int use_xdg)
{
	const char *xdg = use_xdg ? getenv("XDG_RUNTIME_DIR") : NULL;
	unsigned uid = outer_uid();
	struct stat st;
	if (xdg && xdg[0] == '/') {
		*source = "XDG_RUNTIME_DIR";
		return xdg;
	}
	sfmt(buf, size, "/run/user/%u", uid);
	if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid()) {
		*source = "run-user";
		return buf;
	}
	*source = "fallback";
	if (uid)
		sfmt(buf, size, "/tmp/rnsbox-%u", uid);
	else
		sfmt(buf, size, "/run/rnsbox");
	return buf;
}

static const char *runtime_dir(char *buf, size_t size, const char **source)
{
	return runtime_dir_as(buf, size, source, 1);
}

/*
 * Make the runtime directory dir (from source src) 0700 if missing and check it, whatever
 * chose it: a directory of the caller's with mode 0700 (as the XDG spec requires of
 * XDG_RUNTIME_DIR), or someone else could have put it there or could reach into it. A
 * fallback one must not be a symlink either; XDG_RUNTIME_DIR may be one. NULL when it is
 * usable; else why not, in why.
 */
static const char *runtime_make(const char *dir, const char *src, char *why, size_t size)
{
	struct stat st;
	int fallback = strcmp(src, "fallback") == 0, rc;
	if ((rc = mkdir(dir, 0700)) < 0 && errno != EEXIST)
		sfmt(why, size, "mkdir %s (from %s): %s", dir, src, strerror(errno));
	else if (rc == 0 && diag.dry)
		return NULL; /* made now in the run planned, so the caller's and 0700 */
	else if ((fallback ? lstat(dir, &st) : stat(dir, &st)) < 0)
		sfmt(why, size, "stat %s: %s", dir, strerror(errno));
	else if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077))
		sfmt(why, size, "%s (from %s): not a directory of the caller's (uid %u) with mode 0700 (owner %u, mode %04o)",
		     dir, src, (unsigned)getuid(), (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	else
		return NULL;
	return why;
}

/*
 * The runtime directory, made if missing, for state and pins (newns, userns-handle); dies
 * if unusable. use_xdg 0: the one the caller's uid alone fixes, XDG_RUNTIME_DIR aside.
 */
static const char *state_dir_as(char *buf, size_t size, int use_xdg)
{
	char why[300];
	const char *src, *dir = runtime_dir_as(buf, size, &src, use_xdg);
	if (runtime_make(dir, src, why, sizeof(why)))
		die("%s", why);
	return dir;
}

static const char *state_dir(char *buf, size_t size)
{
	return state_dir_as(buf, size, 1);
}

/*==== 9. user-mode networking (helpers, resolv.conf and hosts, copy-up) ====*/

/*
 * A rootless network namespace has only loopback. slirp4netns or pasta, running in the
 * caller's network namespace, joins the new one (and the user namespace owning it) just
 * long enough to make a tap device there, then relays its traffic over ordinary sockets
 * outside. rnsbox starts the helper, waits for its ready signal, configures the tap
 * device itself over rtnetlink, and ends the helper with the namespace. Both helpers
 * get slirp4netns's documented addresses: in --cidr (10.0.2.0/24) the namespace is .100,
 * the gateway (the host's loopback, unless --disable-host-loopback) .2, DNS .3; MTU 65520.
 * The namespaces are passed as /proc/self/fd/N of fds rnsbox opened: pasta drops its
 * capabilities before it opens its target, and /proc/PID/ns of a process with more
 * capabilities is then out of its reach. With --ipv6 the namespace also gets fd00::100/64,
 * the route via fd00::2 and DNS at fd00::3, slirp4netns's IPv6 layout. Ports are
 * published from the host into the namespace's .100: through slirp4netns's API socket
 * (add_hostfwd, at any time), or pasta's -t and -u (only when it starts).
 */
#define NH_DEV "tap0"
#define NH_PORTS 32
#define NH_HOST_DNS "169.254.1.1" /* pasta's DNS forwarder in --pasta-mode=host, as podman has it */
#define NH_HOST_MAP "169.254.1.2" /* and the host, for host.containers.internal (--map-guest-addr) */

enum {
	OPT_NH = 400, OPT_NH_CIDR, OPT_NH_MTU, OPT_NH_TIMEOUT, OPT_NH_PUBLISH, OPT_NH_MODE, OPT_NH_NO_HOST_LO,
	OPT_NH_IPV6, OPT_COPY_UP,
};

/* A published port: HOST[:PORT] on the host to PORT in the namespace. */
struct nhport {
	char udp;              /* 0: tcp, 1: udp */
	unsigned short host, guest;
	char addr[40];         /* the host address; "": any */
	unsigned id;           /* slirp4netns's id for it, once added; 0: not added */
};

struct nethelper {
	const char *name;  /* "slirp4netns" or "pasta" ("auto" until nh_resolve); NULL: none */
	unsigned caps;     /* what the installed pasta takes (nh_probe: NH_MAP_HOST_LO, NH_MAP_GUEST) */
	uint32_t net;      /* --cidr's network, host byte order */
	unsigned plen, mtu;
	unsigned timeout;  /* --helper-timeout: how long it may take to become ready, seconds */
	int no_host_lo;    /* --disable-host-loopback */
	int ipv6;          /* --ipv6 */
	int host_mode;     /* --pasta-mode=host: pasta copies the host's addresses and routes */
	int exit_fd;       /* for slirp4netns's --exit-fd: it ends when the write end closes; -1: none */
	int given;         /* an option other than --net-helper was given */
	const char *api;   /* slirp4netns's --api-socket; NULL: none */
	const char *state; /* its pid file, for the mark in its environment (nh_find); NULL: none */
	int nports;
	struct nhport ports[NH_PORTS];
};
enum { NH_PASTA = 1, NH_MAP_HOST_LO = 2, NH_MAP_GUEST = 4 }; /* caps */
#define NETHELPER_INIT {.net = 0x0a000200, .plen = 24, .mtu = 65520, .timeout = 10, .exit_fd = -1}

/* The helper's options that exec and newns share (each adds --mtu and --publish its way). */
#define NH_ROWS                                                                                                \
	OPT("net-helper", "pasta|slirp4netns\tnetwork through a user-mode helper (pasta if usable)", OPT_NH,   \
	    ARG_OPT),                                                                                          \
	OPT("cidr", "NET/LEN\tits network (10.0.2.0/24): the namespace .100, gateway .2, DNS .3", OPT_NH_CIDR, \
	    ARG_REQ),                                                                                          \
	OPT("disable-host-loopback", "\t.2 does not reach the host's loopback", OPT_NH_NO_HOST_LO, 0),         \
	OPT("ipv6", "\tIPv6 too (fd00::100/64)", OPT_NH_IPV6, 0),                                              \
	OPT("helper-timeout", "SECS\thow long the helper may take to start (10)", OPT_NH_TIMEOUT, ARG_REQ),    \
	OPT("pasta-mode", "host\tpasta copies the host's addresses", OPT_NH_MODE, ARG_REQ)

/*
 * A port to publish, [HOSTIP:]HOSTPORT:PORT[/tcp|udp] as rootlesskit's and podman's -p
 * (an IPv6 HOSTIP in brackets), into p; or a range, HOSTPORT-END:PORT-END of one length,
 * its first port into p and its length into *n (1 for a port). NULL, or what is wrong.
 */
static const char *nh_port(struct nhport *p, const char *arg, unsigned *n)
{
	char buf[64], *c2, *c1, *addr = buf;
	unsigned char a[16];
	unsigned long long v[2], e[2];
	const char *proto = strrchr(arg, '/'), *q;
	size_t len = proto ? (size_t)(proto - arg) : strlen(arg);
	*p = (struct nhport){0};
	if ((proto && strcmp(proto, "/tcp") && strcmp(proto, "/udp")) || len >= sizeof(buf))
		return "is not [HOSTIP:]HOSTPORT:PORT[/tcp|udp]";
	p->udp = proto && proto[1] == 'u';
	memcpy(buf, arg, len);
	buf[len] = '\0';
	if (!(c2 = strrchr(buf, ':')))
		return "is not [HOSTIP:]HOSTPORT:PORT[/tcp|udp]";
	*c2++ = '\0';
	if ((c1 = strrchr(buf, ':')) && (!strchr(buf, ']') || c1 > strchr(buf, ']')))
		*c1++ = '\0';
	else
		c1 = buf, addr = NULL;
	for (int i = 0; i < 2; i++) {
		if (q = i ? c2 : c1, parse_uint(&q, 65535, &v[i]) < 0 || !v[i])
			return "has a port that is not 1 to 65535";
		e[i] = v[i];
		if ((*q == '-' && (q++, parse_uint(&q, 65535, &e[i]) < 0 || e[i] < v[i])) || *q)
			return "has a port that is not 1 to 65535, or a range that is not FIRST-LAST";
	}
	if ((*n = (unsigned)(e[0] - v[0] + 1)) != e[1] - v[1] + 1)
		return "has ranges of two lengths";
	p->host = (unsigned short)v[0], p->guest = (unsigned short)v[1];
	if (addr && *addr == '[' && addr[strlen(addr) - 1] == ']')
		addr++, addr[strlen(addr) - 1] = '\0';
	if (addr && !parse_ip(addr, a))
		return "has a HOSTIP that is not an IPv4 or IPv6 address";
	sfmt(p->addr, sizeof(p->addr), "%s", addr ? addr : "");
	return NULL;
}

/* A port as the user writes it, with brackets around an IPv6 address. */
static char *nh_port_str(const struct nhport *p, char *buf, size_t size)
{
	int v6 = strchr(p->addr, ':') != NULL;
	sfmt(buf, size, "%s%s%s%s%u:%u/%s", v6 ? "[" : "", p->addr, v6 ? "]" : "", *p->addr ? ":" : "", p->host,
	     p->guest, p->udp ? "udp" : "tcp");
	return buf;
}

/* One of the helper options (or a field of a pid file); NULL, or what is wrong with arg. */
static const char *nh_parse(struct nethelper *h, int opt, const char *arg)
{
	unsigned char fam, a[16], plen;
	unsigned long long v;
	if (opt == OPT_NH) {
		static const char *const names[] = {"pasta", "slirp4netns", "auto"};
		h->name = NULL;
		for (int i = 0; i < 3; i++)
			if (!strcmp(arg, names[i]))
				h->name = names[i];
		return h->name ? NULL : "is not pasta, slirp4netns or auto";
	}
	if (opt == OPT_NH_PUBLISH) { /* a range is one port a number */
		struct nhport p;
		unsigned n;
		const char *why = nh_port(&p, arg, &n);
		for (unsigned i = 0; !why && i < n; i++, p.host++, p.guest++)
			why = h->nports == NH_PORTS ? "is one too many (32 ports at most)" : (h->ports[h->nports++] = p, NULL);
		return why;
	}
	if (opt == OPT_NH_MODE) {
		h->host_mode = !strcmp(arg, "host");
		return h->host_mode || !strcmp(arg, "slirp") ? NULL : "is not host or slirp";
	}
	if (opt == OPT_NH_TIMEOUT) {
		if (parse_uint(&arg, 3600, &v) < 0 || *arg || !v)
			return "is not a whole number of seconds from 1 to 3600";
		h->timeout = (unsigned)v;
		return NULL;
	}
	if (opt == OPT_NH_CIDR) { /* the namespace gets .100 of it, so at most a /25 */
		if (parse_prefix(arg, strlen(arg), &fam, a, &plen) < 0 || fam != AF_INET || !strchr(arg, '/') || plen > 25 ||
		    plen < 8)
			return "is not an IPv4 network from /8 to /25";
		h->plen = plen;
		h->net = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
		h->net &= ~0u << (32 - plen);
		return NULL;
	}
	if (parse_uint(&arg, 65521, &v) < 0 || *arg || v < 1280)
		return "is not an MTU from 1280 to 65521";
	h->mtu = (unsigned)v;
	return NULL;
}

/* The address at offset k of the helper's network, dotted. */
static char *nh_ip(char buf[16], const struct nethelper *h, unsigned k)
{
	uint32_t a = h->net + k;
	sfmt(buf, 16, "%u.%u.%u.%u", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255);
	return buf;
}

/* The user namespace owning the network namespace at netns, if it is not the caller's; else -1. */
static int nh_owner(int netns)
{
	struct stat a, b;
	int fd = ioctl(netns, NS_GET_USERNS);
	if (fd >= 0 && fstat(fd, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 && a.st_ino == b.st_ino) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * Append the lines of text to dst (of size, holding a string) joined by "; ", empty
 * lines and pasta's complaints about syslog left out, so a helper's stderr reads as one
 * line: a carriage return ends a line too, and any other control byte becomes '?' (it
 * could move the cursor or clear the terminal). Cut at the end of dst.
 */
static void join_lines(char *dst, size_t size, const char *text)
{
	size_t n = strlen(dst), start = n;
	for (const char *p = text, *e; *p; p = e + !!*e) {
		int len = (int)((e = p + strcspn(p, "\r\n")) - p);
		if (!len || (len >= 9 && memcmp(e - 9, "to syslog", 9) == 0))
			continue;
		size_t from = n + (n > start ? 2 : 0);
		n = sfmt_at(dst, size, n, "%s%.*s", n > start ? "; " : "", len, p);
		for (size_t i = from; i < n; i++)
			if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
				dst[i] = '?';
	}
}

/* Why /dev/net/tun would not open, by its errno (which may not be about the device at all). */
static const char *tun_hint(int err)
{
	return err == EACCES || err == EPERM ? "the helper needs /dev/net/tun, which this user cannot open read-write"
	       : err == ENOENT || err == ENODEV || err == ENXIO ? "the kernel has no tun device here (module tun, or "
								  "no /dev/net/tun node)"
	       : err == EMFILE || err == ENFILE ? "out of file descriptors (ulimit -n), not a problem of /dev/net/tun"
						: NULL;
}

/*
 * A host port below net.ipv4.ip_unprivileged_port_start cannot be bound without
 * CAP_NET_BIND_SERVICE (a rootless helper has none): the sysctl and its value, as
 * rootlesskit says it, for the first such port; NULL where none is.
 */
static const char *nh_port_hint(const struct nhport *p, int n, char *buf, size_t size)
{
	unsigned long long start;
	if (cap_effective(10 /* CAP_NET_BIND_SERVICE */) ||
	    read_number("/proc/sys/net/ipv4/ip_unprivileged_port_start", &start) < 0)
		return NULL;
	for (int i = 0; i < n; i++)
		if (p[i].host < start) {
			sfmt(buf, size, "host port %u is below net.ipv4.ip_unprivileged_port_start (%llu): use a higher one",
			     p[i].host, start);
			return buf;
		}
	return NULL;
}

/* The helper's failure: why, then the end of what it wrote to stderr (the memfd log). */
static void nh_failed(const struct nethelper *h, int log, const char *why, struct result *r)
{
	char text[360], ports[200];
	off_t end = lseek(log, 0, SEEK_END);
	ssize_t n = pread(log, text, sizeof(text) - 1, end > (off_t)sizeof(text) - 1 ? end - (off_t)sizeof(text) + 1 : 0);
	text[n > 0 ? n : 0] = '\0';
	int tun = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NOCTTY), err = errno;
	if (tun >= 0)
		close(tun);
	const char *port = nh_port_hint(h->ports, h->nports, ports, sizeof(ports));
	result_fail(r, tun < 0 ? tun_hint(err) : port, "--net-helper %s: %s%s%s%s", h->name, why,
		    tun < 0 ? ", /dev/net/tun: " : "", tun < 0 ? strerror(err) : "", *text ? "; its stderr: " : "");
	join_lines(r->msg, sizeof(r->msg), text);
}

/*
 * Start the helper for the network namespace open at netns, from the caller's network
 * namespace, and wait up to --helper-timeout for it, saying so once after a second:
 * slirp4netns writes to --ready-fd; pasta's first process exits 0 once the daemon it
 * forks is ready, having written its pid to the pid file (a memfd here). The helper's
 * stderr goes to a memfd, shown if it fails. Returns the helper's pid, or -1 with r set
 * and nothing left running.
 */
/* A helper's command line, its strings beside it (nh_argv). */
struct nh_cmd {
	char a[10][48], spec[NH_PORTS][64];
	const char *argv[2 * NH_PORTS + 48];
};

/* slirp4netns's command line (nh_argv), from argv[1] on, with its ready pipe's write end. */
static void nh_argv_slirp(const struct nethelper *h, struct nh_cmd *x, int user, int ready)
{
	char (*a)[48] = x->a;
	const char **argv = x->argv;
	int n = 1;
	sfmt(a[2], 48, "--ready-fd=%d", ready);
	sfmt(a[3], 48, "--mtu=%u", h->mtu);
	sfmt(a[4], 48, "--cidr=%s/%u", nh_ip(a[8], h, 0), h->plen);
	sfmt(a[5], 48, "--exit-fd=%d", h->exit_fd);
	sfmt(a[6], 48, "--userns-path=%s", a[1]);
	for (int i = 2; i < 7; i++)
		if ((i != 5 || h->exit_fd >= 0) && (i != 6 || user >= 0))
			argv[n++] = a[i];
	if (h->no_host_lo)
		argv[n++] = "--disable-host-loopback";
	if (h->ipv6)
		argv[n++] = "--enable-ipv6";
	if (h->api)
		argv[n++] = "--api-socket", argv[n++] = h->api;
	argv[n++] = "--netns-type=path";
	argv[n++] = a[0];
	argv[n++] = NH_DEV;
	argv[n] = NULL;
}

/*
 * slirp4netns's or pasta's command line for the namespace at fd netns (owned by the user
 * namespace at fd user, -1: the caller's), with its ready pipe's write end (slirp4netns)
 * or the memfd pasta writes its daemon's pid to.
 */
static void nh_argv(const struct nethelper *h, struct nh_cmd *x, int netns, int user, int ready, int pidmem)
{
	static const char *const fixed[] = {"-q", "-I", NH_DEV, "-T", "none", "-U", "none", "-4", "-a",
					    "-n", "-g", "--dns-forward", "-m", "--runas", "-P", "--netns", "--userns"};
	static const char ip6[3][10] = {"fd00::100", "fd00::2", "fd00::3"};
	char (*a)[48] = x->a;
	const char **argv = x->argv;
	int n = 0;
	argv[n++] = h->name;
	sfmt(a[0], 48, "/proc/self/fd/%d", netns);
	sfmt(a[1], 48, "/proc/self/fd/%d", user);
	if (h->name[0] == 's') {
		nh_argv_slirp(h, x, user, ready);
		return;
	}
	for (int i = 0; i < 7; i++)
		argv[n++] = fixed[i];
	for (int udp = 0; udp < 2; udp++) { /* -t and -u: the ports to publish, or none */
		int any = 0;
		for (int i = 0; i < h->nports; i++)
			if (h->ports[i].udp == udp) { /* pasta's spec: [ADDR/]HOSTPORT:PORT */
				sfmt(x->spec[i], sizeof(x->spec[i]), "%s%s%u:%u", h->ports[i].addr, *h->ports[i].addr ? "/" : "",
				     h->ports[i].host, h->ports[i].guest);
				argv[n++] = udp ? "-u" : "-t", argv[n++] = x->spec[i], any = 1;
			}
		if (!any)
			argv[n++] = udp ? "-u" : "-t", argv[n++] = "none";
	}
	if (!h->ipv6)
		argv[n++] = fixed[7];
	for (int k = 0; h->ipv6 && !h->host_mode && k < 3; k++) /* -a, -g, --dns-forward again for IPv6 */
		argv[n++] = fixed[k ? 9 + k : 8], argv[n++] = ip6[k];
	if (h->no_host_lo) /* only where nh_resolve found it */
		argv[n++] = "--map-host-loopback", argv[n++] = "none";
	if (h->host_mode && (h->caps & NH_MAP_GUEST)) /* the host for host.containers.internal, as podman */
		argv[n++] = "--map-guest-addr", argv[n++] = NH_HOST_MAP;
	if (h->host_mode) { /* the host's addresses and routes, DNS at a link-local address */
		argv[n++] = "--config-net", argv[n++] = fixed[11], argv[n++] = NH_HOST_DNS;
	} else {
		argv[n++] = fixed[8], argv[n++] = nh_ip(a[2], h, 100);
		sfmt(a[3], 48, "%u", h->plen);
		argv[n++] = fixed[9], argv[n++] = a[3];
		argv[n++] = fixed[10], argv[n++] = nh_ip(a[4], h, 2);
		argv[n++] = fixed[11], argv[n++] = nh_ip(a[5], h, 3);
	}
	sfmt(a[6], 48, "%u", h->mtu);
	argv[n++] = fixed[12], argv[n++] = a[6];
	sfmt(a[7], 48, "%u:%u", (unsigned)geteuid(), (unsigned)getegid()); /* as root it would drop to nobody */
	argv[n++] = fixed[13], argv[n++] = a[7];
	sfmt(a[8], 48, "/proc/self/fd/%d", pidmem);
	argv[n++] = fixed[14], argv[n++] = a[8];
	argv[n++] = fixed[15], argv[n++] = a[0];
	if (user >= 0)
		argv[n++] = fixed[16], argv[n++] = a[1];
	argv[n] = NULL;
}

/*
 * In the child: exec the helper in its own session (no signal for the caller's terminal
 * reaches it), signals unblocked, stderr to the log, and no fd of the caller's but those
 * in keep (it may outlive rnsbox: a pipe held open would hang a caller); marks first in
 * its environment for nh_find: the namespace it serves, and where its state went.
 */
__attribute__((noreturn)) static void nh_exec(const struct nethelper *h, const char *exe, struct nh_cmd *x,
					      const int keep[5], int log)
{
	extern char **environ;
	struct stat ns_st;
	sigset_t none;
	size_t envn = 3;
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(log, 2) < 0)
		_exit(127);
	sys_close_range(3, ~0u, CLOSE_RANGE_CLOEXEC);
	for (int i = 0; i < 5; i++)
		if (keep[i] >= 0)
			sys_fdflags(keep[i], F_SETFD, 0);
	for (char **v = environ; *v; v++)
		envn++;
	char mark[2][PATH_MAX + 32], *add[2] = {mark[0], mark[1]}, *env[envn];
	sfmt(mark[0], sizeof(mark[0]), "RNSBOX_NETNS=%llu", fstat(keep[0], &ns_st) == 0 ? (unsigned long long)ns_st.st_ino : 0);
	sfmt(mark[1], sizeof(mark[1]), "RNSBOX_HELPER_STATE=%s", h->state ? h->state : "");
	env_with(env, envn, add, 2);
	execve(exe, (char *const *)x->argv, env);
	die_errno("exec %s", exe);
}

/*
 * Wait for the helper pid to be ready (slirp4netns: a byte on ready; pasta: its exit 0
 * once its daemon runs, the daemon's pid then in pidmem), at most --helper-timeout,
 * saying so after 1 s. A held signal (newns) ends the wait. The helper's pid, or -1 with
 * r set (and r->sig, for a signal): the helper is then killed and reaped.
 */
static pid_t nh_wait(const struct nethelper *h, pid_t pid, int ready, int pidmem, int log, struct result *r)
{
	int slirp = h->name[0] == 's', pfd = (int)sys_pidfd_open(pid, 0), st = 0, rc, waited = 0;
	sigset_t held;
	sig_held(&held);
	int sigfd = signalfd(-1, &held, SFD_CLOEXEC | SFD_NONBLOCK); /* fires only where newns blocks them */
	struct pollfd p[3] = {{.fd = pfd, .events = POLLIN}, {.fd = ready, .events = POLLIN}, {.fd = sigfd, .events = POLLIN}};
	struct signalfd_siginfo si;
	char c, num[16] = "", sn[8], why[64];
	const char *q = num;
	unsigned long long v;
	for (unsigned left = h->timeout * 1000, slice;; left -= slice) {
		slice = !waited && left > 1000 ? 1000 : left;
		if ((rc = poll(p, 3, (int)slice)) < 0 && errno == EINTR)
			slice = 0;
		else if (rc != 0 || left == slice)
			break;
		else if (!waited++)
			warn("--net-helper %s: not ready after 1 s; waiting up to %u s (--helper-timeout)", h->name, h->timeout);
	}
	if (rc > 0 && !p[2].revents && slirp && p[1].revents && read(ready, &c, 1) == 1)
		goto out; /* ready */
	sfmt(why, sizeof(why), "not ready after %u s", h->timeout);
	if (rc > 0 && p[2].revents && read(sigfd, &si, sizeof(si)) == sizeof(si)) {
		r->sig = (int)si.ssi_signo;
		sfmt(why, sizeof(why), "interrupted by SIG%s while waiting for it", sig_name(r->sig, sn));
	} else if (rc > 0 && !(p[0].revents & POLLIN) && pfd >= 0 && poll(p, 1, 250) == 0) {
		/* the ready pipe ended and the helper still runs (an exiting one closes its fds a
		 * moment before its pidfd says so: that moment, 250 ms at most, is waited for) */
		sfmt(why, sizeof(why), "closed its ready pipe without saying it is ready");
	} else if (rc > 0 && waitpid(pid, &st, 0) == pid) {
		if (!slirp && WIFEXITED(st) && WEXITSTATUS(st) == 0 && pread(pidmem, num, sizeof(num) - 1, 0) > 0 &&
		    parse_uint(&q, INT32_MAX, &v) == 0 && v > 1) {
			pid = (pid_t)v;
			goto out;
		}
		wait_why(st, why);
		pid = 0;
	}
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		/* pasta ready as the signal came: its daemon wrote its pid */
		if (!slirp && pread(pidmem, num, sizeof(num) - 1, 0) > 0 && parse_uint(&q, INT32_MAX, &v) == 0 && v > 1)
			kill((pid_t)v, SIGKILL);
	}
	pid = -1;
	int sig = r->sig;
	nh_failed(h, log, why, r);
	r->sig = sig;
out:
	if (pfd >= 0)
		close(pfd);
	if (sigfd >= 0)
		close(sigfd);
	return pid;
}

/*
 * Start the helper h on the network namespace at fd netns (from the caller's namespaces)
 * and wait until it is ready (nh_wait). Its pid, or -1 with r set, nothing left running.
 */
static pid_t nh_spawn(const struct nethelper *h, int netns, struct result *r)
{
	char exe[256];
	struct nh_cmd x = {0}; /* zeroed for cppcheck, which takes nh_argv's writes for reads */
	int slirp = h->name[0] == 's', ready[2] = {-1, -1}, user = nh_owner(netns);
	int log = memfd_create("rnsbox-helper-log", MFD_CLOEXEC), pidmem = -1;
	pid_t pid = -1;
	if (path_find(h->name, exe, sizeof(exe)) < 0)
		result_fail(r, slirp ? "Debian's package is slirp4netns" : "Debian's package is passt", "--net-helper %s: "
			    "not found on PATH", h->name);
	else if (log < 0 || (slirp ? pipe2(ready, O_CLOEXEC) : (pidmem = memfd_create("rnsbox-helper-pid", MFD_CLOEXEC))) < 0)
		result_fail(r, NULL, "--net-helper %s: %s", h->name, strerror(errno));
	else if (nh_argv(h, &x, netns, user, ready[1], pidmem), plan_argv(exe, (char *const *)x.argv))
		pid = 0; /* a dry run: no helper */
	else if ((pid = _Fork()) < 0)
		result_fail(r, NULL, "fork: %s", strerror(errno));
	else if (pid == 0)
		nh_exec(h, exe, &x, (const int[]){netns, user, ready[1], pidmem, h->exit_fd}, log);
	if (ready[1] >= 0)
		close(ready[1]);
	if (pid > 0)
		pid = nh_wait(h, pid, ready[0], pidmem, log, r);
	for (int fd, i = 0; i < 4; i++)
		if ((fd = (int[]){log, pidmem, ready[0], user}[i]) >= 0)
			close(fd);
	return pid;
}

/*
 * One request to slirp4netns's API socket: a JSON line on a new connection, one JSON
 * reply. what names the option for messages. 0 with the reply's "id" (add_hostfwd) in
 * *idp (0 for a reply without one; an id is 32 bits, never folded into the status), or
 * -1 with r set: the connection failed, or the reply was an error, named with its "desc".
 */
static int slirp_api(const char *path, const char *req, const char *what, uint32_t *idp, struct result *r)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char reply[2048];
	size_t got = 0;
	ssize_t k;
	unsigned long long id = 0;
	if (plan("api", "%s: %.*s", path, (int)strlen(req) - 1, req))
		return 0;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (strlen(path) >= sizeof(sa.sun_path))
		errno = ENAMETOOLONG;
	else
		memcpy(sa.sun_path, path, strlen(path) + 1);
	if (fd < 0 || !sa.sun_path[0] || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    write_all(fd, req, strlen(req)) < 0) {
		result_fail(r, NULL, "%s: slirp4netns's API socket %s: %s", what, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	shutdown(fd, SHUT_WR);
	while (got < sizeof(reply) - 1 && (k = read(fd, reply + got, sizeof(reply) - 1 - got)) > 0)
		got += (size_t)k;
	close(fd);
	reply[got] = '\0';
	const char *e = find(reply, "\"error\""), *d = e ? find(e, "\"desc\"") : NULL, *i = find(reply, "\"id\"");
	if (e || !got) {
		d = d ? strchr(d + 6, '"') : NULL;
		result_fail(r, "a port already in use on the host, or an address that is not the host's, is refused",
			    "%s: slirp4netns: %.*s", what, d ? (int)strcspn(d + 1, "\"") : 8, d ? d + 1 : "no reply");
		return -1;
	}
	if (i && (i = strchr(i, ':')))
		for (i++; *i == ' '; i++)
			;
	if (i && parse_uint(&i, UINT32_MAX, &id) < 0)
		id = 0;
	*idp = (uint32_t)id;
	return 0;
}

/* Publish port p through slirp4netns's API; its id is kept in p. 0, or -1 with r set. */
static int nh_publish(const struct nethelper *h, struct nhport *p, struct result *r)
{
	char req[256], what[80], ip[16], spec[64];
	int v6 = strchr(p->addr, ':') != NULL;
	sfmt(what, sizeof(what), "--publish %s", nh_port_str(p, spec, sizeof(spec)));
	sfmt(req, sizeof(req), "{\"execute\": \"add_hostfwd\", \"arguments\": {\"proto\": \"%s\", \"host_addr\": \"%s\", "
	     "\"host_port\": %u, %s%s%s\"guest_port\": %u}}\n", p->udp ? "udp" : "tcp", *p->addr ? p->addr : "0.0.0.0",
	     p->host, v6 ? "" : "\"guest_addr\": \"", v6 ? "" : nh_ip(ip, h, 100), v6 ? "" : "\", ", p->guest);
	uint32_t id = 0;
	int rc = slirp_api(h->api, req, what, &id, r);
	p->id = id;
	if (rc < 0) /* a privileged port is the likelier cause than the one slirp4netns's error suggests */
		nh_port_hint(p, 1, r->hint, sizeof(r->hint));
	return rc;
}

static int nh_stop(pid_t pid);

/*
 * nh_spawn, then every port published through slirp4netns's API socket at api (only
 * slirp4netns has one; keep it for later publishing, or it is removed once the ports are,
 * so nothing is left). The helper's pid, or -1 with r set and the helper ended.
 */
static pid_t nh_start(struct nethelper *h, int netns, const char *api, int keep, struct result *r)
{
	h->api = h->name[0] == 's' && (h->nports || keep) ? api : NULL;
	if (h->api)
		unlink(api); /* left by a helper that was killed */
	pid_t pid = nh_spawn(h, netns, r);
	for (int i = 0; (pid > 0 || (diag.dry && r->ok)) && h->api && i < h->nports; i++)
		if (nh_publish(h, &h->ports[i], r) < 0)
			nh_stop(pid), pid = -1;
	if (h->api && (!keep || pid < 0))
		unlink(api);
	h->api = NULL;
	return pid;
}

/*
 * The one reader of /proc/PID/stat: COMM (from after the first '(' to the last ')', as
 * COMM may hold either), the state, and the start time (field 22, in clock ticks since
 * boot: with the pid it names one process). 0, or -1 for a line not of that shape.
 */
struct pstat {
	char comm[16], state;
	unsigned long long start;
};

static int proc_stat_parse(const char *line, struct pstat *ps)
{
	const char *open = line ? strchr(line, '(') : NULL, *p = open ? strrchr(open, ')') : NULL;
	if (!p || p[1] != ' ' || !p[2] || p[3] != ' ')
		return -1;
	sfmt(ps->comm, sizeof(ps->comm), "%.*s", (int)(p - open - 1), open + 1);
	ps->state = p[2];
	for (int field = 2; p && field < 22; field++) /* ") S ppid ..." */
		p = strchr(p + 1, ' ');
	return p && (p++, parse_uint(&p, ~0ULL, &ps->start) == 0) ? 0 : -1;
}

/* /proc/PID/stat of a process that has not ended (a zombie has): 0, or -1 (errno ESRCH where gone). */
static int proc_stat(pid_t pid, struct pstat *ps)
{
	char path[32], *line;
	struct lines l;
	int rc = -1;
	sfmt(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (pid <= 0 || lines_open(&l, path) < 0) {
		errno = pid <= 0 || errno == ENOENT ? ESRCH : errno;
		return -1;
	}
	int err = (line = lines_next(&l)) ? 0 : errno ? errno : ESRCH;
	if (line && proc_stat_parse(line, ps) == 0 && ps->state != 'Z' && ps->state != 'X')
		rc = 0;
	lines_close(&l);
	errno = rc == 0 ? 0 : err ? err : ESRCH; /* a zombie, or no such line: gone */
	return rc;
}

/*
 * The start time of a live process pid, 0 if it has ended: with the pid, who it is. Dies
 * when /proc cannot tell (EMFILE, say): the callers decide whether a holder or a keeper
 * lives, and an error read as "gone" would drop what is still held.
 */
static unsigned long long proc_start(pid_t pid)
{
	struct pstat ps;
	if (proc_stat(pid, &ps) == 0)
		return ps.start;
	if (errno != ESRCH)
		die_errno("read /proc/%d/stat", (int)pid);
	return 0;
}

/*
 * Whether pid is a live network helper: named so in /proc/PID/stat (a reused pid is not),
 * and no zombie. 1 or 0; -1 (errno) when /proc cannot tell, which is never "not running".
 */
static int nh_alive(pid_t pid)
{
	struct pstat ps;
	if (proc_stat(pid, &ps) < 0)
		return errno == ESRCH ? 0 : -1;
	return !strcmp(ps.comm, "slirp4netns") || !strncmp(ps.comm, "pasta", 5) || !strncmp(ps.comm, "passt", 5);
}

/*
 * End the helper with the pidfd fd (closed here): SIGTERM, then SIGKILL if it is still
 * there after 2 s (or the SIGTERM could not be sent); 0 once it is gone, -1 if it may
 * still run. A pidfd, because /proc may by then be a new PID namespace's, where the
 * helper's pid means another process.
 */
static int nh_stop_fd(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int rc = fd < 0 ? 0 : -1;
	errno = ETIMEDOUT;
	for (int i = 0; rc < 0 && i < 2; i++)
		if (syscall(SYS_pidfd_send_signal, fd, i ? SIGKILL : SIGTERM, NULL, 0) < 0 ? errno == ESRCH : poll(&p, 1, 2000) > 0)
			rc = 0;
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * End the helper pid, if it is one: the pidfd is opened first, so a pid reused after the
 * check cannot be hit; with no pidfd to be had (EMFILE), by pid. 0 once it is not
 * running, -1 (reported) if it may be: the caller then keeps its record, for --rm or gc.
 */
static int nh_stop(pid_t pid)
{
	int fd = pid > 0 ? (int)sys_pidfd_open(pid, 0) : -1, err = errno;
	int alive = pid > 0 && (fd >= 0 || err != ESRCH) ? nh_alive(pid) : 0;
	if (alive > 0 && plan("kill", "the network helper (pid %d): SIGTERM, SIGKILL after 2 s", (int)pid))
		alive = 0;
	if (alive <= 0 && fd >= 0)
		close(fd), fd = -1;
	int rc = alive < 0 ? -1 : !alive ? 0 : fd >= 0 ? nh_stop_fd(fd) : kill(pid, SIGKILL);
	if (rc < 0)
		warn("end the network helper (pid %d): %s; it may still run", (int)pid, strerror(errno));
	return rc;
}

/*
 * Enter the network namespace at fd, joining the user namespace that owns it first if
 * that is not the caller's (it is then the caller's child, so the caller may). 0 or -1.
 */
static int nh_enter(int fd)
{
	int f[NS_COUNT], err[NS_COUNT];
	for (int ns = 0; ns < NS_COUNT; ns++)
		f[ns] = ns_table[ns].flag == CLONE_NEWNET ? fd : ns_table[ns].flag == CLONE_NEWUSER ? nh_owner(fd) : -1;
	int left = ns_join(f, err), e = errno;
	if (f[0] >= 0) /* the table starts with user */
		close(f[0]);
	errno = e;
	return left ? -1 : 0;
}

/* From inside the namespace: the helper's device up with its MTU, address and default route. */
static void nh_config(const struct nethelper *h, struct result *r)
{
	if (h->host_mode)
		return; /* pasta --config-net did it */
	struct nl nl;
	uint32_t addr = htonl(h->net + 100), gw = htonl(h->net + 2);
	int rc = nl_open(&nl);
	if (rc == 0 && (rc = link_set(&nl, NH_DEV, 1, h->mtu, 0)) == 0)
		rc = addr_add(&nl, NH_DEV, AF_INET, &addr, h->plen);
	if (rc == 0)
		rc = route_add(&nl, AF_INET, NULL, 0, &gw, NH_DEV);
	unsigned char a6[16] = {0xfd, [14] = 1}, g6[16] = {0xfd, [15] = 2}; /* fd00::100, fd00::2 */
	if (rc == 0 && h->ipv6 && (rc = addr_add(&nl, NH_DEV, AF_INET6, a6, 64)) == 0)
		rc = route_add(&nl, AF_INET6, NULL, 0, g6, NH_DEV);
	nl_close(&nl);
	if (rc < 0)
		result_fail(r, NULL, "--net-helper %s: configure %s: %s", h->name, NH_DEV, strerror(-rc));
}

/* In a child: enter the network namespace at fd, and configure the helper's device there. */
struct nh_child {
	const struct nethelper *h;
	int fd;
	struct result r;
};

static void nh_config_child(void *arg)
{
	struct nh_child *c = arg;
	c->r.ok = 1;
	if (nh_enter(c->fd) < 0)
		result_fail(&c->r, NULL, "enter the network namespace: %s", strerror(errno));
	else
		nh_config(c->h, &c->r);
}

/*
 * The resolv.conf and hosts rnsbox shows in the namespace, written to fd: the helper's
 * DNS address first, then the host's search domains, options and nameservers, except
 * loopback ones (the namespace's loopback is its own); the host's hosts file, then this
 * host's name at the namespace's address and host.containers.internal at the gateway.
 */
/*
 * The IPv4 default gateway of this network namespace (/proc/net/route), dotted, where
 * pasta in --pasta-mode=host reaches the host (it maps the gateway's address to the
 * host's loopback); "" if there is none.
 */
static char *host_gw(char ip[16])
{
	struct lines l;
	char *line;
	ip[0] = '\0';
	if (lines_open(&l, "/proc/net/route") < 0)
		return ip;
	while (!ip[0] && (line = lines_next(&l))) { /* IFACE DEST GATEWAY ..., in hex, little-endian */
		char *dest = line + strcspn(line, "\t"), *gw = dest + 1 + strcspn(dest + 1, "\t");
		unsigned v = 0;
		for (int i = 1; *gw && i <= 8 && !strncmp(dest, "\t00000000\t", 10); i++)
			v = v << 4 | (unsigned)(gw[i] <= '9' ? gw[i] - '0' : (gw[i] | 32) - 'a' + 10);
		if (v)
			sfmt(ip, 16, "%u.%u.%u.%u", v & 255, v >> 8 & 255, v >> 16 & 255, v >> 24);
	}
	lines_close(&l);
	return ip;
}

/* The first line of the resolv.conf rnsbox makes at /etc/netns/NAME, by which --rm knows it. */
#define NETNS_ETC_MARK "# rnsbox newns --net-helper; newns --rm removes this\n"

/* resolv.conf (hosts 0; 2: with NETNS_ETC_MARK first) or hosts (1) for the namespace, to fd. */
static int nh_write_etc(const struct nethelper *h, int hosts, int fd)
{
	struct out w = {.fd = fd};
	struct lines l;
	struct utsname u;
	char ip[16], *line;
	int err = 0;
	if (hosts == 2)
		out_s(&w, NETNS_ETC_MARK), hosts = 0;
	if (!hosts && h->host_mode)
		out_s(&w, "nameserver " NH_HOST_DNS "\n");
	else if (!hosts)
		out_f(&w, "nameserver %s\n%s", nh_ip(ip, h, 3), h->ipv6 ? "nameserver fd00::3\n" : "");
	if (lines_open(&l, hosts ? "/etc/hosts" : "/etc/resolv.conf") == 0) {
		while ((line = lines_next(&l))) {
			int ns = !hosts && !strncmp(line, "nameserver", 10);
			const char *v = ns ? line + 10 + strspn(line + 10, " \t") : line;
			if (!hosts && (!*line || *line == '#' || *line == ';' || (ns && (!strncmp(v, "127.", 4) || !strcmp(v, "::1")))))
				continue;
			out_s(&w, line);
			out_s(&w, "\n");
		}
		err = errno; /* a line that cannot be read is an error, never the end of the file */
		lines_close(&l);
	}
	if (hosts && !h->host_mode && uname(&u) == 0) /* in host mode the namespace has the host's addresses */
		out_f(&w, "%s %s\n", nh_ip(ip, h, 100), u.nodename);
	if (h->host_mode && (h->caps & NH_MAP_GUEST))
		sfmt(ip, sizeof(ip), NH_HOST_MAP);
	else if (h->host_mode)
		host_gw(ip);
	else
		nh_ip(ip, h, 2);
	if (hosts && !h->no_host_lo && *ip)
		out_f(&w, "%s host.containers.internal host.rnsbox.internal\n", ip);
	out_flush(&w);
	errno = err;
	return err ? -1 : 0;
}

/* Create dir/name exclusively, without following a symlink, and fill it (nh_write_etc). 0 or -1. */
static int nh_etc_file(const struct nethelper *h, int dfd, const char *name, int hosts)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	int rc = nh_write_etc(h, hosts, fd), err = errno;
	close(fd);
	if (rc < 0)
		unlinkat(dfd, name, 0);
	errno = err;
	return rc;
}

/* Clean an absolute path in place: no "//", "." or ".." left (lexically, as podman does). */
static void path_clean(char *p)
{
	char *w = p;
	for (char *s = p; *s;) {
		while (*s == '/')
			s++;
		size_t len = strcspn(s, "/");
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			while (w > p && *--w != '/')
				;
		} else if (len && !(len == 1 && *s == '.')) {
			*w++ = '/';
			memmove(w, s, len);
			w += len;
		}
		s += len;
	}
	if (w == p)
		*w++ = '/';
	*w = '\0';
}

/*
 * Show the file src at target (/etc/resolv.conf or /etc/hosts) in this private mount
 * namespace. A symlink whose text starts with scratch is an entry of a --copy-up: it is
 * replaced by a symlink to src. Otherwise the chain of symlinks is followed hop by hop (at
 * most 16; a relative link against its own directory), to the first path under /run or
 * else to its end, which must exist: src is bound over it. Under /run, a tmpfs goes over
 * the file's directory first, so the host replacing the file (as systemd-resolved and
 * NetworkManager do) cannot detach the mount. 0, or -1 with r set.
 */
static int nh_show(const char *src, const char *target, const char *scratch, struct result *r)
{
	char p[PATH_MAX], link[PATH_MAX];
	struct stat st;
	ssize_t n;
	int hop, fd;
	sfmt(p, sizeof(p), "%s", target);
	for (hop = 0; hop < 16 && strncmp(p, "/run/", 5); hop++) {
		if (lstat(p, &st) < 0)
			return result_fail(r, NULL, "%s: %s: %s", target, p, strerror(errno)), -1;
		if (!S_ISLNK(st.st_mode))
			break;
		if ((n = readlink(p, link, sizeof(link) - 1)) < 0)
			return result_fail(r, NULL, "readlink %s: %s", p, strerror(errno)), -1;
		link[n] = '\0';
		size_t len = strlen(scratch);
		if (hop == 0 && strncmp(link, scratch, len) == 0 && link[len] == '/') {
			if (unlink(p) < 0 || symlink(src, p) < 0)
				return result_fail(r, NULL, "replace %s: %s", p, strerror(errno)), -1;
			return 0;
		}
		char *slash = strrchr(p, '/');
		if (link[0] == '/')
			sfmt(p, sizeof(p), "%s", link);
		else if ((size_t)sfmt(slash + 1, sizeof(p) - (size_t)(slash + 1 - p), "%s", link) >= sizeof(p) - (size_t)(slash + 1 - p))
			return result_fail(r, NULL, "%s: path too long", target), -1;
		path_clean(p);
	}
	if (hop == 16)
		return result_fail(r, NULL, "%s: %s", target, strerror(ELOOP)), -1;
	if (strncmp(p, "/run/", 5) == 0) {
		char *slash = strrchr(p, '/');
		*slash = '\0';
		int rc = mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
		*slash = '/';
		if (rc < 0 || (fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0)
			return result_fail(r, NULL, "%s: a tmpfs for %s: %s", target, p, strerror(errno)), -1;
		close(fd);
	}
	if (mount(src, p, NULL, MS_BIND, NULL) < 0)
		return result_fail(r, NULL, "%s: bind over %s: %s", target, p, strerror(errno)), -1;
	return 0;
}

/*
 * --copy-up DIR, in a private mount namespace, as rootlesskit's tmpfs+symlink copy-up: DIR
 * is bound at scratch/.roN, a tmpfs goes over DIR, and each of its entries becomes a
 * symlink to scratch/.roN/ENTRY. Anything in DIR can then be replaced inside while the
 * host's files stay as they are. 0, or -1 with r set.
 */
static int copy_up(const char *dir, const char *scratch, int i, struct result *r)
{
	char ro[PATH_MAX], to[PATH_MAX], opts[32];
	struct dents d;
	struct stat st;
	const char *name;
	sfmt(ro, sizeof(ro), "%s/.ro%d", scratch, i);
	int err = stat(dir, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
	if (err)
		return result_fail(r, NULL, "--copy-up %s: %s", dir, strerror(err)), -1;
	unsigned m = (unsigned)st.st_mode;
	sfmt(opts, sizeof(opts), "mode=%u%u%u%u", m >> 9 & 7, m >> 6 & 7, m >> 3 & 7, m & 7); /* sfmt has no %o */
	if (mkdir(ro, 0755) < 0 || mount(dir, ro, NULL, MS_BIND | MS_REC, NULL) < 0 ||
	    mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0 || dents_open(&d, AT_FDCWD, diag.dry ? dir : ro) < 0)
		return result_fail(r, NULL, "--copy-up %s: %s", dir, strerror(errno)), -1;
	size_t len = strlen(ro);
	while ((name = dents_next(&d))) {
		sfmt(ro + len, sizeof(ro) - len, "/%s", name);
		sfmt(to, sizeof(to), "%s/%s", dir, name);
		if (symlink(ro, to) < 0) {
			close(d.fd);
			return result_fail(r, NULL, "--copy-up %s: symlink %s: %s", dir, to, strerror(errno)), -1;
		}
	}
	close(d.fd);
	return 0;
}

/*
 * A helper's pid file (nh_pidfile): "PID\nHELPER NET/LEN MTU host-loopback|no-host-loopback
 * [ipv6] [PORT#ID]...\n", the second line for starting it again alike, with the ports
 * published and slirp4netns's ids for them. nh_read returns the pid (0 if there is none;
 * -1 with errno if the file is there but cannot be read) and fills h when the second line
 * parses (h keeps its api, exit fd and timeout). sh_pid dies on that error instead.
 */
static pid_t nh_read(const char *path, struct nethelper *h)
{
	char buf[80 * NH_PORTS + 128], *f[6 + NH_PORTS];
	struct nethelper t = NETHELPER_INIT;
	unsigned long long v = 0, id;
	int n = 0;
	if (read_small(AT_FDCWD, path, O_NOFOLLOW, buf, sizeof(buf)) < 0 && errno != ENOENT)
		return -1; /* unreadable is an error, not "no helper" */
	for (char *p = strtok(buf, " \n"); p && n < (int)ARRAY_LEN(f); p = strtok(NULL, " \n"))
		f[n++] = p;
	if (n < 1 || parse_uint((const char **)&f[0], INT32_MAX, &v) < 0)
		return 0;
	if (n >= 5 && !nh_parse(&t, OPT_NH, f[1]) && !nh_parse(&t, OPT_NH_CIDR, f[2]) && !nh_parse(&t, OPT_NH_MTU, f[3])) {
		t.no_host_lo = f[4][0] == 'n';
		for (int i = 5; i < n; i++) {
			char *hash = strchr(f[i], '#');
			const char *q = hash ? hash + 1 : "";
			if (hash)
				*hash = '\0';
			if (!strcmp(f[i], "ipv6") || !strcmp(f[i], "host-mode"))
				*(f[i][0] == 'i' ? &t.ipv6 : &t.host_mode) = 1;
			else if (!nh_parse(&t, OPT_NH_PUBLISH, f[i]) && parse_uint(&q, UINT32_MAX, &id) == 0)
				t.ports[t.nports - 1].id = (unsigned)id;
		}
		t.api = h->api, t.exit_fd = h->exit_fd, t.timeout = h->timeout;
		*h = t;
	}
	return (pid_t)v;
}

static pid_t sh_pid(const char *path, struct nethelper *h)
{
	pid_t pid = nh_read(path, h);
	if (pid < 0)
		die_errno("read %s", path);
	return pid;
}

/*
 * The keeper of a rootless shared namespace (newns --shared), as podman's pause process:
 * for a user who lacks CAP_SYS_ADMIN, a process in a user and a mount namespace of its
 * own, where the pin lives, that every verb of that user joins, from any session.
 * DIR/keeper says "PID START" (start time as for holders). keeper_pid returns the
 * keeper's pid if it is alive, else 0; *recorded is the pid DIR/keeper names (0 if it
 * names none), -1 without it. dfd is DIR open. Dies when DIR/keeper cannot be read.
 */
static pid_t keeper_pid(int dfd, const char *dir, long *recorded)
{
	char buf[48];
	const char *q = buf;
	unsigned long long pid = 0, start = 0;
	ssize_t n = read_small(dfd, "keeper", O_NOFOLLOW, buf, sizeof(buf));
	if (n < 0 && errno != ENOENT) /* unreadable is no "no keeper": a second one would be started */
		die_errno("read %s/keeper", dir);
	if (parse_uint(&q, INT32_MAX, &pid) < 0 || *q++ != ' ' || parse_uint(&q, ~0ULL, &start) < 0)
		pid = 0;
	*recorded = n < 0 ? -1 : (long)pid;
	return pid && proc_start((pid_t)pid) == start ? (pid_t)pid : 0;
}

/* path made absolute in buf (path itself if it is); NULL when that cannot be done. */
static const char *abs_path(const char *path, char *buf, size_t size)
{
	char cwd[PATH_MAX];
	if (path[0] == '/')
		return path;
	return syscall(SYS_getcwd, cwd, sizeof(cwd)) < 0 || (size_t)sfmt(buf, size, "%s/%s", cwd, path) >= size ? NULL : buf;
}

/*
 * Whether path is DIR/netns, the pin of a shared namespace (DIR/netns.pid exists): 1 if
 * it is pinned here; 2 for a rootless one whose pin lives in its keeper's mount namespace
 * (here it is an empty file, and DIR/keeper names a live keeper), with the pin as the
 * keeper sees it, /proc/KEEPER/root/ABSPATH, made in buf; else 0.
 */
static int shared_pin(const char *path, char *buf, size_t size)
{
	char abs[PATH_MAX];
	struct stat st;
	long recorded;
	pid_t pid;
	int kind = pin_kind(path), rc = 0, dfd = -1;
	const char *name = (path = abs_path(path, abs, sizeof(abs))) ? strrchr(path, '/') + 1 : "";
	if (!strcmp(name, "netns") && sfmt(buf, size, "%.*s", (int)(name - path), path) &&
	    (dfd = open(buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0 && fstatat(dfd, "netns.pid", &st, AT_SYMLINK_NOFOLLOW) == 0)
		rc = kind == CLONE_NEWNET ? 1
		     : kind == PIN_STALE && (pid = keeper_pid(dfd, buf, &recorded)) &&
				       (size_t)sfmt(buf, size, "/proc/%d/root%s", (int)pid, path) < size ? 2 : 0;
	if (dfd >= 0)
		close(dfd);
	return rc;
}

/*
 * The pid file: the pid, then how the helper was started (nh_read). Written whole to
 * PATH.tmp, made exclusively, and renamed over PATH, so a reader, and a SIGKILL, never
 * meet half a file or none; the temporary file a SIGKILL can leave goes with the pid
 * file (newns_unhelper). 0 or -1.
 */
static int nh_write(const char *path, const struct nethelper *h, pid_t pid)
{
	char text[80 * NH_PORTS + 128], ip[16], spec[64], tmp[PATH_MAX + 4];
	sfmt(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = (unlink(tmp), open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
	size_t n = (size_t)sfmt(text, sizeof(text), "%d\n%s %s/%u %u %shost-loopback%s%s", (int)pid, h->name,
				nh_ip(ip, h, 0), h->plen, h->mtu, h->no_host_lo ? "no-" : "", h->ipv6 ? " ipv6" : "",
				h->host_mode ? " host-mode" : "");
	for (int i = 0; i < h->nports; i++)
		n = sfmt_at(text, sizeof(text), n, " %s#%u", nh_port_str(&h->ports[i], spec, sizeof(spec)), h->ports[i].id);
	n = sfmt_at(text, sizeof(text), n, "\n");
	if (fd < 0 || write_all(fd, text, n) < 0) {
		if (fd >= 0)
			close(fd), unlink(tmp);
		return -1;
	}
	return close(fd) < 0 || rename(tmp, path) < 0 ? unlink(tmp), -1 : 0;
}

/*
 * A helper's option (NH_ROWS, --mtu, --publish): dies with a usage error naming the
 * option. A bare --net-helper takes the next argument when that names a helper (the
 * form --net-helper pasta of before it took none), else means auto.
 */
static void nh_option(struct nethelper *h, int c, const char *arg, int argc, char **argv)
{
	if (c == OPT_NH && !arg)
		arg = optind < argc && !nh_parse(h, OPT_NH, argv[optind]) ? argv[optind++] : "auto";
	const char *why = c == OPT_NH_NO_HOST_LO ? (h->no_host_lo = 1, NULL)
			: c == OPT_NH_IPV6	? (h->ipv6 = 1, NULL)
						: nh_parse(h, c, arg);
	if (why)
		die_usage("--%s: '%s' %s", opt_last.name, arg, why);
	h->given |= c == OPT_NH_PUBLISH ? 2 : c != OPT_NH; /* 2: only --publish, which the builtin relay takes too */
}

/*
 * Once every option is read: the helper's options need a helper, and pasta is refused
 * --disable-host-loopback: its --no-map-gw makes .2 an ordinary outside address instead
 * of no way to the host at all, which is what the option means with slirp4netns.
 */
static void nh_check(const struct nethelper *h, const char *with, int relay)
{
	if ((h->given & (relay ? 1 : 3)) && !h->name)
		die_usage("--cidr, --mtu, --publish, --ipv6, --helper-timeout and --disable-host-loopback go with %s", with);
	if (h->host_mode && h->name[0] == 's')
		die_usage("--pasta-mode: only for --net-helper=pasta");
}

/*
 * Run exe with argv, fds 0-2 on /dev/null (stdout on out if that is not -1) and signals
 * unblocked, for at most 2 s (then SIGKILL): its exit status, or -1 (not run, or killed).
 */
static int run_quiet(const char *exe, const char *const *argv, int out)
{
	extern char **environ;
	sigset_t none;
	int st = 0, nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	pid_t pid = nul < 0 ? -1 : _Fork();
	if (pid == 0) {
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(nul, 0) == 0 && dup2(out >= 0 ? out : nul, 1) == 1 && dup2(nul, 2) == 2)
			execve(exe, (char *const *)argv, environ);
		_exit(127);
	}
	if (nul >= 0)
		close(nul);
	int pfd = pid < 0 ? -1 : (int)sys_pidfd_open(pid, 0);
	struct pollfd p = {.fd = pfd, .events = POLLIN};
	if (pid > 0 && (pfd < 0 || poll(&p, 1, 2000) <= 0)) /* no pidfd: no bound to wait with */
		kill(pid, SIGKILL);
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (pfd >= 0)
		close(pfd);
	return pid > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * What the pasta at exe takes: NH_PASTA (it runs: --version exits 0), NH_MAP_HOST_LO
 * (--map-host-loopback, 2024-08) and NH_MAP_GUEST (--map-guest-addr, 2024-08). Each is
 * asked of the binary itself, as `pasta OPTION VALUE --version`: an option it lacks is a
 * usage error before --version is reached. Never from its version string (Debian 12's
 * says "unknown version"). Asked once a binary: the answer is kept in STATE/pasta.probe
 * with the binary's device, inode, size and mtime, so a pasta replaced is asked again.
 */
static unsigned nh_probe(const char *exe)
{
	static const char *const ask[3][5] = { /* NULL-terminated */
		{"pasta", "--version"},
		{"pasta", "--map-host-loopback", "none", "--version"},
		{"pasta", "--map-guest-addr", NH_HOST_MAP, "--version"},
	};
	char rt[200], why[300], path[260], key[352], old[384], tmp[270];
	const char *src, *dir = runtime_dir(rt, sizeof(rt), &src);
	struct stat st;
	unsigned caps = 0;
	if (stat(exe, &st) < 0)
		return 0;
	/* a cache: where the runtime directory is unusable, pasta is asked each time */
	sfmt(path, sizeof(path), "%s/pasta.probe", runtime_make(dir, src, why, sizeof(why)) ? "/nonexistent" : dir);
	int n = sfmt(key, sizeof(key), "%s %llu %llu %llu %llu.%09lu ", exe, (unsigned long long)st.st_dev,
		     (unsigned long long)st.st_ino, (unsigned long long)st.st_size, (unsigned long long)st.st_mtim.tv_sec,
		     (unsigned long)st.st_mtim.tv_nsec);
	if (read_small(AT_FDCWD, path, O_NOFOLLOW, old, sizeof(old)) > 0 && !strncmp(old, key, (size_t)n))
		return (unsigned)(old[n] - '0') & 7;
	int unsure = 0; /* a probe not run or cut short by the bound: answered, but not kept */
	for (int i = 0, rc; i < 3 && (i == 0 || caps); i++)
		caps |= (rc = run_quiet(exe, ask[i], -1)) == 0 ? 1u << i : 0, unsure |= rc < 0;
	if (unsure)
		return caps;
	sfmt(tmp, sizeof(tmp), "%s.tmp", path); /* a cache: if it cannot be kept, the next start asks again */
	int fd = (unlink(tmp), open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
	sfmt(old, sizeof(old), "%s%u\n", key, caps);
	int bad = fd >= 0 && write_all(fd, old, strlen(old)) < 0;
	if (fd >= 0 && (close(fd) < 0 || bad || rename(tmp, path) < 0))
		unlink(tmp);
	return caps;
}

/*
 * Before anything is made: which helper (auto: pasta when it is installed and runs,
 * else slirp4netns; pasta too only where it can honour --disable-host-loopback), and
 * what the pasta takes. Dies when the helper named cannot do what was asked.
 */
static void nh_resolve(struct nethelper *h)
{
	char exe[256];
	int autom = h->name[0] == 'a';
	if (h->name[0] != 's' && path_find("pasta", exe, sizeof(exe)) == 0)
		h->caps = nh_probe(exe);
	if (autom)
		h->name = (h->caps & NH_PASTA) && (!h->no_host_lo || (h->caps & NH_MAP_HOST_LO)) ? "pasta"
			: h->host_mode ? "pasta" : "slirp4netns";
	if (h->name[0] == 'p' && h->no_host_lo && (h->caps & NH_PASTA) && !(h->caps & NH_MAP_HOST_LO))
		die_hint(EX_FAIL, "use --net-helper=slirp4netns, or a pasta of 2024-08 or later",
			 "--disable-host-loopback: the pasta at %s lacks --map-host-loopback", exe);
}

/*
 * In a private mount namespace, before the command runs: a scratch tmpfs (on
 * STATE_DIR/rnsbox-tmp, or on a directory of its own in an outer rnsbox's), the
 * --copy-up directories, then the helper's resolv.conf and hosts (written to the
 * scratch tmpfs, or taken from etc_dir for a shared namespace) shown at /etc. Dies on
 * failure; called only where dying leaves nothing behind.
 */
static void nh_mounts(const struct nethelper *h, const char *const *copy, int ncopy, const char *etc_dir)
{
	char rt[200], s[PATH_MAX - 64], src[PATH_MAX];
	struct stat a, b;
	struct result r = {.ok = 1};
	const char *base = state_dir(rt, sizeof(rt));
	size_t len = (size_t)sfmt(s, sizeof(s), "%s/rnsbox-tmp", base);
	if (mkdir(s, 0700) < 0 && errno != EEXIST)
		die_errno("mkdir %s", s);
	if (stat(s, &a) == 0 && stat(base, &b) == 0 && a.st_dev != b.st_dev) /* an outer rnsbox's: nest */
		for (int k = getpid(); sfmt(s + len, sizeof(s) - len, "/%d", k), mkdir(s, 0755) < 0; k++)
			if (errno != EEXIST)
				die_errno("mkdir %s", s);
	if (mount("tmpfs", s, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
		die_errno("mount tmpfs on %s", s);
	for (int i = 0; r.ok && i < ncopy; i++)
		copy_up(copy[i], s, i, &r);
	int dfd = open(s, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int k = 0; r.ok && h->name && k < 2; k++) {
		const char *name = k ? "hosts" : "resolv.conf";
		sfmt(src, sizeof(src), "%s/%s", etc_dir ? etc_dir : s, name);
		if (!etc_dir && nh_etc_file(h, dfd, name, k) < 0)
			result_fail(&r, NULL, "create %s: %s", src, strerror(errno));
		else
			nh_show(src, k ? "/etc/hosts" : "/etc/resolv.conf", s, &r);
	}
	if (!r.ok)
		die_hint(EX_FAIL, r.hint[0] ? r.hint : NULL, "%s", r.msg);
	close(dfd);
}

/*
 * The built-in relay (exec --port-driver=builtin --publish, and --forward-unix): one small
 * engine in the process that supervises the command, so it lives and dies with it, and
 * needs no /dev/net/tun. Each listener accepts TCP; each connection is relayed to its
 * target with splice(2) through a pipe each way, so no byte passes through rnsbox's
 * memory. A socket belongs to the network namespace it was made in, whoever uses it: a
 * --publish listener is made in the caller's namespace before unshare, and its target,
 * 127.0.0.1:PORT, is connected from the supervisor, which is then in the new one. A
 * --forward-unix listener is made in the new namespace, and its target is a UNIX socket
 * of the host's, held from the start as an O_PATH fd and connected through
 * /proc/self/fd/N (any mount namespace, any path length).
 */
#define RELAY_FWD 16                     /* --forward-unix's */
#define RELAY_LISTEN (NH_PORTS + RELAY_FWD) /* and --publish's */
#define RELAY_CONNS 32
#define RELAY_CHUNK (1 << 20) /* as much as a pipe takes without privilege (fs.pipe-max-size) */
struct relay {
	int n, sfd;                /* listeners; the signalfd the supervisor waits on (-1 until made) */
	struct relay_l {
		int fd, path;      /* the listener; an O_PATH fd of a UNIX target, -1 for 127.0.0.1:port */
		uint16_t port;
	} l[RELAY_LISTEN];
	struct relay_c {
		int fd[2], pipe[2][2]; /* -1: a free slot; fd[0] accepted, fd[1] the target; pipe[d]: from fd[d] */
		size_t pend[2];        /* bytes in pipe[d] */
		char eof[2];
	} c[RELAY_CONNS];
};
#define RELAY_FREE {{-1, -1}, {{-1, -1}, {-1, -1}}, {0, 0}, {0, 0}}

static void relay_init(struct relay *rl)
{
	rl->sfd = -1;
	for (int i = 0; i < RELAY_CONNS; i++)
		rl->c[i] = (struct relay_c)RELAY_FREE;
}

/* A TCP listener on addr (a, of family fam; any address when a is NULL) and port: its fd, or -1 with errno. */
static int relay_listen(int fam, const unsigned char *a, uint16_t port)
{
	char ip[40];
	if (plan("listen", "tcp %s port %u", a ? ip_str(ip, fam, a) : "any", port))
		return (openat)(AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC); /* an fd, never polled */
	struct sockaddr_in6 sa = {.sin6_family = (sa_family_t)fam, .sin6_port = htons(port)};
	struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&sa;
	int one = 1, fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (a)
		fam == AF_INET ? memcpy(&s4->sin_addr, a, 4) : memcpy(&sa.sin6_addr, a, 16);
	/* freebind: 127.0.0.1 of a new namespace exists only once loopback is up, in the child */
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, fam == AF_INET ? sizeof(*s4) : sizeof(sa)) < 0 || listen(fd, 128) < 0) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* Connect to listener l's target, within 2 s: a non-blocking socket, or -1. */
static int relay_target(const struct relay_l *l)
{
	struct sockaddr_un su = {.sun_family = AF_UNIX};
	struct sockaddr_in si = {.sin_family = AF_INET, .sin_port = htons(l->port), .sin_addr.s_addr = htonl(0x7f000001)};
	int fd = socket(l->path >= 0 ? AF_UNIX : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	if (l->path >= 0)
		sfmt(su.sun_path, sizeof(su.sun_path), "/proc/self/fd/%d", l->path);
	if (fd >= 0 && (l->path >= 0 ? connect(fd, (struct sockaddr *)&su, sizeof(su)) : connect(fd, (struct sockaddr *)&si, sizeof(si))) < 0 &&
	    (errno != EINPROGRESS || poll(&p, 1, 2000) != 1 || (p.revents & (POLLERR | POLLHUP))))
		close(fd), fd = -1;
	return fd;
}

/* Close a connection's fds (fd and pipe: its first six ints), leaving its slot free. */
_Static_assert(offsetof(struct relay_c, pipe) == 2 * sizeof(int) && offsetof(struct relay_c, pend) >= 6 * sizeof(int),
	       "relay_drop walks fd and pipe as one array");
static void relay_drop(struct relay_c *c)
{
	int *fds = c->fd;
	for (int k = 0; k < 6; k++)
		if (fds[k] >= 0)
			close(fds[k]);
	*c = (struct relay_c)RELAY_FREE;
}

/*
 * Move what can be moved from c->fd[d] to the other side (the pipe filled from the source
 * while it is empty, then emptied into the sink), while bytes move, a few rounds at most
 * so the other connections get their turn: 0, or -1 when the connection is done with.
 */
static int relay_move(struct relay_c *c, int d)
{
	ssize_t k = 1;
	for (int n = 0; k > 0 && n < 16; n++) {
		if (!c->pend[d] && !c->eof[d]) {
			k = splice(c->fd[d], NULL, c->pipe[d][1], NULL, RELAY_CHUNK, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (k > 0)
				c->pend[d] = (size_t)k;
			else if (k == 0) /* the source's EOF, all it sent through: passed on as a half-close */
				c->eof[d] = 1, shutdown(c->fd[!d], SHUT_WR);
			else if (errno != EAGAIN)
				return -1;
		}
		if (c->pend[d] && (k = splice(c->pipe[d][0], NULL, c->fd[!d], NULL, c->pend[d], SPLICE_F_MOVE | SPLICE_F_NONBLOCK)) > 0)
			c->pend[d] -= (size_t)k;
		else if (c->pend[d] && errno != EAGAIN)
			return -1;
	}
	return c->eof[0] && c->eof[1] && !c->pend[0] && !c->pend[1] ? -1 : 0;
}

/* A connection on listener l: accepted, its target connected, two pipes; dropped if any of it fails. */
static void relay_accept(const struct relay_l *l, struct relay_c *c)
{
	c->fd[0] = (int)syscall(SYS_accept4, l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); /* musl's emulates old kernels */
	if (c->fd[0] < 0 || (c->fd[1] = relay_target(l)) < 0 || pipe2(c->pipe[0], O_CLOEXEC | O_NONBLOCK) < 0 ||
	    pipe2(c->pipe[1], O_CLOEXEC | O_NONBLOCK) < 0)
		relay_drop(c);
	for (int d = 0; c->fd[0] >= 0 && d < 2; d++)
		sys_fdflags(c->pipe[d][1], F_SETPIPE_SZ, RELAY_CHUNK); /* fewer calls per byte where allowed */
}

/*
 * The supervisor's wait when it relays (sigwaitinfo's stand-in): poll the signals (a
 * signalfd of the blocked set all), the listeners while a slot is free, and each
 * connection (its source for reading while its pipe is empty, its sink for writing while
 * not), moving bytes, until a signal comes. Returns its number.
 */
static int relay_wait(struct relay *rl, const sigset_t *all)
{
	struct pollfd p[1 + RELAY_LISTEN + 2 * RELAY_CONNS];
	struct signalfd_siginfo si;
	if (rl->sfd < 0 && (rl->sfd = signalfd(-1, all, SFD_CLOEXEC)) < 0)
		die_errno("signalfd");
	for (;;) {
		int n = 1, slot = -1; /* a free slot, if any */
		p[0] = (struct pollfd){.fd = rl->sfd, .events = POLLIN};
		for (int i = 0; i < RELAY_CONNS; i++) {
			struct relay_c *c = &rl->c[i];
			slot = c->fd[0] < 0 ? i : slot;
			for (int d = 0; d < 2; d++)
				p[n++] = (struct pollfd){.fd = c->fd[0] < 0 || (c->eof[d] && !c->pend[d]) ? -1
								: c->pend[d] ? c->fd[!d] : c->fd[d],
							 .events = c->pend[d] ? POLLOUT : POLLIN};
		}
		for (int i = 0; i < rl->n; i++)
			p[n++] = (struct pollfd){.fd = slot >= 0 ? rl->l[i].fd : -1, .events = POLLIN};
		if (poll(p, (nfds_t)n, -1) < 0)
			continue; /* EINTR */
		if (p[0].revents && read(rl->sfd, &si, sizeof(si)) == sizeof(si))
			return (int)si.ssi_signo;
		for (int i = 0; i < RELAY_CONNS; i++)
			for (int d = 0; d < 2; d++)
				if (p[1 + 2 * i + d].revents && rl->c[i].fd[0] >= 0 && relay_move(&rl->c[i], d) < 0)
					relay_drop(&rl->c[i]);
		for (int i = 0, k = 0; i < rl->n; i++)
			while (p[1 + 2 * RELAY_CONNS + i].revents && k < RELAY_CONNS)
				if (rl->c[k++].fd[0] < 0) { /* one a wakeup: the next poll says if more wait */
					relay_accept(&rl->l[i], &rl->c[k - 1]);
					if (rl->c[k - 1].fd[0] >= 0 && relay_move(&rl->c[k - 1], 0) < 0) /* what came already */
						relay_drop(&rl->c[k - 1]);
					break;
				}
	}
}

/*==== 10. detect ====*/

/*
 * rnsbox detect: where am I running, and will namespaces work here? Every fact is read
 * from the kernel (proc files, syscalls) and rendered as text, JSON or shell. Nothing is
 * inferred from version numbers. A live trial in a child process tries the real steps.
 */
struct detect_opts {
	enum fmt fmt;
	int quiet, net;
};

/* This process's uid_map and gid_map, read strictly; n is -1 where unreadable or malformed. */
struct detect_maps {
	int n[2];
	struct idrange r[2][IDMAP_MAX];
};
static const char *const map_names[2] = {"uid_map", "gid_map"};

/* Both maps; what cannot be read is said on stderr and noted, unless nt is NULL (-q: silent). */
static void detect_maps_read(struct detect_maps *m, struct notes *nt)
{
	char path[32], why[160];
	for (int f = 0; f < 2; f++) {
		sfmt(path, sizeof(path), "/proc/self/%s", map_names[f]);
		if ((m->n[f] = idmap_read(path, m->r[f], IDMAP_MAX, why, sizeof(why))) < 0 && nt) {
			warn("%s", why);
			note(nt, "%s", why);
		}
	}
}

/*
 * Rootless or not: 1, 0, or -1 when it cannot be known (the reason noted, if nt). uid 0
 * mapped to an outside id other than 0 is rootless. Mapped to 0, the map tells only of the
 * parent namespace: root's namespaces show 0 to 0, and so does a rootless user's nested
 * one (its parent's 0 is not the host's). The kernel tells them apart: a sysctl under
 * /proc/sys/kernel belongs to the host's root, and shows as uid 0 only where that id is
 * mapped to 0 here (else as the overflow uid). The initial user namespace is not rootless.
 */
static int detect_rootless(const struct detect_maps *m, struct notes *nt)
{
	static const char probe[] = "/proc/sys/kernel/overflowuid";
	struct stat st;
	int zero = 0;
	if (m->n[0] < 0)
		return -1;
	if (idmap_rootless(m->r[0], m->n[0]))
		return 1;
	for (int i = 0; i < m->n[0]; i++)
		zero |= m->r[0][i].inside == 0 && m->r[0][i].outside == 0;
	if (!zero || (stat("/proc/self/ns/user", &st) == 0 && st.st_ino == USERNS_INIT_INO))
		return 0;
	if (stat(probe, &st) == 0)
		return st.st_uid != 0;
	if (nt)
		note(nt, "stat %s: %s: rootless unknown (uid 0 maps to 0 in a nested user namespace)", probe, strerror(errno));
	return -1;
}

/* rootless first, then both maps as inside:outside:count. */
/* Not inlined (NOINLINE): aarch64 -512 bytes with exec_run's, x86_64 -416. */
NOINLINE static void detect_maps(struct out *o, const struct detect_maps *m, struct notes *nt)
{
	int rootless = detect_rootless(m, nt);
	if (rootless < 0)
		out_unknown(o, "rootless");
	else
		out_bool(o, "rootless", rootless);
	for (int f = 0; f < 2; f++) {
		if (m->n[f] < 0) {
			out_unknown(o, map_names[f]);
			continue;
		}
		out_open(o, map_names[f], '[');
		for (int i = 0; i < m->n[f]; i++) {
			char s[40];
			sfmt(s, sizeof(s), "%u:%u:%u", m->r[f][i].inside, m->r[f][i].outside, m->r[f][i].count);
			out_str(o, "", s);
		}
		out_close(o);
	}
}

/*
 * How deep this process's user namespace is below the initial one. The nsfs parent
 * ioctl (NS_GET_PARENT) cannot answer from inside: it returns EPERM for any ancestor of
 * the caller's own user namespace. The initial namespace has a fixed inode, and the
 * depth of any other is found by counting how many more levels the kernel lets a child
 * create (one-id maps at each level) before the nesting limit stops it.
 */
struct depth_probe {
	int levels, err;
};

static void depth_child(void *arg)
{
	struct depth_probe *d = arg;
	d->levels = 0;
	for (;;) {
		uint32_t uid[2] = {0, geteuid()}, gid[2] = {0, getegid()};
		if (unshare(CLONE_NEWUSER) < 0)
			break;
		d->levels++;
		if (idmap_self("deny", uid, gid))
			break;
	}
	d->err = errno;
}

/* The depth of a nested user namespace, or -1 (noted) when the probe cannot tell. */
static int userns_depth(struct notes *nt)
{
	struct depth_probe d;
	unsigned long long max;
	int status;
	if (in_child(depth_child, &d, sizeof(d), &status) < 0)
		note(nt, "user namespace depth probe: %s", strerror(errno));
	else if (d.err != ENOSPC && d.err != EUSERS)
		note(nt, "user namespace depth probe stopped at level %d: %s", d.levels, strerror(d.err));
	else if (read_number("/proc/sys/user/max_user_namespaces", &max) == 0 && max < USERNS_MAX_LEVEL)
		note(nt, "user namespace depth probe: user.max_user_namespaces is %llu here", max);
	else
		return USERNS_MAX_LEVEL - d.levels;
	return -1;
}

static void detect_userns(struct out *o, struct notes *nt)
{
	struct stat st;
	int depth = -1;
	out_open(o, "userns", '{');
	if (stat("/proc/self/ns/user", &st) < 0) {
		out_unknown(o, "initial"); /* noted with the namespaces */
	} else {
		out_bool(o, "initial", st.st_ino == USERNS_INIT_INO);
		depth = st.st_ino == USERNS_INIT_INO ? 0 : userns_depth(nt);
	}
	if (depth >= 0)
		out_u64(o, "depth", (unsigned long long)depth);
	else
		out_unknown(o, "depth");
	out_close(o);
}

static void detect_ids(struct out *o)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;
	char name[64];
	getresuid(&r, &e, &s);
	getresgid(&rg, &eg, &sg);
	out_u64(o, "uid", r);
	out_u64(o, "euid", e);
	out_u64(o, "gid", rg);
	out_u64(o, "egid", eg);
	if (idfile_lookup("/etc/passwd", NULL, &r, name, sizeof(name), 0) == 0)
		out_str(o, "user", name);
	else if (access("/etc/passwd", R_OK) == 0)
		out_none(o, "user", "none");
	else
		out_unknown(o, "user");
}

/* The effective capability set from capget(2), which works without /proc. */
static void detect_caps(struct out *o, struct notes *nt)
{
	static const char *const names[] = {
		"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid",
		"setpcap", "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw",
		"ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
		"sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time", "sys_tty_config", "mknod",
		"lease", "audit_write", "audit_control", "setfcap", "mac_override", "mac_admin", "syslog",
		"wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
	};
	struct cap_data c[2];
	char hex[24];
	if (caps_get(c) < 0) {
		note(nt, "capget: %s", strerror(errno));
		out_unknown(o, "cap_effective");
		return;
	}
	unsigned long long eff = (unsigned long long)c[1].effective << 32 | c[0].effective;
	sfmt(hex, sizeof(hex), "0x%016llx", eff);
	out_str(o, "cap_effective", hex);
	out_open(o, "cap_effective_names", '[');
	for (unsigned i = 0; i < 64; i++) {
		if (!(eff >> i & 1))
			continue;
		if (i < ARRAY_LEN(names)) {
			out_str(o, "", names[i]);
		} else {
			sfmt(hex, sizeof(hex), "cap_%u", i);
			out_str(o, "", hex);
		}
	}
	out_close(o);
}

/* The Seccomp: line of /proc/self/status: 0 none, 1 strict, 2 filter; -1 unknown. */
static int seccomp_mode(void)
{
	struct lines l;
	char *line;
	int mode = -1;
	if (lines_open(&l, "/proc/self/status") < 0)
		return -1;
	while ((line = lines_next(&l)))
		if (strncmp(line, "Seccomp:\t", 9) == 0 && line[9] >= '0' && line[9] <= '2' && !line[10])
			mode = line[9] - '0';
	lines_close(&l);
	return mode;
}

static void detect_security(struct out *o, struct notes *nt)
{
	static const char *const modes[] = {"disabled", "strict", "filter"};
	int mode = seccomp_mode();
	out_bool(o, "no_new_privs", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1);
	if (mode < 0) {
		note(nt, "/proc/self/status: no Seccomp line readable");
		out_unknown(o, "seccomp");
	} else {
		out_str(o, "seccomp", modes[mode]);
	}
}

/* The inode of each namespace this process is in; "absent" where the kernel lacks the type. */
static void detect_namespaces(struct out *o, struct notes *nt)
{
	char path[32];
	struct stat st;
	int dir = access("/proc/self/ns", X_OK) == 0 ? 0 : errno;
	if (dir)
		note(nt, "/proc/self/ns: %s", strerror(dir));
	out_open(o, "namespaces", '{');
	for (size_t i = 0; i < ARRAY_LEN(ns_table); i++) {
		sfmt(path, sizeof(path), "/proc/self/ns/%s", ns_table[i].name);
		if (stat(path, &st) == 0) {
			out_u64(o, ns_table[i].name, (unsigned long long)st.st_ino);
			continue;
		}
		if (!dir && errno != ENOENT)
			note(nt, "%s: %s", path, strerror(errno));
		if (dir)
			out_unknown(o, ns_table[i].name);
		else
			out_none(o, ns_table[i].name, "absent");
	}
	out_close(o);
}

/* The runtime directory, made here if missing (as newns would make it) and checked. */
static void detect_runtime(struct out *o, struct notes *nt)
{
	char buf[64], why[300];
	const char *source, *dir = runtime_dir(buf, sizeof(buf), &source), *err = NULL;
	if ((err = runtime_make(dir, source, why, sizeof(why))))
		note(nt, "runtime_dir %s", err);
	out_open(o, "runtime_dir", '{');
	out_str(o, "path", dir);
	out_str(o, "source", source);
	if (err)
		out_str(o, "error", err);
	else
		out_none(o, "error", "none");
	out_close(o);
}

/* The sysctls that gate namespace creation; a missing file means the kernel lacks it. */
static const char *const gate_sysctls[] = {
	"user.max_user_namespaces", "user.max_mnt_namespaces", "user.max_net_namespaces",
	"kernel.unprivileged_userns_clone", "kernel.apparmor_restrict_unprivileged_userns",
};

/* The value of a sysctl by dotted name; 0, or -1 with errno. */
static int sysctl_read(const char *name, unsigned long long *v)
{
	char path[96] = "/proc/sys/";
	size_t n = strlen(path);
	for (; *name && n < sizeof(path) - 1; name++)
		path[n++] = *name == '.' ? '/' : *name;
	path[n] = '\0';
	return read_number(path, v);
}

/* Each gating sysctl: its value, absent (the kernel has no such file), or unknown (no /proc/sys). */
static void detect_sysctls(struct out *o, struct notes *nt)
{
	unsigned long long v;
	int dir = access("/proc/sys", X_OK) == 0 ? 0 : errno;
	if (dir)
		note(nt, "/proc/sys: %s", strerror(dir));
	out_open(o, "sysctl", '{');
	for (size_t i = 0; i < ARRAY_LEN(gate_sysctls); i++) {
		if (sysctl_read(gate_sysctls[i], &v) == 0) {
			out_u64(o, gate_sysctls[i], v);
			continue;
		}
		int err = errno;
		if (!dir && err == ENOENT) {
			out_none(o, gate_sysctls[i], "absent");
			continue;
		}
		if (!dir)
			note(nt, "sysctl %s: %s", gate_sysctls[i], err == EINVAL ? "not a number (masked?)" : strerror(err));
		out_unknown(o, gate_sysctls[i]);
	}
	out_close(o);
}

/* newuidmap and newgidmap: where, and whether they carry the privilege they need. */
static void detect_helpers(struct out *o)
{
	static const char *const helpers[] = {"newuidmap", "newgidmap"};
	char path[512];
	struct stat st;
	for (size_t i = 0; i < ARRAY_LEN(helpers); i++) {
		out_open(o, helpers[i], '{');
		if (path_find(helpers[i], path, sizeof(path)) < 0 || stat(path, &st) < 0) {
			out_none(o, "path", "not found");
			out_none(o, "privilege", "none");
		} else {
			out_str(o, "path", path);
			out_str(o, "privilege", (st.st_mode & S_ISUID) && st.st_uid == 0 ? "setuid"
					     : getxattr(path, "security.capability", NULL, 0) > 0 ? "file-capability"
												  : "none");
		}
		out_close(o);
	}
}

static void detect_subids(struct out *o, struct notes *nt)
{
	static const char *const files[] = {"/etc/subuid", "/etc/subgid"};
	struct idrange r[64];
	char name[64];
	unsigned uid = (unsigned)getuid();
	const char *user = idfile_lookup("/etc/passwd", NULL, &uid, name, sizeof(name), 0) == 0 ? name : NULL;
	for (int f = 0; f < 2; f++) {
		int n = subid_read(files[f], user, (unsigned)getuid(), r, (int)ARRAY_LEN(r), 0, nt);
		if (n < 0 && errno != ENOENT)
			note(nt, "%s: %s", files[f], strerror(errno));
		out_open(o, files[f] + 5, '[');
		for (int i = 0; i < n; i++) {
			char s[24];
			sfmt(s, sizeof(s), "%u:%u", r[i].outside, r[i].count);
			out_str(o, "", s);
		}
		out_close(o);
	}
}

static void detect_tun(struct out *o)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NOCTTY);
	out_open(o, "dev_net_tun", '{');
	out_bool(o, "usable", fd >= 0);
	if (fd >= 0) {
		close(fd);
		out_none(o, "error", "none");
	} else {
		out_str(o, "error", strerror(errno));
	}
	out_close(o);
}

/*
 * Time namespaces: unshare(CLONE_NEWTIME) in a child. EINVAL means the kernel does not
 * know the flag. EPERM may only mean we lack CAP_SYS_ADMIN, so it is retried in a fresh
 * user namespace, where the child has that capability.
 */
static void timens_child(void *arg)
{
	int *err = arg;
	*err = 0;
	if (unshare(CLONE_NEWTIME) == 0)
		return;
	*err = errno;
	if (*err == EPERM && unshare(CLONE_NEWUSER) == 0)
		*err = unshare(CLONE_NEWTIME) == 0 ? 0 : errno;
}

static void detect_kernel(struct out *o)
{
	int err, status;
	out_open(o, "kernel", '{');
	if (in_child(timens_child, &err, sizeof(err), &status) < 0) {
		out_unknown(o, "time_namespaces");
	} else {
		errno = err;
		out_str(o, "time_namespaces", err == EINVAL ? "absent" : probe_word(err ? -1 : 0));
	}
	/* Each call has an argument the kernel rejects before doing anything. */
	out_str(o, "pidfd_open", probe_word(sys_pidfd_open(0, 0)));
	out_str(o, "clone3", probe_word(sys_clone3(NULL, 0)));
	out_str(o, "open_tree", probe_word(sys_open_tree(-1, "", ~0u)));
	out_str(o, "mount_setattr", probe_word(sys_mount_setattr(-1, "", ~0u, NULL, 0)));
	out_close(o);
}

/*
 * The live trial: what rnsbox exec -Urmn will do, step by step, in a child that exits
 * afterwards. Mounts happen only after the root is made private, so nothing propagates
 * back to the caller's mount namespace.
 */
enum trial_step { T_USERNS, T_SETGROUPS, T_UIDMAP, T_GIDMAP, T_MNTNS, T_NETNS, T_PRIVATE, T_TMPFS, T_LOOPBACK, T_DONE };
static const char *const trial_names[] = {
	"create user namespace", "write setgroups", "write uid_map", "write gid_map", "create mount namespace",
	"create network namespace", "make / private", "mount tmpfs", "bring loopback up",
};
struct trial {
	int step, err;
};

static void trial_child(void *arg)
{
	struct trial *t = arg;
	struct nl nl;
	uint32_t uid[2] = {0, geteuid()}, gid[2] = {0, getegid()};
	int rc;
	t->err = 0;
	t->step = T_USERNS;
	if (unshare(CLONE_NEWUSER) < 0 || (t->step = idmap_self("deny", uid, gid)) != 0) /* T_SETGROUPS .. T_GIDMAP */
		goto fail;
	t->step = T_MNTNS;
	if (unshare(CLONE_NEWNS) < 0)
		goto fail;
	t->step = T_NETNS;
	if (unshare(CLONE_NEWNET) < 0)
		goto fail;
	t->step = T_PRIVATE;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		goto fail;
	t->step = T_TMPFS;
	if (mount("tmpfs", "/", "tmpfs", MS_NOSUID | MS_NODEV, "size=4k") < 0)
		goto fail;
	t->step = T_LOOPBACK;
	if ((rc = nl_open(&nl)) == 0) {
		rc = link_up(&nl, "lo");
		nl_close(&nl);
	}
	if (rc < 0) {
		errno = -rc;
		goto fail;
	}
	t->step = T_DONE;
	return;
fail:
	t->err = errno;
}

/*
 * One line of cause and remedy for a failed trial step. The errno alone is ambiguous
 * (EPERM may be a sysctl, seccomp or an LSM; ENOSPC is a limit, not a full disk), so the
 * sysctls and the seccomp mode are read to tell which.
 */
static const char *trial_hint(const struct trial *t)
{
	unsigned long long v;
	int seccomp = seccomp_mode();
	int apparmor = sysctl_read("kernel.apparmor_restrict_unprivileged_userns", &v) == 0 && v != 0;
	switch (t->err) {
	case ENOSPC:
	case EUSERS:
		if (t->step == T_USERNS && sysctl_read("user.max_user_namespaces", &v) == 0 && v == 0)
			return "user.max_user_namespaces is 0: raise it (sysctl -w user.max_user_namespaces=15000)";
		return NS_LIMIT_HINT;
	case EPERM:
	case EACCES:
		if (seccomp == 2)
			return "a seccomp filter (a container runtime's) may deny it: allow unshare, mount and setns";
		if (t->step == T_USERNS && sysctl_read("kernel.unprivileged_userns_clone", &v) == 0 && v == 0)
			return "kernel.unprivileged_userns_clone is 0: set it to 1";
		if (apparmor)
			return "kernel.apparmor_restrict_unprivileged_userns is 1: allow userns in an AppArmor profile, or set it to 0";
		if (t->step == T_USERNS)
			return "creating user namespaces is denied here (chroot, LSM policy or container runtime)";
		if (t->step == T_UIDMAP || t->step == T_GIDMAP)
			return "the kernel refused the map: without privilege only one's own id may be mapped";
		return "the new user namespace lacks the privilege (LSM policy, or a locked mount)";
	case ENOSYS:
		return seccomp == 2 ? "a seccomp filter hides this call" : "the kernel lacks this namespace type";
	case EINVAL:
		return t->step == T_USERNS ? "the kernel lacks user namespaces (CONFIG_USER_NS)" : "the kernel refused the arguments";
	case ENOENT:
		return "/proc is not mounted or is masked";
	default:
		return "unexpected error";
	}
}

static void detect_trial(struct out *o)
{
	struct trial t;
	int status;
	out_open(o, "trial", '{');
	if (in_child(trial_child, &t, sizeof(t), &status) < 0) {
		char why[64];
		if (WIFSIGNALED(status))
			wait_why(status, why);
		else
			sfmt(why, sizeof(why), "no report: %s", strerror(errno));
		out_bool(o, "ok", 0);
		out_unknown(o, "failed_step");
		out_str(o, "error", why);
		out_str(o, "hint", "a seccomp filter that kills the process, or no memory");
	} else if (t.step == T_DONE) {
		out_bool(o, "ok", 1);
	} else {
		out_bool(o, "ok", 0);
		out_str(o, "failed_step", trial_names[t.step]);
		out_u64(o, "errno", (unsigned long long)t.err);
		out_str(o, "error", strerror(t.err));
		out_str(o, "hint", trial_hint(&t));
	}
	out_close(o);
}

/*
 * A throwaway network namespace (in a user namespace of its own, without CAP_SYS_ADMIN)
 * held by child c until rnsbox closes the pair: its fd, or -1 with errno.
 */
static int net_scratch(struct child *c)
{
	char path[40];
	int err = 0, user = !cap_effective(21 /* CAP_SYS_ADMIN */);
	uint32_t uid[2] = {0, geteuid()}, gid[2] = {0, getegid()};
	if (child_start(c) < 0)
		return -1;
	if (c->pid == 0) {
		if (unshare(CLONE_NEWNET | (user ? CLONE_NEWUSER : 0)) < 0 || (user && idmap_self("deny", uid, gid)))
			err = errno;
		child_send(c->fd, &err, sizeof(err));
		_exit(child_recv(c->fd, &err, 1)); /* until the pair closes */
	}
	sfmt(path, sizeof(path), "/proc/%d/ns/net", (int)c->pid);
	int fd = child_recv(c->fd, &err, sizeof(err)) < 0 ? (err = EPIPE, -1) : err ? -1 : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = err ? err : errno;
		child_reap(c, path);
		errno = err;
	}
	return fd;
}

/* In a child: what nh_config_child does, then tap0's address read back from the kernel. */
struct net_trial {
	struct nh_child c;
	struct ifreq ifr;
};

static void net_trial_child(void *arg)
{
	struct net_trial *t = arg;
	nh_config_child(&t->c);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memcpy(t->ifr.ifr_name, NH_DEV, sizeof(NH_DEV));
	if (t->c.r.ok && (s < 0 || ioctl(s, SIOCGIFADDR, &t->ifr) < 0))
		result_fail(&t->c.r, NULL, "read %s's address: %s", NH_DEV, strerror(errno));
}

/*
 * detect --net: for pasta and slirp4netns, where, what --version says, the command line
 * rnsbox gives it, and a live trial: the helper started on a throwaway network namespace
 * (net_scratch), tap0 configured from inside and its address read back, the helper
 * ended. Then which one auto picks. 0 when that one's trial passed.
 */
static int detect_net(const struct detect_opts *opt)
{
	static const char *const names[] = {"pasta", "slirp4netns"};
	struct out o = {.fmt = opt->fmt, .fd = opt->quiet ? open("/dev/null", O_WRONLY | O_CLOEXEC) : 0};
	char exe[256], line[128], why[40], ip[16];
	int ok[2] = {0, 0}, st;
	out_open(&o, "", '{');
	detect_tun(&o);
	for (int i = 0; i < 2; i++) {
		struct nethelper h = NETHELPER_INIT;
		struct net_trial t = {.c = {&h, -1, {.ok = 1}}};
		struct child c;
		struct nh_cmd x = {0};
		int mem = memfd_create("rnsbox-version", MFD_CLOEXEC);
		h.name = names[i], h.timeout = 5;
		out_open(&o, h.name, '{');
		ssize_t n = 0;
		if (path_find(h.name, exe, sizeof(exe)) < 0) {
			out_none(&o, "path", "not found");
		} else {
			out_str(&o, "path", exe);
			h.caps = i ? 0 : nh_probe(exe);
			if (run_quiet(exe, (const char *const[]){h.name, "--version", NULL}, mem) != 0 ||
			    (n = pread(mem, line, sizeof(line) - 1, 0)) < 0)
				n = 0;
		}
		line[n] = '\0';
		line[strcspn(line, "\n")] = '\0';
		if (mem >= 0)
			close(mem);
		line[0] ? out_str(&o, "version", line) : out_unknown(&o, "version");
		if ((t.c.fd = net_scratch(&c)) < 0)
			result_fail(&t.c.r, NULL, "a throwaway network namespace: %s", strerror(errno));
		int user = nh_owner(t.c.fd);
		nh_argv(&h, &x, t.c.fd, user, 3, 4); /* as nh_spawn makes it, but for the numbers of two fds */
		if (user >= 0)
			close(user);
		out_open(&o, "argv", '[');
		for (int k = 1; x.argv[k]; k++)
			out_str(&o, "", x.argv[k]);
		out_close(&o);
		pid_t pid = t.c.r.ok ? nh_spawn(&h, t.c.fd, &t.c.r) : -1;
		if (pid > 0 && in_child(net_trial_child, &t, sizeof(t), &st) < 0)
			result_fail(&t.c.r, NULL, "the child configuring %s ended before it reported, %s", NH_DEV, wait_why(st, why));
		if (pid > 0)
			nh_stop(pid);
		if (t.c.fd >= 0) {
			close(t.c.fd);
			child_reap(&c, why);
		}
		out_open(&o, "trial", '{');
		out_bool(&o, "ok", ok[i] = t.c.r.ok);
		h.net = ntohl(((struct sockaddr_in *)(void *)&t.ifr.ifr_addr)->sin_addr.s_addr);
		if (ok[i])
			out_str(&o, "address", nh_ip(ip, &h, 0));
		ok[i] ? out_none(&o, "error", "none") : out_str(&o, "error", t.c.r.msg);
		t.c.r.hint[0] ? out_str(&o, "hint", t.c.r.hint) : out_none(&o, "hint", "none");
		out_close(&o);
		out_close(&o);
	}
	struct nethelper a = NETHELPER_INIT;
	a.name = "auto";
	nh_resolve(&a);
	out_str(&o, "auto", a.name);
	out_close(&o);
	return ok[a.name[0] == 's'] ? EX_OK : EX_FAIL;
}

static const struct opt detect_rows[] = {
	OPT("quiet", "\tprint nothing; exit 0 if rootless, 1 if not, 2 usage, 3 cannot tell", 'q', 0),
	OPT("net", "\tthe network helpers instead, each tried live", 'n', 0),
	OPT("json", "\tone JSON object", 'j', 0),
	OPT("shell", "\tKEY='value' lines, safe for eval", 's', 0),
	{0},
};
static const struct opts detect_set = {
	"usage: rnsbox detect [--net] [-q | --json | --shell]\n"
	"Whether this process is rootless, its namespaces, and whether new ones work here.\n",
	NULL, detect_rows, 0, NULL,
};

static int cmd_detect(int argc, char **argv)
{
	struct detect_opts opt = {.fmt = FMT_TEXT};
	int c;
	while ((c = opt_get(argc, argv, &detect_set)) != -1) {
		switch (c) {
		case 'q': opt.quiet = 1; break;
		case 'j': opt.fmt = FMT_JSON; break;
		case 's': opt.fmt = FMT_SHELL; break;
		case 'n': opt.net = 1; break;
		default: die_option(c, argv);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (opt.net)
		return detect_net(&opt);
	struct detect_maps m = {.n = {0, 0}};
	struct notes nt = {0};
	detect_maps_read(&m, opt.quiet ? NULL : &nt);
	if (opt.quiet) {
		int rootless = m.n[1] < 0 ? -1 : detect_rootless(&m, NULL);
		return rootless < 0 ? EX_UNKNOWN : rootless ? EX_OK : EX_FAIL;
	}

	struct out o = {.fmt = opt.fmt};
	out_open(&o, "", '{');
	out_str(&o, "version", RNSBOX_VERSION);
	detect_maps(&o, &m, &nt);
	detect_userns(&o, &nt);
	detect_ids(&o);
	detect_caps(&o, &nt);
	detect_security(&o, &nt);
	detect_namespaces(&o, &nt);
	detect_runtime(&o, &nt);
	detect_sysctls(&o, &nt);
	detect_helpers(&o);
	detect_subids(&o, &nt);
	detect_tun(&o);
	detect_kernel(&o);
	detect_trial(&o);
	out_notes(&o, "unreadable", &nt);
	out_close(&o);
	return m.n[0] < 0 || m.n[1] < 0 ? EX_FAIL : EX_OK;
}

/*==== 11. running a command (supervision, ids, exec) ====*/

/*
 * The tail every subcommand that runs a command shares (exec, nsenter, newns --shared
 * run, userns-handle), each with a struct run of its own: fork and supervise (signals
 * forwarded, children reaped, exit status passed on), ids, capabilities, parent-death
 * signal, environment, exec. What a subcommand needs done when the command has ended
 * (end a helper, drop a reference) it registers as an exit hook; supervision knows
 * nothing else of it.
 */

/* Who runs the tail: rnsbox, or an applet with util-linux's behaviour exactly. */
enum { AS_RNSBOX = 0, AS_UNSHARE, AS_NSENTER };

struct hook {
	void (*fn)(void *arg, pid_t child);
	void *arg;
};
#define RUN_HOOKS 2

struct run {
	char **argv;               /* the command; NULL: $SHELL or /bin/sh */
	int applet;                /* AS_UNSHARE, AS_NSENTER */
	int fork, forward;         /* fork and supervise; forward signals as an applet too */
	int kill_sig;              /* parent-death signal; 0: none */
	int keep_caps;
	uid_t uid;                 /* -S, when uid_set (every uid_t but -1 is an id: no sentinel) */
	gid_t gid;                 /* -G, when gid_set */
	int uid_set, gid_set;
	int env_clear, nkeep;      /* --clear-env, --whitelist-env: keep only the names in env_keep */
	const char *env_keep[16];  /* --whitelist-env lists, comma-separated names */
	int status_fd;             /* --json-status-fd: {"exit-code"} when the command has ended; -1 none */
	/* set while running */
	sigset_t mask;             /* the caller's signal mask, restored for the command */
	int listen;                /* LISTEN_PID named rnsbox: pass LISTEN_FDS on, fix LISTEN_PID */
	int forked;                /* this process is a child of fork_supervised */
	int sync_fd;               /* the child's end of fork_supervised's pair: hung up when the parent dies */
	int failed_fd;             /* a byte here tells the supervisor the command never ran; -1 none */
	struct hook started;       /* run in the parent on the new child, which waits for it */
	struct hook at_end[RUN_HOOKS]; /* run by the supervisor once the command has ended */
	struct relay *relay;       /* the supervisor relays while it waits; NULL: none */
};
#define RUN_INIT .status_fd = -1, .sync_fd = -1, .failed_fd = -1

/* diag's fatal hook while a command is being started: the error as a JSON line on
 * --json-status-fd, and a byte that tells the supervisor the command never ran. */
static void run_fatal(void *arg, const char *msg)
{
	const struct run *r = arg;
	char line[700], esc[600];
	if (r->status_fd >= 0) {
		json_escape(esc, sizeof(esc), msg);
		int n = sfmt(line, sizeof(line), "{\"pid\": -1, \"message\": \"%s\"}\n", esc);
		ssize_t w = write(r->status_fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
		(void)w;
	}
	if (r->failed_fd >= 0)
		child_send(r->failed_fd, "f", 1);
}

/* A process id for an option (nsenter --target, newns --attach): 1 to 2^31-1, or a usage error naming it. */
static pid_t parse_pid(const char *opt, const char *arg)
{
	unsigned long long v;
	const char *p = arg;
	if (parse_uint(&p, INT32_MAX, &v) < 0 || *p || !v)
		die_usage("%s: '%s' is not a process id", opt, arg);
	return (pid_t)v;
}

/* --kill-child[=SIGNAL]: the signal, KILL by default. Dies with a usage error naming it. */
static int parse_kill(const char *arg)
{
	int sig = arg ? parse_signal(arg) : SIGKILL;
	if (sig < 0)
		die_usage("--kill-child: unknown signal '%s'", arg);
	return sig;
}

/*
 * A user or group by number (0 to 2^32-2: (uid_t)-1 means "no change" to the kernel) or
 * name, for an option; the caller records that it was given. Dies with a usage error
 * naming it.
 */
static uint32_t parse_id(const char *opt, const char *s, int group)
{
	unsigned long long v;
	unsigned id;
	const char *p = s;
	if (parse_uint(&p, UINT32_MAX - 1, &v) == 0 && !*p)
		return (uint32_t)v;
	if (idfile_lookup(group ? "/etc/group" : "/etc/passwd", s, &id, NULL, 0, 0) < 0)
		die_usage("%s: unknown %s '%s'", opt, group ? "group" : "user", s);
	return id;
}

/* The exit status that reports a wait status: the code, or 128+N for signal N. */
static int exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * The signals the supervisor of fork_supervised takes with sigwaitinfo (blocked from the
 * fork on). rnsbox: all but the synchronous faults, every one forwarded to the child. The
 * unshare applet, as util-linux: SIGINT and SIGTERM only (blocked against the "impatient
 * parent", forwarded only with --forward-signals); nsenter, as util-linux: none. Others
 * keep their default action there, and SIGCHLD is always taken, for the wait.
 */
static void supervised_signals(const struct run *r, sigset_t *set)
{
	sigemptyset(set);
	if (r->applet == AS_RNSBOX) {
		sigfillset(set);
		for (int i = 0; i < 6; i++) /* synchronous faults must stay deliverable */
			sigdelset(set, (int[]){SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS}[i]);
	} else if (r->applet == AS_UNSHARE) {
		sigaddset(set, SIGINT);
		sigaddset(set, SIGTERM);
	}
	sigaddset(set, SIGCHLD);
}

/*
 * How the supervisor ends once the child has: with its status (128+N for signal N), or,
 * as the applets (util-linux), dying of the child's signal itself, so that the parent
 * sees a death by signal (rnsbox installs no handler: the action is the default one, or
 * an ignore inherited from the caller); 128+N where that signal does not end it.
 */
__attribute__((noreturn)) static void supervised_exit(const struct run *r, int st)
{
	if (r->applet && WIFSIGNALED(st)) {
		sigset_t one;
		sigemptyset(&one);
		sigaddset(&one, WTERMSIG(st));
		kill(getpid(), WTERMSIG(st));
		sigprocmask(SIG_UNBLOCK, &one, NULL); /* delivered here */
	}
	_exit(exit_code(st));
}

/*
 * The supervisor's loop (fork_supervised): signals taken are forwarded to the child pid;
 * on SIGCHLD, children are reaped (all of them with reap_all) until pid has ended; then
 * the terminal goes back (tty), the exit hooks run (at_end), the end is reported on
 * --json-status-fd unless the command never ran (a byte on failed: rnsbox's own error
 * before exec), and rnsbox exits as the child did.
 */
__attribute__((noreturn)) static void supervise(struct run *r, pid_t pid, const sigset_t *all, int reap_all,
						int tty, int failed)
{
	for (;;) {
		siginfo_t si;
		int sig = r->relay ? relay_wait(r->relay, all) : sigwaitinfo(all, &si), st;
		if (sig < 0)
			continue; /* EINTR */
		if (sig != SIGCHLD) {
			if (!r->applet || r->forward)
				kill(pid, sig);
			continue;
		}
		for (pid_t p; (p = waitpid(reap_all ? -1 : pid, &st, WNOHANG)) > 0;) {
			if (p != pid)
				continue;
			if (tty)
				tcsetpgrp(STDIN_FILENO, getpgrp());
			for (int i = 0; i < RUN_HOOKS; i++)
				if (r->at_end[i].fn)
					r->at_end[i].fn(r->at_end[i].arg, pid);
			char c, line[32];
			if (failed >= 0 && recv(failed, &c, 1, MSG_DONTWAIT) != 1) { /* the command ran: report its end */
				int n = sfmt(line, sizeof(line), "{\"exit-code\": %d}\n", exit_code(st));
				if (write(r->status_fd, line, (size_t)n) < 0)
					warn("write --json-status-fd: %s", strerror(errno));
			}
			supervised_exit(r, st);
		}
	}
}

/*
 * Fork. The child returns 0 with signals still blocked (the command gets the caller's
 * mask back just before exec). The parent never returns: it forwards the signals it takes
 * (supervised_signals) to the child, reaps (every child when reap_all, as PID 1 or a
 * subreaper must), and exits as the child did (supervised_exit). When rnsbox exec's
 * caller owns the terminal, the child gets its own process group in the foreground, so a
 * ^C reaches the command once, and the parent takes the terminal back afterwards (the
 * applets leave the terminal alone, as util-linux does). With a started hook the child
 * waits until the hook has run in the parent (exec pins the new PID namespace there).
 */
static pid_t fork_supervised(struct run *r, int reap_all)
{
	sigset_t all;
	struct child c;
	char go;
	if (plan("fork", "the child goes on; rnsbox waits, forwarding signals%s", reap_all ? ", reaping" : "")) {
		if (r->started.fn) /* with the child's pid: 0 */
			r->started.fn(r->started.arg, 0);
		r->started.fn = NULL;
		return 0;
	}
	int tty = !r->applet && isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();
	int report = r->status_fd >= 0 && !r->forked;
	supervised_signals(r, &all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	if (child_start(&c) < 0) /* ENOMEM, joined: the kernel makes no process in a PID namespace whose PID 1 is gone */
		die_hint(EX_FAIL, errno == ENOMEM && r->applet == AS_NSENTER ? "the PID namespace joined has no PID 1 any "
			 "more, so no process" : NULL, "fork: %s", strerror(errno));
	if (c.pid == 0) {
		r->sync_fd = c.fd; /* hung up when the parent is gone (--kill-child) */
		r->forked = 1;
		memset(r->at_end, 0, sizeof(r->at_end)); /* the supervisor's jobs, not the child's */
		r->relay = NULL;
		if (report) /* a fatal error says so here; a successful exec closes it */
			r->failed_fd = c.fd;
		if (r->started.fn && child_recv(c.fd, &go, 1) < 0)
			_exit(EX_FAIL); /* the parent failed at its work on us */
		r->started.fn = NULL;
		if (tty && setpgid(0, 0) == 0)
			tcsetpgrp(STDIN_FILENO, getpid()); /* SIGTTOU is blocked, so this is allowed */
		return 0;
	}
	if (r->started.fn) { /* the caller's work on the child, then it goes on */
		r->started.fn(r->started.arg, c.pid);
		r->started.fn = NULL;
		if (child_send(c.fd, "g", 1) < 0)
			die_errno("release the child");
	}
	if (tty)
		setpgid(c.pid, c.pid);
	supervise(r, c.pid, &all, reap_all, tty, report ? c.fd : -1);
}

/* Keep the capabilities of the new user namespace across exec, as ambient ones. */
static void run_keep_caps(void)
{
	struct cap_header h = {CAP_VERSION_3, 0};
	struct cap_data c[2];
	if (plan("caps", "the permitted capabilities inheritable and ambient (--keep-caps)"))
		return;
	if (caps_get(c) < 0)
		die_errno("capget");
	c[0].inheritable = c[0].permitted;
	c[1].inheritable = c[1].permitted;
	if (syscall(SYS_capset, &h, c) < 0)
		die_errno("capset");
	for (int cap = 0; cap < 64; cap++)
		if (c[cap / 32].permitted >> (cap % 32) & 1)
			prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
}

/*
 * --kill-child: set the parent-death signal last (a change of ids clears it), then look
 * at the pipe only the parent writes to: if the parent died before prctl, it is at EOF.
 */
static void run_kill_child(const struct run *r)
{
	struct pollfd p = {.fd = r->sync_fd, .events = POLLIN};
	if (plan("prctl", "parent-death signal %d", r->kill_sig))
		return;
	if (prctl(PR_SET_PDEATHSIG, r->kill_sig, 0, 0, 0) < 0)
		die_errno("set parent-death signal");
	if (poll(&p, 1, 0) > 0 && (p.revents & POLLHUP))
		_exit(128 + r->kill_sig); /* PID 1 would ignore the signal itself */
}

/* Whether the variable "NAME=value" is named in one of the comma-separated lists. */
static int env_listed(const char *var, const char *const *lists, int n)
{
	size_t len = strcspn(var, "=");
	for (int i = 0; i < n; i++)
		for (const char *p = lists[i]; *p; p += *p == ',') {
			size_t k = strcspn(p, ",");
			if (k == len && strncmp(p, var, len) == 0)
				return 1;
			p += k;
		}
	return 0;
}

/*
 * execvp, as musl has it, in a third of its size: a name with a slash as it is, else each
 * PATH entry in turn (an empty one is the working directory; musl's default path without
 * PATH), going on past EACCES, which is the error when nothing else was found. Returns
 * only on failure, with errno.
 */
static void exec_path(char **argv)
{
	extern char **environ;
	char buf[PATH_MAX];
	const char *p = getenv("PATH");
	int eacces = 0;
	if (!*argv[0] || strchr(argv[0], '/')) {
		execve(argv[0], argv, environ);
		errno = *argv[0] ? errno : ENOENT;
		return;
	}
	for (p = p ? p : "/usr/local/bin:/bin:/usr/bin";; p++) {
		size_t len = strcspn(p, ":");
		if ((size_t)sfmt(buf, sizeof(buf), "%.*s%s%s", (int)len, p, len ? "/" : "", argv[0]) < sizeof(buf)) {
			execve(buf, argv, environ);
			if (errno != ENOENT && errno != ENOTDIR && !(eacces |= errno == EACCES))
				return;
		}
		if (!*(p += len))
			break;
	}
	errno = eacces ? EACCES : ENOENT;
}

/*
 * Run the command; 127 when not found, 126 when it cannot run. No command: the default
 * shell as util-linux 2.42 has it ($SHELL, else the uid's passwd entry's, else /bin/sh),
 * as a login shell (argv[0] "-NAME"), as util-linux always has.
 */
__attribute__((noreturn)) static void run_command(const struct run *r)
{
	static char sh[PATH_MAX], login[64], listen_pid[32];
	char *shell[] = {login, NULL}, **argv = r->argv ? r->argv : shell;
	extern char **environ;
	if (!r->argv) { /* the passwd lookup only when there is no command */
		const char *env = getenv("SHELL"), *base;
		unsigned uid = (unsigned)getuid();
		if ((sfmt(sh, sizeof(sh), "%s", env ? env : ""), !*sh) &&
		    (idfile_lookup("/etc/passwd", NULL, &uid, sh, sizeof(sh), 6) < 0 || !*sh))
			sfmt(sh, sizeof(sh), "/bin/sh");
		base = strrchr(sh, '/');
		sfmt(login, sizeof(login), "-%s", base ? base + 1 : sh);
	}
	sigprocmask(SIG_SETMASK, &r->mask, NULL);
	if (r->env_clear) { /* --clear-env, --whitelist-env: the kept variables, in their order */
		char **out = environ;
		for (char **e = environ; *e; e++)
			if (env_listed(*e, r->env_keep, r->nkeep))
				*out++ = *e;
		*out = NULL;
	}
	/* Socket activation: the command keeps rnsbox's pid across exec, whatever forked before. */
	for (char **e = environ; r->listen && *e; e++)
		if (strncmp(*e, "LISTEN_PID=", 11) == 0) {
			sfmt(listen_pid, sizeof(listen_pid), "LISTEN_PID=%d", (int)getpid());
			*e = listen_pid;
		}
	if (plan_argv(r->argv ? argv[0] : sh, argv))
		_exit(EX_OK); /* the last step of a dry run */
	if (r->argv)
		exec_path(argv);
	else
		execve(sh, argv, environ);
	int err = errno;
	die_hint(err == ENOENT || err == ENOTDIR ? 127 : 126, NULL, "exec %s: %s", r->argv ? argv[0] : sh, strerror(err));
}

/*
 * -G and -S (exec), or the ids nsenter takes: supplementary groups dropped where that is
 * allowed (not in a user namespace whose setgroups is denied), then the gid, then the uid.
 */
static void run_ids(const struct run *r)
{
	if (r->gid_set && sys_setgroups(0, NULL) < 0 && errno != EPERM)
		die_errno("setgroups");
	if (r->gid_set && sys_setgid(r->gid) < 0)
		die_errno("setgid %u", (unsigned)r->gid);
	if (r->uid_set && sys_setuid(r->uid) < 0)
		die_errno("setuid %u", (unsigned)r->uid);
}

/*
 * Socket activation (sd_listen_fds): when LISTEN_PID names rnsbox, the fds 3 ..
 * 3+LISTEN_FDS-1 are the command's, so they must not be closed at exec. Returns whether
 * LISTEN_PID is to be set to the command's pid.
 */
static int listen_fds(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	unsigned long long p, n;
	if (!pid || !fds || parse_uint(&pid, INT32_MAX, &p) < 0 || *pid || p != (unsigned long long)getpid() ||
	    parse_uint(&fds, 1024, &n) < 0 || *fds)
		return 0;
	for (int fd = 3; fd < 3 + (int)n; fd++)
		sys_fdflags(fd, F_SETFD, 0);
	return 1;
}

/*==== 12. exec (and the unshare applet) ====*/

/*
 * rnsbox exec (and the unshare applet): create namespaces and run a command, as
 * util-linux unshare does, with what rootlesskit's child does around it: ids mapped,
 * /proc and /sys mounted, loopback up, signals forwarded, orphans reaped.
 *
 * Phases, each a helper: parse; unshare every requested type in one call; map ids; fork
 * if asked (the parent only supervises from then on); in the process that will run the
 * command: propagation, mounts, loopback, root and cwd, ids, parent-death signal; in a new
 * PID namespace, PID 1 forks the command and reaps; exec. Dying is allowed in every phase:
 * nothing has been made outside the new namespaces, which vanish with the process.
 */
struct exec_opts {
	struct run run;            /* the command, its ids, fork and supervision */
	int flags;                 /* CLONE_NEW* to create */
	int no_lo, mount_sys, reaper;
	uid_t map_uid;             /* inside id of a one-id map, when map_uid_set */
	gid_t map_gid;             /* likewise, when map_gid_set */
	int map_uid_set, map_gid_set;
	int setgroups;             /* -1: default (deny when needed), 0 deny, 1 allow */
	unsigned long propagation; /* MS_PRIVATE (default), MS_SHARED, MS_SLAVE; 0: unchanged */
	const char *mount_proc;    /* where to mount a new proc; NULL: no */
	const char *root, *wd;
	struct idmap uids, gids;   /* --map-users, --map-groups (then the whole map) */
	int auto_uids, auto_gids;  /* MAP_AUTO (--map-auto, "auto"), MAP_SUBIDS (--map-subids, "subids"), MAP_ALL */
	uid_t owner_uid;           /* --owner, when owner_set */
	gid_t owner_gid;
	int owner_set;
	const char *binfmt;        /* --mount-binfmt DIR; NULL: none */
	const char *interp;        /* --load-interp: a binfmt_misc registration */
	int no_init;               /* --no-init: with -p, COMMAND is PID 1 */
	int map_back;              /* --map-back: COMMAND in a nested user namespace as the caller */
	uint32_t caller[2];        /* the caller's euid and egid, for --map-back */
	const char *persist[NS_COUNT]; /* -n=FILE and so on */
	long long offset[2];       /* --monotonic, --boottime seconds */
	int set_offset[2];
	struct nethelper nh;       /* --net-helper and its options */
	const char *copy[16];      /* --copy-up DIRs */
	int ncopy;
	const char *hostname;      /* --hostname */
	const char *evacuate;      /* --evacuate-cgroup2 NAME */
	int builtin;               /* --port-driver=builtin: --publish by the relay */
	const char *state;         /* --state-dir DIR */
	int nfwd;                  /* --forward-unix: [ADDR:]PORT:SOCKET */
	struct fwd {
		unsigned char a[4];
		uint16_t port;
		const char *path;
	} fwd[RELAY_FWD];
	struct relay relay;
	int block_fd;              /* --block-fd; -1: none */
	/* set while running */
	struct child helper;       /* the helper outside, while it has work left */
	pid_t outer_pid;           /* the pid of the process that runs the command, as the caller sees it */
};
/* The one initialiser of exec_opts, with .run = {RUN_INIT, ...} beside it. */
#define EXEC_OPTS_INIT .setgroups = -1, .propagation = MS_PRIVATE, .block_fd = -1, .nh = NETHELPER_INIT

/* Why unshare failed, when its errno alone does not say; NULL when it does. */
static const char *unshare_hint(int err, int flags)
{
	if (err == ENOSPC || err == EUSERS)
		return NS_LIMIT_HINT;
	if ((err == EPERM || err == EACCES) && !(flags & CLONE_NEWUSER))
		return "creating these namespaces needs CAP_SYS_ADMIN; add -U (user namespace) to run without it";
	if (err == EPERM || err == EACCES)
		return "creating a user namespace is denied here; 'rnsbox detect' says why";
	if (err == EINVAL)
		return "the kernel lacks one of these namespace types, or the process has threads";
	return NULL;
}

/* -r, -c, --map-user, --map-group: one-id maps, written by the process itself (idmap_self). */
static void exec_maps(const struct exec_opts *o, unsigned euid, unsigned egid)
{
	/* A ranged map (uids.n, gids.n) holds the one-id entry too; the helper wrote it. */
	const char *sg = !o->gids.n && (o->setgroups >= 0 || o->map_gid_set) ? o->setgroups == 1 ? "allow" : "deny" : NULL;
	uint32_t uid[2] = {o->map_uid, euid}, gid[2] = {o->map_gid, egid};
	int step = idmap_self(sg, o->map_uid_set && !o->uids.n ? uid : NULL, o->map_gid_set && !o->gids.n ? gid : NULL);
	if (step == 1)
		die_errno("write %s to /proc/self/setgroups", sg);
	if (step)
		die_errno("write '%u %u 1' to /proc/self/%cid_map", step == 2 ? uid[0] : gid[0], step == 2 ? uid[1] : gid[1],
			  step == 2 ? 'u' : 'g');
}

/*
 * The helper for what only a process outside the new namespaces can do: write ranged id
 * maps (directly when it holds CAP_SETUID/CAP_SETGID, else through the set-user-ID
 * newuidmap/newgidmap) and pin namespaces at files with bind mounts. It is forked before
 * unshare, waits for the parent's go, works on the parent's /proc/PID, and reports one
 * result. If the parent dies or fails first, the helper sees EOF and does nothing. On a
 * failure it undoes what it made (mounts, files) before it reports. Its steps follow.
 */

/*
 * Run newuidmap or newgidmap for pid with map m, its stderr kept for the message.
 * Says exactly why when it is missing, lacks its privilege, or fails.
 */
static int run_mapper(const char *tool, pid_t pid, const struct idmap *m, struct result *r)
{
	char path[256], args[3 * IDMAP_MAX + 2][12], *argv[3 * IDMAP_MAX + 3], err[400];
	struct stat st;
	int p[2], status, n = 0;
	if (path_find(tool, path, sizeof(path)) < 0 || stat(path, &st) < 0) {
		result_fail(r, "install shadow's uidmap package", "%s: not found on PATH", tool);
		return -1;
	}
	if (!((st.st_mode & S_ISUID) && st.st_uid == 0) && getxattr(path, "security.capability", NULL, 0) <= 0) {
		result_fail(r, "it must be set-user-ID root or carry cap_setuid/cap_setgid", "%s: %s is neither "
			    "set-user-ID root nor has file capabilities", tool, path);
		return -1;
	}
	argv[0] = (char *)tool;
	sfmt(args[0], sizeof(args[0]), "%d", (int)pid);
	argv[1] = args[0];
	for (int i = 0; i < m->n; i++)
		for (int k = 0; k < 3; k++) {
			uint32_t v = k == 0 ? m->r[i].inside : k == 1 ? m->r[i].outside : m->r[i].count;
			sfmt(args[1 + 3 * i + k], sizeof(args[0]), "%u", v);
			argv[2 + 3 * i + k] = args[1 + 3 * i + k];
		}
	argv[2 + 3 * m->n] = NULL;
	if (plan_argv(path, argv))
		return 0;
	if (pipe2(p, O_CLOEXEC) < 0)
		return result_fail(r, NULL, "pipe: %s", strerror(errno)), -1;
	pid_t c = _Fork();
	if (c == 0) {
		dup2(p[1], STDERR_FILENO);
		execv(path, argv);
		_exit(127);
	}
	close(p[1]);
	ssize_t k;
	while (c > 0 && (k = read(p[0], err + n, sizeof(err) - 1 - (size_t)n)) > 0)
		n += (int)k;
	close(p[0]);
	err[n] = '\0';
	while (n > 0 && err[n - 1] == '\n')
		err[--n] = '\0';
	if (c < 0 || waitpid(c, &status, 0) < 0 || status != 0) {
		result_fail(r, NULL, "%s %d ...: %s%s", path, (int)pid,
			    c < 0 ? strerror(errno) : WIFEXITED(status) ? "failed" : "killed", n ? ": " : "");
		sfmt(r->msg + strlen(r->msg), sizeof(r->msg) - strlen(r->msg), "%s", err);
		return -1;
	}
	return 0;
}

/* Write the whole map m to /proc/PID/FILE directly (the helper is privileged). */
static int write_map(pid_t pid, const char *file, const struct idmap *m, struct result *r)
{
	char path[48], text[IDMAP_MAX * 34];
	size_t len = 0;
	for (int i = 0; i < m->n; i++)
		len = sfmt_at(text, sizeof(text), len, "%u %u %u\n", m->r[i].inside, m->r[i].outside,
					m->r[i].count);
	sfmt(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if (write_file(path, text) == 0)
		return 0;
	result_fail(r, NULL, "write %s: %s", path, strerror(errno));
	return -1;
}

/*
 * The ranged uid map (gid 0) or gid map (gid 1) m of pid's new user namespace: written
 * directly with CAP_SETUID/CAP_SETGID, else through newuidmap/newgidmap. 0, or -1 with r set.
 */
static int map_write(pid_t pid, int gid, const struct idmap *m, struct result *r)
{
	return cap_effective(gid ? 6 /* CAP_SETGID */ : 7 /* CAP_SETUID */)
		       ? write_map(pid, gid ? "gid_map" : "uid_map", m, r)
		       : run_mapper(gid ? "newgidmap" : "newuidmap", pid, m, r);
}

/*
 * exec's --net=FILE and friends: pin namespace ns of pid at file, which is made if
 * missing (exclusively, never through a symlink) and removed again if the pin fails. An
 * existing empty file or pin is used as it is, as util-linux unshare does; anything else
 * (a symlink, a directory, a file with data such as /etc/passwd) is refused, as newns does.
 */
static int persist_one(pid_t pid, int ns, const char *file, struct result *r)
{
	char src[64];
	int created = 0, fd, kind = PIN_NONE;
	struct stat st;
	/* The time namespace is the one children get; a PID namespace is pinned from its PID 1. */
	const char *name = ns_table[ns].flag == CLONE_NEWTIME ? "_for_children" : "";
	sfmt(src, sizeof(src), "/proc/%d/ns/%s%s", (int)pid, ns_table[ns].name, name);
	if ((fd = diag.dry && pin_kind(file) != PIN_NONE ? (errno = EEXIST, -1) /* as a real run meets it */
		  : open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444)) >= 0) {
		close(fd);
		created = 1;
	} else if (errno != EEXIST || (kind = pin_kind(file)) == PIN_OTHER || kind == PIN_ERR) {
		result_fail(r, NULL, "--%s=%s: %s", ns_table[ns].longopt, file,
			    kind != PIN_OTHER ? strerror(errno)
			    : lstat(file, &st) == 0 && S_ISLNK(st.st_mode) ? "is a symbolic link"
									 : "exists and is neither empty nor a namespace pin");
		return -1;
	}
	if (pin_mount(src, ns, file, r) == 0)
		return 0;
	if (created)
		unlink(file);
	return -1;
}

/*
 * Phase 1 (pid is the parent, after unshare): the maps, then every pin but the PID
 * namespace's. Phase 2 (pid is the forked child, PID 1 of the new namespace): the PID
 * namespace's pin, which the kernel shows only once the namespace has its PID 1.
 * Returns the pid of the network helper it started in phase 1, else 0.
 */
static pid_t helper_work(const struct exec_opts *o, pid_t pid, int phase, struct result *r)
{
	char path[48];
	int ns;
	pid_t nh = 0;
	r->ok = 1;
	if (phase == 2) {
		ns = ns_index(CLONE_NEWPID);
		persist_one(pid, ns, o->persist[ns], r);
		return 0;
	}
	if (o->uids.n && map_write(pid, 0, &o->uids, r) < 0)
		return 0;
	if (o->gids.n && o->setgroups >= 0) {
		sfmt(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
		if (write_file(path, o->setgroups ? "allow" : "deny") < 0)
			return result_fail(r, NULL, "write %s: %s", path, strerror(errno)), 0;
	}
	if (o->gids.n && map_write(pid, 1, &o->gids, r) < 0)
		return 0;
	for (ns = 0; ns < NS_COUNT; ns++)
		if (o->persist[ns] && ns_table[ns].flag != CLONE_NEWPID && persist_one(pid, ns, o->persist[ns], r) < 0)
			break;
	if (ns == NS_COUNT && o->nh.name) { /* the network helper, from the caller's namespaces */
		struct nethelper h = o->nh;
		char rt[200], api[PATH_MAX], pf[PATH_MAX];
		if (o->state) /* kept for publish and unpublish while the session runs */
			sfmt(api, sizeof(api), "%s/api.sock", o->state);
		else
			sfmt(api, sizeof(api), "%s/rnsbox-api-%d.sock", state_dir(rt, sizeof(rt)), (int)getpid());
		sfmt(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			result_fail(r, NULL, "open %s: %s", path, strerror(errno));
		else if ((nh = nh_start(&h, fd, api, o->state != NULL, r)) > 0 && o->state &&
			 (sfmt(pf, sizeof(pf), "%s/netns.pid", o->state), nh_write(pf, &h, nh)) < 0)
			result_fail(r, NULL, "write %s: %s", pf, strerror(errno)), nh_stop(nh), nh = 0;
		close(fd);
	}
	if (r->ok)
		return nh;
	while (ns-- > 0) /* undo the pins already made */
		if (o->persist[ns] && umount2(o->persist[ns], MNT_DETACH) == 0)
			unlink(o->persist[ns]);
	return 0;
}

/*
 * Fork the helper, before unshare. It waits for the go byte (child_start's protocol),
 * works, and reports its result, then, if it succeeded, the network helper's pid (0:
 * none) as a message of its own; phase 2 starts with the child's pid.
 */
static void helper_start(const struct exec_opts *o, struct child *h)
{
	struct result r = {0};
	char c;
	pid_t parent = getpid(), child, nh;
	if (child_start(h) < 0)
		die_errno("start the helper");
	if (h->pid == 0) {
		if (child_recv(h->fd, &c, 1) < 0)
			_exit(0); /* the parent failed or died: nothing to do */
		nh = helper_work(o, parent, 1, &r);
		if (child_send(h->fd, &r, sizeof(r)) < 0 || !r.ok || child_send(h->fd, &nh, sizeof(nh)) < 0 ||
		    child_recv(h->fd, &child, sizeof(child)) < 0)
			_exit(0); /* failed, or no phase 2 */
		helper_work(o, child, 2, &r);
		_exit(child_send(h->fd, &r, sizeof(r)) < 0);
	}
}

/*
 * Let the helper work (msg is the go byte, or the child's pid for phase 2) and wait for
 * its result, and in phase 1 for the network helper's pid (into *nh); unless more is to
 * come, end it. Dies with its message on failure, or with how it ended.
 */
static void helper_step(struct child *h, const void *msg, size_t len, int last, pid_t *nh)
{
	struct result r = {0};
	char why[40];
	int got = child_send(h->fd, msg, len) == 0 && child_recv(h->fd, &r, sizeof(r)) == 0 &&
		  (!r.ok || !nh || child_recv(h->fd, nh, sizeof(*nh)) == 0);
	if (last || !got || !r.ok)
		child_reap(h, why);
	if (!got)
		die("the helper ended before it reported%s", why);
	if (!r.ok)
		die_hint(EX_FAIL, r.hint[0] ? r.hint : NULL, "%s", r.msg);
}

/*
 * The helper's phase (1: pid is rnsbox, after unshare; 2: pid is the new PID 1), ended
 * after it when last; the network helper's pid from phase 1. A dry run does its steps here.
 */
static pid_t exec_helper(struct exec_opts *o, int phase, pid_t pid, int last)
{
	struct result r = {0};
	pid_t nh = 0;
	if (!diag.dry)
		helper_step(&o->helper, phase == 1 ? (const void *)"g" : &pid, phase == 1 ? 1 : sizeof(pid), last,
			    phase == 1 ? &nh : NULL);
	else if ((nh = helper_work(o, pid, phase, &r)), !r.ok)
		die_hint(EX_FAIL, r.hint[0] ? r.hint : NULL, "%s", r.msg);
	return nh;
}

/* --monotonic and --boottime, before any process enters the new time namespace. */
static void exec_time_offsets(const struct exec_opts *o)
{
	char text[96];
	size_t n = 0;
	for (int i = 0; i < 2; i++)
		if (o->set_offset[i])
			n = sfmt_at(text, sizeof(text), n, "%s %lld 0\n", i ? "boottime" : "monotonic",
					      o->offset[i]);
	if (n && write_file("/proc/self/timens_offsets", text) < 0)
		die_errno("write /proc/self/timens_offsets");
}

/* A fresh proc at dir for the new PID namespace. */
static void exec_mount_proc(const char *dir)
{
	if (mount("proc", dir, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0)
		return;
	int err = errno;
	die_hint(EX_FAIL, err != EPERM ? NULL : "a new proc in a user namespace needs a fully visible /proc: masked paths "
		 "(a container's) prevent it",
		 "mount proc on %s: %s", dir, strerror(err));
}

/*
 * sysfs for the new network namespace; read-only where read-write is refused. The new
 * sysfs would hide the cgroup mounts at /sys/fs/cgroup, so, as rootlesskit does, they are
 * cloned first (open_tree, the whole tree, Linux 5.2) and moved onto the new sysfs's
 * fs/cgroup after. Where /sys/fs/cgroup is no mount of its own, there is nothing to keep.
 */
static void exec_mount_sys(void)
{
	unsigned long f = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	struct statfs sf;
	int cg = -1;
	if (statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type != SYSFS_MAGIC &&
	    (cg = (int)sys_open_tree(AT_FDCWD, "/sys/fs/cgroup", OPEN_TREE_CLONE | O_CLOEXEC | AT_RECURSIVE)) < 0)
		die_errno("--mount-sys: open_tree /sys/fs/cgroup");
	if (mount("sysfs", "/sys", "sysfs", f, NULL) < 0 && mount("sysfs", "/sys", "sysfs", f | MS_RDONLY, NULL) < 0)
		die_errno("mount sysfs on /sys");
	if (cg >= 0 && sys_move_mount(cg, "", AT_FDCWD, "/sys/fs/cgroup", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		die_errno("--mount-sys: move the cgroup mounts onto the new /sys/fs/cgroup");
	close(cg);
}

/*
 * --mount-binfmt, --load-interp (util-linux 2.41): the new user namespace's own
 * binfmt_misc (Linux 6.7) at dir, and the registration interp (NULL: none) written to it.
 */
static void exec_binfmt(const char *dir, const char *interp)
{
	char reg[PATH_MAX];
	sfmt(reg, sizeof(reg), "%s/register", dir);
	if (mount("binfmt_misc", dir, "binfmt_misc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die_hint(EX_FAIL, errno == EPERM ? "a user namespace has a binfmt_misc of its own from Linux 6.7" : NULL,
			 "--mount-binfmt %s: %s", dir, strerror(errno));
	if (interp && write_file(reg, interp) < 0)
		die_errno("--load-interp: write %s", reg);
}

/* A fresh cgroup2 at /sys/fs/cgroup: its root is the cgroup the new cgroup namespace began in. */
static void exec_mount_cgroup2(void)
{
	if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die_errno("--evacuate-cgroup2: mount cgroup2 on /sys/fs/cgroup");
}

/*
 * --evacuate-cgroup2=NAME, as rootlesskit's: every process of the cgroup rnsbox is in (the
 * root of the new cgroup namespace, at the fresh cgroup2 on /sys/fs/cgroup) moves into its
 * child NAME, made if missing, and then every controller the cgroup has is enabled for its
 * children. A cgroup with processes of its own cannot hand controllers down (cgroup v2's
 * no-internal-process rule), so this lets the command make cgroups with them. Runs in the
 * caller's PID namespace before any fork, so every process of the cgroup has a pid here.
 * Dies if NAME cannot be made or rnsbox itself cannot move, removing NAME if it made it
 * (it stays if other processes moved in first: they cannot be moved back for certain);
 * another process that cannot move (gone, or not ours) or a controller that cannot be
 * enabled is a warning, as rootlesskit has it.
 */
static void exec_evacuate(const char *name)
{
	char dir[280], path[300], *line;
	struct lines l;
	int fd, self = (int)getpid(), made, err;
	exec_mount_cgroup2();
	sfmt(dir, sizeof(dir), "/sys/fs/cgroup/%s", name);
	if (!(made = mkdir(dir, 0755) == 0) && errno != EEXIST)
		die_hint(EX_FAIL, errno == EACCES ? "the cgroup must be delegated to the user (its directory and "
			 "cgroup.procs theirs)" : NULL, "--evacuate-cgroup2: mkdir %s: %s", dir, strerror(errno));
	sfmt(path, sizeof(path), "%s/cgroup.procs", dir);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0 || lines_open(&l, "/sys/fs/cgroup/cgroup.procs") < 0) {
		err = errno;
		if (made)
			rmdir(dir);
		errno = err;
		die_errno("--evacuate-cgroup2: open %s", fd < 0 ? path : "/sys/fs/cgroup/cgroup.procs");
	}
	while ((line = lines_next(&l)))
		if (write(fd, line, strlen(line)) < 0 && errno != ESRCH) { /* ESRCH: it has ended since */
			if (atoi(line) == self) {
				err = errno;
				if (made)
					rmdir(dir);
				errno = err;
				die_errno("--evacuate-cgroup2: move rnsbox (%s) to %s", line, path);
			}
			warn("--evacuate-cgroup2: move process %s to %s: %s", line, path, strerror(errno));
		}
	lines_close(&l);
	close(fd);
	/* an empty cgroup.controllers (no controller reaches this cgroup) leaves nothing to enable */
	if (lines_open(&l, "/sys/fs/cgroup/cgroup.controllers") < 0 || (!(line = lines_next(&l)) && errno))
		die_errno("--evacuate-cgroup2: read /sys/fs/cgroup/cgroup.controllers");
	for (char *c = line ? strtok(line, " ") : NULL; c; c = strtok(NULL, " ")) {
		char plus[40];
		sfmt(plus, sizeof(plus), "+%s", c);
		if (write_file("/sys/fs/cgroup/cgroup.subtree_control", plus) < 0)
			warn("--evacuate-cgroup2: enable %s in /sys/fs/cgroup/cgroup.subtree_control: %s", c, strerror(errno));
	}
	lines_close(&l);
}

/*
 * The pid of this process as the caller sees it: the first NSpid field, read before a
 * new proc is mounted; getpid() where /proc cannot tell.
 */
static pid_t outer_pid(void)
{
	struct lines l;
	char *line;
	unsigned long long v = 0;
	if (lines_open(&l, "/proc/self/status") == 0) {
		while ((line = lines_next(&l)))
			if (strncmp(line, "NSpid:\t", 7) == 0) {
				const char *p = line + 7;
				if (parse_uint(&p, INT32_MAX, &v) < 0)
					v = 0;
			}
		lines_close(&l);
	}
	return v ? (pid_t)v : getpid();
}

/* --json-status-fd: the namespaces exist; the command is about to run. */
static void exec_status_start(const struct exec_opts *o)
{
	char line[512], path[32];
	struct stat st;
	size_t n = (size_t)sfmt(line, sizeof(line), "{\"pid\": %d, \"namespaces\": {", (int)o->outer_pid);
	for (int ns = 0; ns < NS_COUNT; ns++) {
		sfmt(path, sizeof(path), "/proc/self/ns/%s", ns_table[ns].name);
		if (stat(path, &st) == 0)
			n = sfmt_at(line, sizeof(line), n, "%s\"%s\": %llu", line[n - 1] == '{' ? "" : ", ",
					      ns_table[ns].name, (unsigned long long)st.st_ino);
	}
	n = sfmt_at(line, sizeof(line), n, "}%s%s%s}\n", o->nh.name ? ", \"net-helper\": \"" : "",
		    o->nh.name ? o->nh.name : "", o->nh.name ? "\"" : "");
	if (!plan("write", "--json-status-fd %d: %.*s", o->run.status_fd, (int)n - 1, line) &&
	    write_all(o->run.status_fd, line, n) < 0)
		die_errno("write --json-status-fd %d", o->run.status_fd);
}

/* The process that runs the command: mounts, network, root, ids, then exec. */
__attribute__((noreturn)) static void exec_child(struct exec_opts *o)
{
	struct nl nl;
	int rc;
	if (o->run.status_fd >= 0)
		o->outer_pid = outer_pid(); /* before a new proc is mounted */
	if (o->ncopy || o->nh.name)
		nh_mounts(&o->nh, o->copy, o->ncopy, NULL);
	if ((o->flags & CLONE_NEWNET) && !o->no_lo) {
		if ((rc = nl_open(&nl)) == 0) {
			rc = link_up(&nl, "lo");
			nl_close(&nl);
		}
		if (rc < 0 && rc != -EEXIST) {
			errno = -rc;
			die_errno("bring loopback up");
		}
	}
	if (o->nh.name) {
		struct result r = {.ok = 1};
		nh_config(&o->nh, &r);
		if (!r.ok)
			die("%s", r.msg);
	}
	if (o->hostname && sethostname(o->hostname, strlen(o->hostname)) < 0)
		die_errno("--hostname %s: sethostname", o->hostname);
	/* An F (fix binary) interpreter is opened as it is registered: before chroot, as util-linux does */
	const char *fl = o->interp ? strrchr(o->interp, ':') : NULL;
	if (fl && strchr(fl, 'F') && o->root)
		exec_binfmt("/proc/sys/fs/binfmt_misc", o->interp), o->interp = NULL;
	if (o->root && chroot(o->root) < 0)
		die_errno("chroot %s", o->root);
	if (o->root && o->evacuate)
		exec_mount_cgroup2(); /* the command's root has no /sys/fs/cgroup of ours yet */
	if (o->wd ? chdir(o->wd) < 0 : o->root && chdir("/") < 0)
		die_errno("chdir %s", o->wd ? o->wd : "/");
	/* After chroot, as util-linux does: the new proc and sysfs belong to the new root. */
	if (o->mount_proc)
		exec_mount_proc(o->mount_proc);
	if (o->mount_sys)
		exec_mount_sys();
	if (o->binfmt)
		exec_binfmt(o->binfmt, o->interp);
	if (o->map_back) { /* all that needed root is done: the caller's ids, mapped onto ours, from here on */
		uint32_t uid[2] = {o->caller[0], geteuid()}, gid[2] = {o->caller[1], getegid()};
		int step = unshare(CLONE_NEWUSER) < 0 ? -1 : idmap_self("deny", uid, gid);
		if (step)
			die_errno("--map-back: %s", step < 0 ? "unshare a user namespace" : step == 1 ? "write setgroups"
						    : step == 2 ? "write uid_map" : "write gid_map");
	}
	run_ids(&o->run);
	if (o->run.keep_caps)
		run_keep_caps();
	if (o->run.kill_sig)
		run_kill_child(&o->run);
	if (o->run.status_fd >= 0)
		exec_status_start(o);
	if (o->block_fd >= 0 && !plan("wait", "for a byte or EOF on --block-fd %d", o->block_fd)) {
		char c;
		while (read(o->block_fd, &c, 1) < 0 && errno == EINTR)
			;
		close(o->block_fd);
	}
	/* PID 1 of a new PID namespace stays as its init and runs the command as PID 2 (unless --no-init). */
	if (!o->run.applet && !o->no_init && (o->flags & CLONE_NEWPID) && (getpid() == 1 || diag.dry))
		fork_supervised(&o->run, 1);
	run_command(&o->run);
}

/* exec's hooks: the network helper ends with the command; the helper pins the new PID
 * namespace from its PID 1 before that goes on. */
static void exec_end_helper(void *pidfd, pid_t child)
{
	nh_stop_fd((int)(intptr_t)pidfd);
}

static int sh_session(const char *dir, int delta, pid_t child);

/* The started hook: the PID namespace pinned from its PID 1; --state-dir's child_pid. */
static void exec_started(void *arg, pid_t child)
{
	struct exec_opts *o = arg;
	if (o->persist[ns_index(CLONE_NEWPID)])
		exec_helper(o, 2, child, 1);
	if (o->state)
		sh_session(o->state, 0, child);
}

static void exec_state_end(void *dir, pid_t child)
{
	sh_session(dir, -1, 0);
}

/*
 * The relay's listeners (exec --port-driver=builtin, --forward-unix): before unshare
 * (inside 0), --publish's on the host, their ports then taken from the helper, and
 * --forward-unix's targets opened; after it (inside 1), --forward-unix's listeners in the
 * new network namespace. Dies naming the option; what it made are fds, gone with it.
 */
static void exec_relay(struct exec_opts *o, int inside)
{
	struct relay *rl = &o->relay;
	char spec[64], hint[200];
	unsigned char a[16];
	struct stat st;
	if (!inside)
		relay_init(rl);
	for (int i = 0; !inside && o->builtin && i < o->nh.nports; i++) {
		const struct nhport *p = &o->nh.ports[i];
		struct relay_l *l = &rl->l[rl->n++];
		*l = (struct relay_l){relay_listen(*p->addr ? parse_ip(p->addr, a) : AF_INET, *p->addr ? a : NULL, p->host), -1,
				      p->guest};
		if (l->fd < 0)
			die_hint(EX_FAIL, nh_port_hint(p, 1, hint, sizeof(hint)), "--publish %s: %s",
				 nh_port_str(p, spec, sizeof(spec)), strerror(errno));
	}
	o->nh.nports = o->builtin ? 0 : o->nh.nports;
	for (int i = 0; i < o->nfwd; i++) {
		struct relay_l *l = inside ? &rl->l[rl->n - o->nfwd + i] : &rl->l[rl->n++];
		const struct fwd *f = &o->fwd[i];
		if (!inside && ((l->path = open(f->path, O_PATH | O_CLOEXEC)) < 0 || fstat(l->path, &st) < 0 ||
				(!S_ISSOCK(st.st_mode) && (errno = ENOTSOCK))))
			die_errno("--forward-unix %s", f->path);
		if (inside && (l->port = f->port, l->fd = relay_listen(AF_INET, f->a, f->port)) < 0)
			die_errno("--forward-unix: listen on port %u", f->port);
	}
	o->run.relay = rl->n ? rl : NULL;
}

NOINLINE static int exec_run(struct exec_opts *o)
{
	unsigned euid = o->caller[0] = (unsigned)geteuid(), egid = o->caller[1] = (unsigned)getegid();
	char names[64];
	int need_helper = o->uids.n || o->gids.n || o->nh.name, exit_pipe[2];
	for (int ns = 0; ns < NS_COUNT; ns++)
		need_helper |= o->persist[ns] != NULL;
	sigprocmask(SIG_SETMASK, NULL, &o->run.mask);
	o->run.listen = listen_fds();
	if (o->nh.name)
		nh_resolve(&o->nh);
	if (o->run.status_fd >= 0)
		diag.fatal = run_fatal, diag.fatal_arg = &o->run;
	uint64_t outer_mntns = o->persist[ns_index(CLONE_NEWNS)] ? mntns_id() : 0;
	/* slirp4netns ends when the last copy of this pipe's write end closes, even on SIGKILL */
	if (o->nh.name && pipe2(exit_pipe, O_CLOEXEC) < 0)
		die_errno("pipe");
	o->nh.exit_fd = o->nh.name ? exit_pipe[0] : -1;
	exec_relay(o, 0);
	if (o->state) { /* write-ahead: a holder of DIR before anything is made (gc drops it if rnsbox dies) */
		sh_session(o->state, 1, 0);
		o->run.started = (struct hook){exec_started, o};
		o->run.at_end[1] = (struct hook){exec_state_end, (void *)o->state};
	}
	if (need_helper && !diag.dry) /* a dry run does the helper's steps inline (exec_helper) */
		helper_start(o, &o->helper);
	if (o->nh.name)
		close(exit_pipe[0]);
	/* --owner: the user namespace is its creator's; the helper, forked before, stays root */
	if (o->owner_set && ((sys_setgroups(0, NULL) < 0 || sys_setgid(o->owner_gid) < 0 || sys_setuid(o->owner_uid) < 0)))
		die_errno("--owner %u:%u", (unsigned)o->owner_uid, (unsigned)o->owner_gid);
	if (o->flags && unshare(o->flags) < 0) { /* the helper sees EOF and exits */
		int err = errno;
		die_hint(EX_FAIL, unshare_hint(err, o->flags), "unshare %s: %s", ns_names(o->flags, names, sizeof(names)),
			 strerror(err));
	}
	if (o->persist[ns_index(CLONE_NEWNS)])
		mntns_above(outer_mntns);
	if (need_helper) {
		int pin_pid = o->persist[ns_index(CLONE_NEWPID)] != NULL, fd = -1;
		pid_t nh = exec_helper(o, 1, getpid(), !pin_pid);
		if (nh > 0 && (fd = (int)sys_pidfd_open(nh, 0)) < 0)
			die_errno("pidfd_open %d (the network helper)", (int)nh);
		if (nh > 0) /* the helper ends with the command */
			o->run.at_end[0] = (struct hook){exec_end_helper, (void *)(intptr_t)fd};
		if (pin_pid) /* the PID namespace is pinned from its PID 1, the first child */
			o->run.started = (struct hook){exec_started, o};
	}
	exec_maps(o, euid, egid);
	exec_relay(o, 1);
	exec_time_offsets(o);
	/* In the parent, so that no mount below (cgroup2 here, later others) reaches the caller's. */
	if ((o->flags & CLONE_NEWNS) && o->propagation && mount("none", "/", NULL, MS_REC | o->propagation, NULL) < 0)
		die_errno("set propagation of /");
	if (o->evacuate)
		exec_evacuate(o->evacuate);
	/* Set in the parent before fork: a child does not inherit it, but exec would keep it. */
	if (o->reaper && !plan("prctl", "child subreaper") && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		die_errno("become a subreaper");
	if (o->run.fork)
		fork_supervised(&o->run, o->reaper);
	exec_child(o);
}

enum {
	OPT_MAP_USER = 256, OPT_MAP_GROUP, OPT_SETGROUPS, OPT_PROPAGATION, OPT_MOUNT_PROC, OPT_MOUNT_SYS,
	OPT_NO_LO, OPT_KILL_CHILD, OPT_REAPER, OPT_KEEP_CAPS, OPT_MAP_USERS, OPT_MAP_GROUPS, OPT_MAP_AUTO,
	OPT_MONOTONIC, OPT_BOOTTIME, OPT_BLOCK_FD, OPT_STATUS_FD, OPT_FORWARD, OPT_CLEAR_ENV, OPT_KEEP_ENV,
	OPT_MAP_SUBIDS, OPT_HOSTNAME, OPT_EVACUATE, OPT_PORT_DRIVER, OPT_FWD_UNIX, OPT_STATE_DIR, OPT_OWNER,
	OPT_BINFMT, OPT_NO_INIT, OPT_MAP_BACK,
};

/* An fd given on the command line: open, and made close-on-exec (it is rnsbox's, not the command's). */
static int parse_fd(const char *opt, const char *s)
{
	unsigned long long v;
	const char *p = s;
	if (parse_uint(&p, INT32_MAX, &v) < 0 || *p)
		die_usage("%s: '%s' is not a file descriptor number", opt, s);
	if (sys_fdflags((int)v, F_SETFD, FD_CLOEXEC) < 0)
		die_usage("%s: %s is not an open file descriptor", opt, s);
	return (int)v;
}

/*
 * Complete the maps once every option is read: ranged maps, --map-auto and --owner make
 * the whole map (with the one-id entry, if any, in it), written by the helper; "all" is
 * our own map's inside ids, each to itself (util-linux 2.40), where an identical one-id
 * entry is one already; overlaps are usage errors, caught before anything is created.
 */
static void exec_idmaps(struct exec_opts *o)
{
	char why[80], path[20];
	struct { struct idmap *m; uint32_t single; int single_set; uint32_t self; int autom; const char *file, *opt; } t[2] = {
		{&o->uids, o->map_uid, o->map_uid_set, geteuid(), o->auto_uids, "/etc/subuid", "--map-users"},
		{&o->gids, o->map_gid, o->map_gid_set, getegid(), o->auto_gids, "/etc/subgid", "--map-groups"},
	};
	for (int i = 0; i < 2; i++) {
		struct idmap *m = t[i].m;
		int n0 = m->n;
		if (!m->n && !t[i].autom && !(o->owner_set && t[i].single_set)) {
			if (t[i].single_set) /* written by rnsbox itself (exec_maps) */
				plan("idmap", "%cid %u %u 1: the caller's own, one id", "ug"[i], t[i].single, t[i].self);
			continue;
		}
		if (t[i].single_set && !(t[i].autom == MAP_ALL && t[i].single == t[i].self)) {
			if (m->n == IDMAP_MAX)
				die_usage("%s: more than %d ranges", t[i].opt, IDMAP_MAX);
			m->from[m->n] = IDMAP_FROM_ONE, n0++;
			m->r[m->n++] = (struct idrange){t[i].single, t[i].self, 1};
		}
		if (t[i].autom == MAP_ALL) {
			sfmt(path, sizeof(path), "/proc/self/%cid_map", "ug"[i]);
			int n = idmap_read(path, m->r + m->n, IDMAP_MAX - m->n, why, sizeof(why));
			if (n < 0)
				die("%s all: %s", t[i].opt, why);
			for (; n > 0; n--, m->n++)
				m->r[m->n].outside = m->r[m->n].inside;
		} else if (t[i].autom) {
			idmap_auto(m, t[i].file, t[i].self, t[i].autom == MAP_SUBIDS);
		}
		for (int k = n0; k < m->n; k++)
			m->from[k] = t[i].autom == MAP_ALL ? IDMAP_FROM_ALL : IDMAP_FROM_SUBIDS;
		if (idmap_overlap(t[i].m, why, sizeof(why)))
			die_usage("%s: %s", t[i].opt, why);
		for (int k = 0; diag.dry && k < m->n; k++) /* where each range came from */
			plan("idmap", "%cid %u %u %u: %s", "ug"[i], m->r[k].inside, m->r[k].outside, m->r[k].count,
			     (const char *[]){t[i].opt, "the caller's own, one id", t[i].file, path}[m->from[k]]);
	}
}

static const struct opt exec_rows[] = {
	OPT("fork", "\trun COMMAND in a child; exit with its status (128+N for signal N)", 'f', 0),
	OPT("forward-signals", "\t-f (which forwards every catchable signal)", OPT_FORWARD, 0),
	OPT("kill-child", "SIG\tSIG (KILL) to COMMAND if rnsbox dies", OPT_KILL_CHILD, ARG_OPT),
	OPT("reaper", "\treap orphans as PID 1 does (a child subreaper)", OPT_REAPER, 0),
	OPT("no-init", "\twith -p, COMMAND is PID 1 (rnsbox waits outside)", OPT_NO_INIT, 0),
	OPT("map-root-user", "\tmap root to the caller's uid and gid", 'r', 0),
	OPT("map-current-user", "\tmap the caller's uid and gid to themselves", 'c', 0),
	OPT("map-user", "UID\tmap UID (a number or name) to the caller's uid", OPT_MAP_USER, ARG_REQ),
	OPT("map-group", "GID\tmap GID (a number or name) to the caller's gid", OPT_MAP_GROUP, ARG_REQ),
	OPT("map-users", "IN:OUT:N\tmap N uids from OUT on at IN (repeatable), or auto, subids or all",
	    OPT_MAP_USERS, ARG_REQ),
	OPT("map-groups", "IN:OUT:N\tlikewise for gids", OPT_MAP_GROUPS, ARG_REQ),
	OPT("map-auto", "\tmap the caller's ranges in /etc/subuid and /etc/subgid", OPT_MAP_AUTO, 0),
	OPT("map-subids", "\tmap the first of those ranges, each id to itself", OPT_MAP_SUBIDS, 0),
	OPT("setgroups", "allow|deny\tthe new user namespace's setgroups", OPT_SETGROUPS, ARG_REQ),
	OPT("owner", "UID:GID\tthe new user namespace's owner (as root)", OPT_OWNER, ARG_REQ),
	OPT("map-back", "\tset up as root (-r), then run COMMAND as the caller", OPT_MAP_BACK, 0),
	OPT("setuid", "ID\tCOMMAND's uid", 'S', ARG_REQ),
	OPT("setgid", "ID\tCOMMAND's gid", 'G', ARG_REQ),
	OPT("keep-caps", "\tkeep capabilities across exec", OPT_KEEP_CAPS, 0),
	OPT("propagation", "MODE\tof / with -m: private (default), shared, slave or unchanged", OPT_PROPAGATION,
	    ARG_REQ),
	OPT("mount-proc", "DIR\ta new proc at DIR (/proc)", OPT_MOUNT_PROC, ARG_OPT),
	OPT("mount-sys", "\ta new sysfs at /sys (with -n)", OPT_MOUNT_SYS, 0),
	OPT("mount-binfmt", "DIR\tthe new user namespace's binfmt_misc at DIR (/proc/sys/fs/binfmt_misc)",
	    OPT_BINFMT, ARG_OPT),
	OPT("load-interp", "SPEC\tregister :NAME:TYPE:OFFSET:MAGIC:MASK:INTERPRETER:FLAGS there", 'l', ARG_REQ),
	OPT("copy-up", "DIR\ta tmpfs of symlinks to DIR's entries over DIR (implies -m)", OPT_COPY_UP, ARG_REQ),
	OPT("root", "DIR\tchroot to DIR", 'R', ARG_REQ),
	OPT("wd", "DIR\tchdir to DIR", 'w', ARG_REQ),
	OPT("hostname", "NAME\tthe new UTS namespace's name (implies -u)", OPT_HOSTNAME, ARG_REQ),
	OPT("monotonic", "SECS\tthe new time namespace's CLOCK_MONOTONIC offset", OPT_MONOTONIC, ARG_REQ),
	OPT("boottime", "SECS\tand its CLOCK_BOOTTIME offset", OPT_BOOTTIME, ARG_REQ),
	OPT("evacuate-cgroup2", "NAME\tmove our cgroup's processes to its child NAME (implies -C -m)", OPT_EVACUATE,
	    ARG_REQ),
	OPT("clear-env", "\tan empty environment for COMMAND", OPT_CLEAR_ENV, 0),
	OPT("whitelist-env", "VAR[,VAR]...\tkeep only these variables (repeatable)", OPT_KEEP_ENV, ARG_REQ),
	OPT("no-lo", "\tleave loopback down", OPT_NO_LO, 0),
	OPT("block-fd", "FD\twait for a byte or EOF on FD first", OPT_BLOCK_FD, ARG_REQ),
	DRY_ROW,
	OPT("json", "", OPT_DRY_JSON, 0),
	OPT("json-status-fd", "FD\tJSON lines on FD: {pid, namespaces}, then {exit-code}", OPT_STATUS_FD, ARG_REQ),
	NH_ROWS,
	OPT("mtu", "MTU\tthe helper's MTU (65520)", OPT_NH_MTU, ARG_REQ),
	OPT("publish", "SPEC\t[HOSTIP:]HOSTPORT:PORT[/tcp|udp]: a host port to the namespace\n(repeatable)",
	    OPT_NH_PUBLISH, ARG_REQ),
	OPT("port-driver", "builtin\t--publish by rnsbox's relay (TCP), no helper", OPT_PORT_DRIVER, ARG_REQ),
	OPT("state-dir", "DIR\tthe session's state, for newns --shared=DIR's verbs", OPT_STATE_DIR, ARG_REQ),
	OPT("forward-unix", "[ADDR:]PORT:SOCKET\tADDR:PORT inside to the host's UNIX SOCKET (-n;\nrepeatable)",
	    OPT_FWD_UNIX, ARG_REQ),
	{0},
};
#define EXEC_NS_HELP "FILE\tnamespace: a new one, pinned at FILE if given"
static const struct opts exec_set = {
	"usage: rnsbox exec [OPTION]... [--] [COMMAND [ARG]...]\n"
	"Create namespaces and run COMMAND (default $SHELL) in them, as util-linux unshare.\n",
	"With -p rnsbox stays PID 1 and reaps (-p implies -f). --mount-proc needs -p.\n",
	exec_rows, ARG_OPT_LONG, EXEC_NS_HELP,
};
/* The unshare applet's: what differs from rnsbox exec (README's table has every difference). */
static const struct opts unshare_set = {
	"usage: unshare [OPTION]... [--] [PROGRAM [ARG]...]\n"
	"util-linux unshare, as an applet of rnsbox.\n",
	"As util-linux: -n leaves loopback down; --mount-proc needs no -p; with -pf PROGRAM is\n"
	"PID 1; -f blocks SIGINT and SIGTERM (--forward-signals forwards them) and dies of\n"
	"PROGRAM's signal.\n",
	exec_rows, ARG_OPT_LONG, EXEC_NS_HELP,
};

/* exec's options that map ids or set them: 0 if c is none of them. */
static int exec_opt_ids(struct exec_opts *o, int c)
{
	switch (c) {
	case OPT_MAP_USERS: idmap_parse("--map-users", optarg, &o->uids, &o->auto_uids); break;
	case OPT_MAP_GROUPS: idmap_parse("--map-groups", optarg, &o->gids, &o->auto_gids); break;
	case OPT_MAP_AUTO: o->auto_uids = o->auto_gids = MAP_AUTO; break;
	case OPT_MAP_SUBIDS: o->auto_uids = o->auto_gids = MAP_SUBIDS; break;
	case 'r': o->map_uid = 0, o->map_gid = 0, o->map_uid_set = o->map_gid_set = 1; break;
	case 'c': o->map_uid = geteuid(), o->map_gid = getegid(), o->map_uid_set = o->map_gid_set = 1; break;
	case OPT_MAP_USER: o->map_uid = parse_id("--map-user", optarg, 0), o->map_uid_set = 1; break;
	case OPT_MAP_GROUP: o->map_gid = parse_id("--map-group", optarg, 1), o->map_gid_set = 1; break;
	case 'S': o->run.uid = parse_id("--setuid", optarg, 0), o->run.uid_set = 1; break;
	case 'G': o->run.gid = parse_id("--setgid", optarg, 1), o->run.gid_set = 1; break;
	case OPT_OWNER: { /* numbers only, as util-linux */
		unsigned long long u, g;
		const char *p = optarg;
		if (parse_uint(&p, UINT32_MAX - 1, &u) < 0 || *p++ != ':' || parse_uint(&p, UINT32_MAX - 1, &g) < 0 || *p)
			die_usage("--owner: '%s' is not UID:GID", optarg);
		o->owner_uid = (uid_t)u, o->owner_gid = (gid_t)g, o->owner_set = 1;
		break;
	}
	case OPT_SETGROUPS:
		if ((o->setgroups = strcmp(optarg, "allow") == 0 ? 1 : strcmp(optarg, "deny") == 0 ? 0 : -2) == -2)
			die_usage("--setgroups: '%s' is not allow or deny", optarg);
		break;
	default: return 0;
	}
	return 1;
}

/* exec's options that take a value checked here: 0 if c is none of them. */
/* --forward-unix [ADDR:]PORT:SOCKET (ADDR IPv4, 127.0.0.1 if not given) into f: NULL, or what is wrong. */
static const char *parse_fwd(struct fwd *f, const char *arg)
{
	const char *c1 = strchr(arg, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, *q = arg;
	char ip[16];
	unsigned long long v;
	memcpy(f->a, (const unsigned char[]){127, 0, 0, 1}, 4);
	if (c2 && c1 - arg < 16 && (sfmt(ip, sizeof(ip), "%.*s", (int)(c1 - arg), arg), parse_ip4(ip, f->a)))
		q = c1 + 1;
	else
		c2 = c1;
	if (!c2 || parse_uint(&q, 65535, &v) < 0 || q != c2 || !v || !c2[1])
		return "is not [ADDR:]PORT:SOCKET (ADDR IPv4, PORT 1 to 65535)";
	f->port = (uint16_t)v, f->path = c2 + 1;
	return NULL;
}

static int exec_opt_values(struct exec_opts *o, int c)
{
	unsigned long long v;
	const char *p = optarg, *bad = NULL;
	switch (c) {
	case OPT_KEEP_ENV:
		if (o->run.nkeep == (int)ARRAY_LEN(o->run.env_keep) || !*optarg)
			bad = *optarg ? "given too often" : "an empty list";
		else
			o->run.env_keep[o->run.nkeep++] = optarg, o->run.env_clear = 1;
		break;
	case OPT_HOSTNAME:
		bad = !*optarg ? "empty" : strlen(optarg) > 64 ? "longer than 64 bytes" : (o->hostname = optarg, NULL);
		break;
	case OPT_EVACUATE:
		if (!*optarg || strchr(optarg, '/') || !strcmp(optarg, ".") || !strcmp(optarg, "..") || strlen(optarg) > 255)
			bad = "not a cgroup name (one path component)";
		o->evacuate = optarg;
		break;
	case OPT_MONOTONIC:
	case OPT_BOOTTIME:
		p += *optarg == '-';
		if (parse_uint(&p, INT32_MAX, &v) < 0 || *p)
			bad = "not a whole number of seconds";
		o->offset[c == OPT_BOOTTIME] = *optarg == '-' ? -(long long)v : (long long)v;
		o->set_offset[c == OPT_BOOTTIME] = 1;
		break;
	case OPT_PROPAGATION:
		o->propagation = !strcmp(optarg, "private") ? MS_PRIVATE : !strcmp(optarg, "shared") ? MS_SHARED
			       : !strcmp(optarg, "slave") ? MS_SLAVE : !strcmp(optarg, "unchanged") ? 0 : ~0UL;
		bad = o->propagation == ~0UL ? "not private, shared, slave or unchanged" : NULL;
		break;
	case OPT_STATE_DIR: o->state = optarg, o->run.fork = 1; break;
	case OPT_PORT_DRIVER:
		bad = strcmp(optarg, "builtin") ? "not builtin" : (o->builtin = 1, NULL);
		break;
	case OPT_FWD_UNIX:
		bad = o->nfwd == RELAY_FWD ? "given too often" : parse_fwd(&o->fwd[o->nfwd++], optarg);
		break;
	case OPT_COPY_UP:
		if (o->ncopy == (int)ARRAY_LEN(o->copy) || optarg[0] != '/')
			bad = optarg[0] != '/' ? "not an absolute path" : "given too often";
		else
			o->copy[o->ncopy++] = optarg;
		break;
	default: return 0;
	}
	if (bad)
		die_usage("--%s '%s': %s", opt_last.name, optarg, bad);
	return 1;
}

/* What implies what, as util-linux has it, plus rnsbox's own options; then what conflicts. */
static void exec_implied(struct exec_opts *o)
{
	if (o->map_back && (o->run.uid_set || o->run.gid_set))
		die_usage("--map-back: COMMAND runs as the caller; -S and -G are not for it");
	if (o->map_back && !o->map_uid_set && !o->uids.n) /* root, to set up as */
		o->map_uid = o->map_gid = 0, o->map_uid_set = o->map_gid_set = 1;
	if (o->map_uid_set || o->map_gid_set || o->uids.n || o->gids.n || o->owner_set)
		o->flags |= CLONE_NEWUSER;
	if (o->binfmt && !*o->binfmt) { /* no DIR: the one of the new /proc, as util-linux has it */
		if (!(o->flags & CLONE_NEWPID) && !o->run.applet)
			die_usage("--mount-binfmt: without DIR, needs -p (it goes in the new /proc)");
		o->binfmt = "/proc/sys/fs/binfmt_misc";
		o->mount_proc = o->mount_proc ? o->mount_proc : "/proc";
	}
	if (o->binfmt)
		o->flags |= CLONE_NEWUSER | CLONE_NEWNS;
	if (o->set_offset[0] || o->set_offset[1])
		o->flags |= CLONE_NEWTIME;
	if (o->hostname)
		o->flags |= CLONE_NEWUTS; /* never the host's name */
	if (o->evacuate) /* the fresh cgroup2 is rooted at rnsbox's cgroup, and mounted in a namespace of its own */
		o->flags |= CLONE_NEWCGROUP | CLONE_NEWNS;
	nh_check(&o->nh, "--net-helper", o->builtin);
	if (o->nh.name)
		o->flags |= CLONE_NEWNET | CLONE_NEWNS;
	if (o->mount_proc || o->mount_sys || o->ncopy)
		o->flags |= CLONE_NEWNS;
	if (o->persist[ns_index(CLONE_NEWPID)])
		o->run.fork = 1; /* a PID namespace can be pinned only once it has a PID 1 */
	if (o->nh.name && !o->run.kill_sig)
		o->run.kill_sig = SIGKILL; /* the command dies with rnsbox and its helper, as under rootlesskit */
	/* unshare(CLONE_NEWTIME) moves only the children into the new time namespace (exec
	 * moves the caller too only on some kernels), so fork, as util-linux does. */
	if (o->run.kill_sig || o->reaper || o->run.status_fd >= 0 || o->nh.name || (!o->run.applet && (o->flags & CLONE_NEWPID)) ||
	    (o->flags & CLONE_NEWTIME))
		o->run.fork = 1;
	if (o->setgroups == 1 && o->map_gid_set && !o->gids.n)
		die_usage("--setgroups=allow: the kernel takes a one-id gid map only after setgroups is denied");
	if ((o->mount_proc || o->no_init) && !(o->flags & CLONE_NEWPID) && !o->run.applet) /* util-linux mounts it all the same */
		die_usage("%s: needs a new PID namespace (-p)", o->no_init ? "--no-init" : "--mount-proc");
	if (o->mount_sys && !(o->flags & CLONE_NEWNET))
		die_usage("--mount-sys: needs a new network namespace (-n)");
	if (o->nfwd)
		o->flags |= CLONE_NEWNET;
	if (o->builtin && (!(o->flags & CLONE_NEWNET) || !o->nh.nports))
		die_usage("--port-driver=builtin: %s", o->nh.nports ? "needs a new network namespace (-n, or --net-helper)"
								       : "give the ports with --publish");
	for (int i = 0; o->builtin && i < o->nh.nports; i++)
		if (o->nh.ports[i].udp)
			die_usage("--publish %d/udp: the builtin port driver relays TCP only", o->nh.ports[i].host);
	if (o->builtin || o->nfwd) /* the relay runs in the supervisor; the command dies with it */
		o->run.fork = 1, o->run.kill_sig = o->run.kill_sig ? o->run.kill_sig : SIGKILL;
	char buf[PATH_MAX];
	for (int ns = 0; ns < NS_COUNT; ns++)
		if (o->persist[ns] && shared_pin(o->persist[ns], buf, sizeof(buf)))
			die_hint(EX_USAGE, "join it with 'rnsbox nsenter --shared=DIR'",
				 "--%s=%s: a shared namespace's pin; no new one is pinned over it",
				 ns_table[ns].longopt, o->persist[ns]);
}

static void exec_parse(struct exec_opts *o, int argc, char **argv)
{
	int c;
	while ((c = opt_get(argc, argv, o->run.applet ? &unshare_set : &exec_set)) != -1) {
		switch (c) {
		case OPT_NS: /* a later bare -n keeps the FILE of an earlier --net=FILE, as util-linux does */
			o->flags |= ns_table[opt_ns].flag;
			o->persist[opt_ns] = optarg ? optarg : o->persist[opt_ns];
			break;
		case OPT_FORWARD: o->run.fork = o->run.forward = 1; break; /* util-linux 2.42; rnsbox exec forwards anyway */
		case OPT_CLEAR_ENV: o->run.env_clear = 1; break;
		case OPT_BLOCK_FD: o->block_fd = parse_fd("--block-fd", optarg); break;
		case OPT_STATUS_FD: o->run.status_fd = parse_fd("--json-status-fd", optarg); break;
		case 'f': o->run.fork = 1; break;
		case OPT_MOUNT_PROC: o->mount_proc = optarg ? optarg : "/proc"; break;
		case OPT_MOUNT_SYS: o->mount_sys = 1; break;
		case 'l': /* util-linux: implies --mount-binfmt */
		case OPT_BINFMT:
			o->interp = c == 'l' ? optarg : o->interp;
			o->binfmt = c == OPT_BINFMT && optarg ? optarg : o->binfmt ? o->binfmt : "";
			break;
		case OPT_NO_LO: o->no_lo = 1; break;
		case OPT_KILL_CHILD: o->run.kill_sig = parse_kill(optarg); break;
		case OPT_REAPER: o->reaper = 1; break;
		case OPT_NO_INIT: o->no_init = 1; break;
		case OPT_DRY_RUN: diag.dry |= 1; break;
		case OPT_DRY_JSON: diag.dry |= 4; break;
		case OPT_MAP_BACK: o->map_back = 1; break;
		case 'R': o->root = optarg; break;
		case 'w': o->wd = optarg; break;
		case OPT_KEEP_CAPS: o->run.keep_caps = 1; break;
		default:
			if (c >= OPT_NH && c <= OPT_NH_IPV6)
				nh_option(&o->nh, c, optarg, argc, argv);
			else if (!exec_opt_ids(o, c) && !exec_opt_values(o, c))
				die_option(c, argv);
		}
	}
	if (optind < argc)
		o->run.argv = argv + optind;
	dry_set();
	exec_idmaps(o);
	exec_implied(o);
}

static int cmd_exec_as(int argc, char **argv, int applet)
{
	/* util-linux leaves loopback down */
	struct exec_opts o = {EXEC_OPTS_INIT, .run = {RUN_INIT, .applet = applet}, .no_lo = applet};
	exec_parse(&o, argc, argv);
	return exec_run(&o);
}

static int cmd_exec(int argc, char **argv)
{
	return cmd_exec_as(argc, argv, 0);
}

static int cmd_unshare(int argc, char **argv)
{
	return cmd_exec_as(argc, argv, AS_UNSHARE);
}

/*==== 13. nsenter (and the nsenter applet) ====*/

/*
 * rnsbox nsenter (and the nsenter applet): join the namespaces of a process or those
 * pinned at files, then run a command there, as util-linux nsenter does. One
 * setns(pidfd, flags) joins a target's namespaces at once (Linux 5.8); where that is
 * refused, each namespace is joined by its own fd in two passes, the user namespace
 * first (to gain privilege over the others) and what failed retried in the second pass,
 * so that an error names the namespace and the file.
 */
struct nsenter_opts {
	struct run run;       /* the command: ids, fork, exec */
	const char *file[NS_COUNT];
	int want;             /* CLONE_NEW* to join */
	pid_t target;         /* 0: none */
	int all, preserve, no_fork, user_parent, env, join_cgroup;
	int sock;             /* -N: the target's fd of a socket; -1: none */
	const char *root, *wd; /* "" means the target's */
	const char *wdns;     /* -W: a working directory as the joined namespaces see it */
	char fdpath[2][24];   /* /proc/self/fd/N of the fds -N and --user-parent found */
	const char *shared;   /* --shared DIR */
	char pin[PATH_MAX];   /* DIR/netns */
	int via_keeper;       /* a pin was joined through its keeper, and the keeper's user namespace */
	int follow;           /* -S follow (1), -G follow (2): the target's uid, gid */
	unsigned long long ino; /* --target=PID:INODE: its pidfd's inode; 0: none */
	int pidfd;            /* the target's, once checked; -1: none */
};

enum { OPT_PRESERVE = 300, OPT_USER_PARENT, OPT_NS_SHARED };

static const struct opts nsenter_set = {
	"usage: rnsbox nsenter [OPTION]... [--] [COMMAND [ARG]...]\n"
	"Run COMMAND (default $SHELL) in the namespaces of a process or of pinned files.\n",
	NULL,
	(const struct opt[]){
		OPT("target", "PID[:INODE]\tthe process whose namespaces to join (INODE: its pidfd's)", 't', ARG_REQ),
		OPT("all", "\tevery namespace of PID that differs from ours", 'a', 0),
		OPT("setuid", "UID\tthe uid to take (0 after -U; follow: the target's)", 'S', ARG_REQ),
		OPT("setgid", "GID\tthe gid to take (0 after -U; follow: the target's)", 'G', ARG_REQ),
		OPT("preserve-credentials", "\tkeep our uid, gid and groups", OPT_PRESERVE, 0),
		OPT("root", "DIR\tchroot to DIR (default: the target's root)", 'r', ARG_OPT),
		OPT("wd", "DIR\tchdir to DIR (default: the target's working directory)", 'w', ARG_OPT),
		OPT("wdns", "DIR\tchdir to DIR as the joined namespaces see it", 'W', ARG_REQ),
		OPT("no-fork", "\tno fork after joining a PID namespace", 'F', 0),
		OPT("kill-child", "SIG\tSIG (KILL) to the forked child if rnsbox dies", OPT_KILL_CHILD, ARG_OPT),
		OPT("net-socket", "FD\tthe network namespace of the target's socket FD", 'N', ARG_REQ),
		OPT("user-parent", "\tthe parent of the target's (or -U FILE's) user namespace", OPT_USER_PARENT, 0),
		OPT("join-cgroup", "\tthe target's cgroup (v2)", 'c', 0),
		OPT("env", "\tthe target's environment", 'e', 0),
		OPT("keep-caps", "\tkeep the joined user namespace's capabilities across exec", OPT_KEEP_CAPS, 0),
		OPT("shared", "DIR\tnewns --shared=DIR's network namespace and resolv.conf", OPT_NS_SHARED, ARG_REQ),
		{0},
	},
	ARG_OPT, "FILE\tnamespace: join the target's, or the one pinned at FILE",
};

/* Once every option is read: what needs a target, and what excludes what. */
static void nsenter_check(const struct nsenter_opts *o)
{
	if (o->wdns && o->wd)
		die_usage("--wdns and --wd exclude each other");
	if (!o->target && (o->sock >= 0 || o->env || o->join_cgroup || o->follow))
		die_usage("%s: needs a target process (-t)", o->sock >= 0 ? "--net-socket" : o->env ? "--env"
			  : o->follow ? "-S/-G follow" : "--join-cgroup");
	if (!o->target && (o->all || (o->root && !*o->root) || (o->wd && !*o->wd)))
		die_usage("%s: needs a target process (-t)", o->all ? "--all" : o->root && !*o->root ? "--root" : "--wd");
	for (int ns = 0; ns < NS_COUNT; ns++)
		if ((o->want & ns_table[ns].flag) && !o->file[ns] && !o->target)
			die_usage("--%s: neither a file nor a target process (-t) given", ns_table[ns].longopt);
	if (!o->want && !o->all && o->sock < 0 && !o->user_parent)
		die_usage("no namespace to join: name one (-n, --net=FILE, ...) or --all");
}

static void nsenter_parse(struct nsenter_opts *o, int argc, char **argv)
{
	unsigned long long v;
	const char *p;
	int c;
	while ((c = opt_get(argc, argv, &nsenter_set)) != -1) {
		switch (c) {
		case OPT_NS:
			o->want |= ns_table[opt_ns].flag;
			o->file[opt_ns] = optarg ? optarg : o->file[opt_ns];
			break;
		case 't': /* PID, or PID:INODE (util-linux 2.42) */
			p = optarg;
			if (parse_uint(&p, INT32_MAX, &v) < 0 || !v ||
			    (*p && (*p++ != ':' || parse_uint(&p, UINT64_MAX, &o->ino) < 0 || *p || !o->ino)))
				die_usage("--target: '%s' is not PID or PID:INODE", optarg);
			o->target = (pid_t)v;
			break;
		case 'N':
			p = optarg;
			if (parse_uint(&p, INT32_MAX, &v) < 0 || *p)
				die_usage("--net-socket: '%s' is not a file descriptor number", optarg);
			o->sock = (int)v;
			break;
		case 'a': o->all = 1; break;
		case 'S':
		case 'G':
			if (strcmp(optarg, "follow") == 0)
				o->follow |= c == 'S' ? 1 : 2;
			else if (c == 'S')
				o->run.uid = parse_id("--setuid", optarg, 0);
			else
				o->run.gid = parse_id("--setgid", optarg, 1);
			*(c == 'S' ? &o->run.uid_set : &o->run.gid_set) = 1;
			break;
		case OPT_PRESERVE: o->preserve = 1; break;
		case 'r': o->root = optarg ? optarg : ""; break;
		case 'w': o->wd = optarg ? optarg : ""; break;
		case 'F': o->no_fork = 1; break;
		case OPT_KILL_CHILD: o->run.kill_sig = parse_kill(optarg); break;
		case OPT_USER_PARENT: o->user_parent = 1; break;
		case 'c': o->join_cgroup = 1; break;
		case OPT_KEEP_CAPS: o->run.keep_caps = 1; break;
		case 'e': o->env = 1; break;
		case 'W': o->wdns = optarg + (*optarg == '='); break;
		case OPT_NS_SHARED:
			sfmt(o->pin, sizeof(o->pin), "%s/netns", o->shared = optarg);
			o->file[ns_index(CLONE_NEWNET)] = o->pin, o->want |= CLONE_NEWNET;
			break;
		default: die_option(c, argv);
		}
	}
	if (optind < argc)
		o->run.argv = argv + optind;
	nsenter_check(o);
}

/* The file of a namespace to join: FILE as given, or the target's /proc/PID/ns/NAME. */
static const char *nsenter_path(const struct nsenter_opts *o, int ns, char *buf, size_t size)
{
	if (o->file[ns])
		return o->file[ns];
	/* A process joins the PID and time namespaces its children will have. */
	sfmt(buf, size, "/proc/%d/ns/%s", (int)o->target, ns_table[ns].name);
	return buf;
}

/*
 * With --all: every namespace of the target that exists (the kernel may lack a type)
 * and is not already ours (same device and inode), since setns into one's own user
 * namespace is refused.
 */
static void nsenter_all(struct nsenter_opts *o)
{
	char path[64], self[32];
	struct stat a, b;
	for (int ns = 0; ns < NS_COUNT; ns++) {
		if (o->file[ns])
			continue;
		sfmt(path, sizeof(path), "/proc/%d/ns/%s", (int)o->target, ns_table[ns].name);
		sfmt(self, sizeof(self), "/proc/self/ns/%s", ns_table[ns].name);
		if (stat(path, &a) < 0) {
			if (errno == ENOENT && kill(o->target, 0) == 0)
				continue;
			die_errno("--all: stat %s", path);
		}
		if (stat(self, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			continue;
		o->want |= ns_table[ns].flag;
	}
}

/* Join every wanted namespace; dies naming the first that cannot be joined. */
static void nsenter_join(struct nsenter_opts *o)
{
	char path[64], kpath[PATH_MAX];
	int fd[NS_COUNT], err[NS_COUNT], only_target = 1;
	for (int ns = 0; ns < NS_COUNT; ns++)
		if (o->file[ns])
			only_target = 0;
	if (!o->want)
		return; /* --all found every namespace already ours */
	if (only_target) {
		long pidfd = o->pidfd >= 0 ? o->pidfd : sys_pidfd_open(o->target, 0);
		if (pidfd < 0 && errno == ESRCH)
			die("--target %d: no such process", (int)o->target);
		int rc = pidfd >= 0 ? setns((int)pidfd, o->want) : -1;
		if (pidfd >= 0 && pidfd != o->pidfd)
			close((int)pidfd); /* --target=PID:INODE's is kept for nsenter_alive */
		if (rc == 0)
			return;
	}
	/*
	 * Open every file first: once in another mount namespace, the paths change. A rootless
	 * shared namespace's pin is opened through its keeper, whose user namespace is joined
	 * too (as the caller, who is root there) unless another is named.
	 */
	for (int ns = 0; ns < NS_COUNT; ns++) {
		const char *p = o->want & ns_table[ns].flag ? nsenter_path(o, ns, path, sizeof(path)) : NULL;
		int sh = p ? shared_pin(p, kpath, sizeof(kpath)) : 0;
		fd[ns] = -1;
		if (p && p == o->pin && !sh)
			die_hint(EX_FAIL, "'rnsbox newns --shared=DIR acquire' makes one",
				 "--shared %s: no shared network namespace is pinned there", o->shared);
		if (sh == 2 && (p = kpath) && !(o->want & CLONE_NEWUSER) && !o->via_keeper)
			o->via_keeper = 1, o->file[0] = "(the keeper's user namespace)"; /* the table starts with user */
		if (p && (fd[ns] = open(p, O_RDONLY | O_CLOEXEC)) < 0)
			die_errno("open %s", p);
		if (sh == 2 && o->via_keeper && fd[0] < 0 && (fd[0] = ioctl(fd[ns], NS_GET_USERNS)) < 0)
			die_errno("NS_GET_USERNS %s", p);
	}
	ns_join(fd, err);
	for (int ns = 0; ns < NS_COUNT; ns++) {
		if (!err[ns]) {
			if (fd[ns] >= 0)
				close(fd[ns]);
			continue;
		}
		die_hint(EX_FAIL, err[ns] == EINVAL ? "the file is not a namespace of that type, or is our own user namespace"
				 : err[ns] == EPERM ? "joining needs CAP_SYS_ADMIN over the namespace: join its user namespace too (-U)"
						    : NULL,
			 "setns %s (%s): %s", ns_table[ns].name, nsenter_path(o, ns, path, sizeof(path)), strerror(err[ns]));
	}
}

/*
 * --target=PID:INODE (util-linux 2.42): refused unless PID's pidfd has inode INODE (pidfs,
 * Linux 6.9, numbers them uniquely while the system runs), i.e. PID is still the process
 * meant; the pidfd is kept for nsenter_alive.
 */
static void nsenter_pidfd(struct nsenter_opts *o)
{
	struct statfs sf;
	struct stat st;
	if ((o->pidfd = (int)sys_pidfd_open(o->target, 0)) < 0 || fstatfs(o->pidfd, &sf) < 0 || fstat(o->pidfd, &st) < 0)
		die_errno("--target %d: pidfd_open", (int)o->target);
	if (sf.f_type != PIDFS_MAGIC || (unsigned long long)st.st_ino != o->ino)
		die_hint(EX_FAIL, sf.f_type != PIDFS_MAGIC ? "pidfds have inodes of their own from Linux 6.9 (pidfs)" : NULL,
			 "--target %d:%llu: its pidfd's inode is %llu", (int)o->target, o->ino, (unsigned long long)st.st_ino);
}

/* Once every /proc/PID file is open: a target that has ended since might have been another by then. */
static void nsenter_alive(const struct nsenter_opts *o)
{
	struct pollfd p = {.fd = o->pidfd, .events = POLLIN};
	if (o->pidfd >= 0 && poll(&p, 1, 0) != 0)
		die("--target %d: ended while being joined", (int)o->target);
}

/*
 * Open the root or working directory to use later, before the mount namespace changes;
 * "" (the target's own) becomes /proc/PID/WHAT in buf, so messages name it. -1 for none.
 */
static int nsenter_dir(const struct nsenter_opts *o, const char **dir, const char *what, char buf[64])
{
	int fd;
	if (!*dir)
		return -1;
	if (!**dir) {
		sfmt(buf, 64, "/proc/%d/%s", (int)o->target, what);
		*dir = buf;
	}
	if ((fd = open(*dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		die_errno("open %s", *dir);
	return fd;
}

/* Join the namespace of fd, one rnsbox found itself, as if it were a file given: /proc/self/fd/N. */
static void nsenter_fd(struct nsenter_opts *o, int ns, int fd, int slot)
{
	sfmt(o->fdpath[slot], sizeof(o->fdpath[slot]), "/proc/self/fd/%d", fd);
	o->file[ns] = o->fdpath[slot];
	o->want |= ns_table[ns].flag;
}

/* -N: the network namespace of the target's socket FD, from a copy of the fd (pidfd_getfd, Linux 5.6). */
static void nsenter_socket(struct nsenter_opts *o)
{
	long pidfd = sys_pidfd_open(o->target, 0), sk = -1;
	int nsfd = -1;
	if (pidfd < 0 || (sk = sys_pidfd_getfd((int)pidfd, o->sock)) < 0 || (nsfd = ioctl((int)sk, SIOCGSKNS)) < 0) {
		int err = errno;
		die_hint(EX_FAIL, err == EBADF ? "the target has no such fd" : err == ENOTTY ? "that fd is not a socket"
				  : err == EPERM ? "copying a process's fd needs the right to ptrace it" : NULL,
			 "--net-socket %d: %s %d: %s", o->sock, pidfd < 0 ? "pidfd_open" : sk < 0 ? "pidfd_getfd" : "SIOCGSKNS",
			 (int)o->target, strerror(err));
	}
	close((int)sk);
	close((int)pidfd);
	nsenter_fd(o, ns_index(CLONE_NEWNET), nsfd, 0);
}

/*
 * --user-parent (util-linux 2.40): the user namespace that owns the one of -U=FILE or the
 * target (its parent), or, with neither, the owner of the first namespace file given.
 */
static void nsenter_user_parent(struct nsenter_opts *o)
{
	char buf[64];
	int u = ns_index(CLONE_NEWUSER), ns = u, fd, parent = -1;
	if (!o->file[u] && !o->target)
		for (ns = 0; ns < NS_COUNT && !o->file[ns]; ns++)
			;
	if (ns == NS_COUNT)
		die_usage("--user-parent: needs a target process (-t) or a namespace file");
	const char *p = nsenter_path(o, ns, buf, sizeof(buf));
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0 || (parent = ioctl(fd, NS_GET_USERNS)) < 0)
		die_hint(EX_FAIL, fd >= 0 && errno == EPERM ? "it is the initial user namespace, or outside ours" : NULL,
			 "--user-parent: %s %s: %s", fd < 0 ? "open" : "NS_GET_USERNS", p, strerror(errno));
	close(fd);
	nsenter_fd(o, u, parent, 1);
}

/*
 * -c: the target's cgroup.procs in the cgroup v2 hierarchy (at /sys/fs/cgroup, or at
 * /sys/fs/cgroup/unified on a hybrid host), opened before any namespace changes what the
 * paths mean. Its path is left in path for messages.
 */
static int nsenter_cgroup(const struct nsenter_opts *o, char *path, size_t size)
{
	static const char *const mnt[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
	char file[32], *line;
	struct statfs sf;
	struct lines l;
	int m = 0, fd;
	while (m < 2 && (statfs(mnt[m], &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC))
		m++;
	if (m == 2)
		die("--join-cgroup: no cgroup v2 hierarchy at /sys/fs/cgroup or /sys/fs/cgroup/unified");
	sfmt(file, sizeof(file), "/proc/%d/cgroup", (int)o->target);
	if (lines_open(&l, file) < 0)
		die_errno("--join-cgroup: open %s", file);
	for (*path = '\0'; (line = lines_next(&l));)
		if (strncmp(line, "0::/", 4) == 0)
			sfmt(path, size, "%s%s/cgroup.procs", mnt[m], line + 3);
	lines_close(&l);
	if (!*path)
		die("--join-cgroup: %s has no cgroup v2 line (0::/PATH)", file);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		die_errno("--join-cgroup: open %s", path);
	return fd;
}

/*
 * -e: make the target's environment ours (its /proc/PID/environ, through the directory fd
 * dir, which stays valid in any mount namespace). 0, or -1 with errno (EACCES: the target
 * is not ours to read yet; E2BIG: over 2 MiB). Anonymous memory rather than malloc, which
 * would cost rnsbox 8 KiB; it is never unmapped: the environment lives until exec.
 */
static int nsenter_env(int dir)
{
	extern char **environ;
	enum { TEXT = 2 << 20, SIZE = 5 * TEXT }; /* virtual: only the pages touched are used */
	size_t len = 0;
	ssize_t k = 1;
	int fd = openat(dir, "environ", O_RDONLY | O_CLOEXEC);
	char *buf = fd < 0 ? MAP_FAILED : mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	while (buf != MAP_FAILED && len < TEXT && (k = read(fd, buf + len, TEXT - len)) > 0)
		len += (size_t)k;
	if (fd >= 0)
		close(fd);
	if (buf == MAP_FAILED || k < 0 || (len == TEXT && (errno = E2BIG)))
		return -1;
	/* the pointers after the text: room for one every two bytes ("X=" and its NUL take three) */
	char **env = (char **)(void *)(buf + TEXT), **e = env;
	for (char *p = buf; p < buf + len; p += strlen(p) + 1)
		if (strchr(p, '='))
			*e++ = p;
	*e = NULL;
	environ = env;
	return 0;
}

/*
 * -e, before any namespace is joined: hold /proc/PID open as *dir, and take the target's
 * environment now if we may (0); -1 when it is not ours to read until the joined user
 * namespace lets us. Dies on any other error.
 */
static int nsenter_env_early(const struct nsenter_opts *o, char proc[32], int *dir)
{
	int rc;
	sfmt(proc, 32, "/proc/%d", (int)o->target);
	if ((*dir = open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		die_errno("--env: open %s", proc);
	if ((rc = nsenter_env(*dir)) < 0 && errno != EACCES && errno != EPERM)
		die_errno("--env: read %s/environ", proc);
	return rc;
}

/*
 * --shared DIR, once joined: a private mount namespace with DIR's resolv.conf and hosts
 * at /etc (what newns --shared=DIR run gives), when a helper wrote them.
 */
static void nsenter_shared(const struct nsenter_opts *o)
{
	struct nethelper h = NETHELPER_INIT;
	char pidfile[PATH_MAX];
	sfmt(pidfile, sizeof(pidfile), "%s.pid", o->pin);
	if (sh_pid(pidfile, &h) < 0 || !h.name)
		return;
	if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die_errno("make a private mount namespace");
	nh_mounts(&h, NULL, 0, o->shared);
}

static int cmd_nsenter(int argc, char **argv)
{
	struct nsenter_opts o = {.sock = -1, .pidfd = -1, .run = {RUN_INIT, .applet = AS_NSENTER}};
	char rbuf[64], wbuf[64], ibuf[64], proc[32], cgpath[PATH_MAX];
	const char *self = "";
	int cg = -1, dir = -1, env = -1;
	nsenter_parse(&o, argc, argv);
	if (o.ino)
		nsenter_pidfd(&o);
	if (o.all)
		nsenter_all(&o);
	if (o.sock >= 0)
		nsenter_socket(&o);
	if (o.user_parent)
		nsenter_user_parent(&o);
	int root = nsenter_dir(&o, &o.root, "root", rbuf), wd = nsenter_dir(&o, &o.wd, "cwd", wbuf);
	int ids = o.follow ? nsenter_dir(&o, &self, "", ibuf) : -1; /* -S/-G follow: its owner, seen once joined */
	if (o.join_cgroup)
		cg = nsenter_cgroup(&o, cgpath, sizeof(cgpath));
	if (o.env)
		env = nsenter_env_early(&o, proc, &dir);
	sigprocmask(SIG_SETMASK, NULL, &o.run.mask);
	nsenter_join(&o);
	nsenter_alive(&o);
	if (o.shared)
		nsenter_shared(&o);
	struct stat st;
	if (ids >= 0 && fstat(ids, &st) < 0)
		die_errno("fstat %s", self);
	if (o.follow & 1)
		o.run.uid = st.st_uid;
	if (o.follow & 2)
		o.run.gid = st.st_gid;
	/* In a user namespace one takes its root unless asked otherwise, as util-linux does. */
	if ((o.want & CLONE_NEWUSER) && !o.preserve) {
		if (!o.run.gid_set)
			o.run.gid = 0, o.run.gid_set = 1;
		if (!o.run.uid_set)
			o.run.uid = 0, o.run.uid_set = 1;
	}
	if (root >= 0 && (fchdir(root) < 0 || chroot(".") < 0))
		die_errno("chroot %s", o.root);
	if (wd >= 0 ? fchdir(wd) < 0 : root >= 0 && chdir("/") < 0)
		die_errno("chdir %s", wd >= 0 ? o.wd : "/");
	if (o.wdns && chdir(o.wdns) < 0)
		die_errno("--wdns: chdir %s", o.wdns);
	if (env < 0 && dir >= 0 && nsenter_env(dir) < 0)
		die_errno("--env: read %s/environ", proc);
	if (cg >= 0 && write(cg, "0", 1) != 1) /* "0": the writer itself */
		die_errno("--join-cgroup: write %s", cgpath);
	run_ids(&o.run);
	if (o.run.keep_caps && (o.want & CLONE_NEWUSER))
		run_keep_caps();
	/* setns(CLONE_NEWPID) moves only the children: fork so the command lives there. */
	if (((o.want & CLONE_NEWPID) && !o.no_fork) || o.run.kill_sig)
		fork_supervised(&o.run, 0);
	if (o.run.kill_sig)
		run_kill_child(&o.run);
	run_command(&o.run);
}

/*==== 14. newns ====*/

/*
 * rnsbox newns: namespaces that outlive every process, pinned by bind mounts of their
 * nsfs files, made without moving the caller; the network of a new one configured over
 * rtnetlink; pins removed and listed. Phases: parse and check every argument (nothing is
 * made before that); paths and directories; the pin files, made exclusively; the
 * namespaces and their network; the pins. From the first file made on, a failure undoes
 * all that was made, in reverse order, before rnsbox dies (newns_fail). A SIGKILL can
 * leave at most an empty file at PATH, which the next newns at PATH replaces.
 */

/* One --sysctl, --mtu, --addr, --up or --route (applied in that order), checked before anything is made. */
struct netop {
	int kind;                /* OPT_SYSCTL .. OPT_ROUTE */
	const char *opt, *arg;   /* as given, for messages */
	char dev[IFNAMSIZ];      /* "" for a route without dev= */
	unsigned char family, plen, addr[16], via[16], has_via; /* a route's destination is addr/plen */
	unsigned mtu;
};

enum { OPT_SYSCTL = 256, OPT_MTU, OPT_ADDR, OPT_UP, OPT_ROUTE, OPT_VETH, OPT_EXIST_OK, OPT_NS_NO_LO, OPT_RM, OPT_LIST, OPT_JSON, OPT_SHARED,
       OPT_NS_MAP_USERS, OPT_NS_MAP_GROUPS, OPT_ATTACH };

struct newns_opts {
	int ntypes, types[NS_COUNT]; /* table indices, in --type order, one PATH each */
	int flags, exist_ok, no_lo, json, mode; /* mode: 0 create, OPT_RM, OPT_LIST */
	const char *paths[NS_COUNT];
	char veth[2][IFNAMSIZ];     /* the caller's end, the new namespace's end; "" for none */
	int nops;
	struct netop ops[32];
	/* set while running: what newns_fail undoes */
	char defpath[NS_COUNT][256];
	int made[NS_COUNT];          /* 1: the file was made, 2: and the pin mounted */
	struct nl nl, host;          /* in the new network namespace, and in the caller's (for --veth) */
	struct nethelper nh;         /* --net-helper and its options */
	struct idmap uids, gids;     /* --map-users, --map-groups of a new user namespace */
	pid_t nh_pid;                /* the helper started; 0: none */
	char pidfile[PATH_MAX];      /* its pid file, once made */
	/* --shared DIR */
	const char *shared;
	int dfd, lock;               /* DIR and its lock file, held locked; -1: not open */
	int keeper;                  /* 1: use the keeper (no CAP_SYS_ADMIN); 2: joined it */
	int keeper_make;             /* acquire and run start one if there is none */
	char absdir[PATH_MAX];       /* DIR made absolute: joining the keeper resets the working directory */
	char pin[PATH_MAX];          /* DIR/netns */
	sigset_t caller_mask;        /* the signal mask rnsbox started with, for run's CMD */
	pid_t attach;                /* --attach: pin this process's namespaces; 0: make new ones */
	pid_t session;               /* an exec --state-dir session's command (sh_pinned); 0: none */
	char etc[PATH_MAX];          /* /etc/netns/NAME, for a helper's resolv.conf there; "" none */
	int etc_made;                /* 1: its resolv.conf is being made or was (newns_fail removes it) */
};

/*
 * Delete the veth pair asked for, if it was made: by its peer's name in the new namespace,
 * which only rnsbox uses, so never another's device of the caller's; the pair goes with
 * either end. Whether the kernel's answer to the request that made it was read or not (a
 * failed read leaves a pair rnsbox has no record of) does not matter. Called where the
 * socket in the new namespace is open (rnsbox or its child in it); ENODEV: none was made.
 */
static void newns_unveth(struct newns_opts *o)
{
	if (o->veth[0][0] && o->nl.fd >= 0)
		link_set(&o->nl, o->veth[1], 0, 0, 1);
}

/* A device name for an option: 1 to 15 bytes (the kernel's IFNAMSIZ - 1). Dies naming the option. */
static void parse_dev(const struct netop *op, const char *s, size_t len, char dev[IFNAMSIZ])
{
	if (len == 0 || len >= IFNAMSIZ)
		die_usage("%s %s: device name '%.*s' is not 1 to %d bytes", op->opt, op->arg, (int)len, s, IFNAMSIZ - 1);
	memcpy(dev, s, len);
	dev[len] = '\0';
}

/* --route default|PREFIX[,via=GW][,dev=DEV]: default is IPv4 unless GW is IPv6. */
static void parse_route(struct netop *op)
{
	const char *s = op->arg;
	size_t len = strcspn(s, ",");
	unsigned char plen;
	if (!(len == 7 && strncmp(s, "default", 7) == 0) && parse_prefix(s, len, &op->family, op->addr, &op->plen) < 0)
		die_usage("--route %s: '%.*s' is not default or ADDR/PREFIX", s, (int)len, s);
	for (s += len; *s++ == ',';) {
		len = strcspn(s, ",");
		if (strncmp(s, "dev=", 4) == 0)
			parse_dev(op, s + 4, len - 4, op->dev);
		else if (strncmp(s, "via=", 4) || parse_prefix(s + 4, len - 4, &op->has_via, op->via, &plen) < 0 ||
			 plen != (op->has_via == AF_INET ? 32 : 128))
			die_usage("--route %s: '%.*s' is not via=ADDRESS or dev=DEVICE", op->arg, (int)len, s);
		s += len;
	}
	if (!op->family)
		op->family = op->has_via ? op->has_via : AF_INET;
	if (op->has_via && op->has_via != op->family)
		die_usage("--route %s: the gateway and the destination are of different address families", op->arg);
	if (!op->has_via && !op->dev[0])
		die_usage("--route %s: needs via=GATEWAY or dev=DEVICE", op->arg);
}

/* Parse one network option into the next netop. Dies with a usage error naming it. */
static void parse_netop(struct newns_opts *o, int kind, const char *opt, const char *arg)
{
	unsigned long long v = 0;
	if (o->nops == (int)ARRAY_LEN(o->ops))
		die_usage("more than %d network options", (int)ARRAY_LEN(o->ops));
	struct netop *op = &o->ops[o->nops++];
	const char *eq = strchr(arg, '='), *p = eq ? eq + 1 : "";
	*op = (struct netop){.kind = kind, .opt = opt, .arg = arg};
	if (kind == OPT_ROUTE)
		return parse_route(op);
	if (kind == OPT_UP)
		return parse_dev(op, arg, strlen(arg), op->dev);
	if (!eq)
		die_usage("%s %s: expected %s", opt, arg, kind == OPT_SYSCTL ? "net.KEY=VALUE" : kind == OPT_MTU ?
			  "DEVICE=MTU" : "DEVICE=ADDRESS[/PREFIX]");
	if (kind == OPT_SYSCTL) { /* dotted, or slashed as sysctl(8) also takes it; never out of net */
		if ((strncmp(arg, "net.", 4) && strncmp(arg, "net/", 4)) || contains(arg, "..") || eq - arg > 120)
			die_usage("--sysctl %s: only net.* sysctls belong to a network namespace", arg);
		return;
	}
	parse_dev(op, arg, (size_t)(eq - arg), op->dev);
	if (kind == OPT_MTU && (parse_uint(&p, INT32_MAX, &v) < 0 || *p || !v))
		die_usage("--mtu %s: '%s' is not an MTU", arg, eq + 1);
	op->mtu = (unsigned)v;
	if (kind == OPT_ADDR && parse_prefix(p, strlen(p), &op->family, op->addr, &op->plen) < 0)
		die_usage("--addr %s: '%s' is not an IPv4 or IPv6 ADDRESS[/PREFIX]", arg, p);
}

/* The /proc/sys file of a --sysctl KEY=VALUE that parse_netop took (KEY at most 120 bytes). */
static void sysctl_path(const char *arg, char path[140])
{
	size_t len = strcspn(arg, "=");
	int slashed = memchr(arg, '/', len) != NULL;
	memcpy(path, "/proc/sys/", 10);
	for (size_t i = 0; i < len; i++)
		path[10 + i] = arg[i] == '.' && !slashed ? '/' : arg[i];
	path[10 + len] = '\0';
}

/* Write a --sysctl KEY=VALUE under /proc/sys; it is the calling process's netns that counts. 0 or -errno. */
static int sysctl_write(const char *arg)
{
	char path[140];
	sysctl_path(arg, path);
	return write_file(path, arg + strcspn(arg, "=") + 1) < 0 ? -errno : 0;
}

/*
 * One network option, in the new namespace through o->nl, or, for the caller's end of
 * the veth pair (--addr=HOST=..., --up=HOST, --mtu=HOST=..., a route with dev=HOST), in
 * the caller's namespace through o->host: what it adds there goes with the pair.
 */
static int netop_apply(struct newns_opts *o, const struct netop *op, struct result *r)
{
	struct nl *nl = o->veth[0][0] && !strcmp(op->dev, o->veth[0]) ? &o->host : &o->nl;
	int rc;
	if (op->kind == OPT_SYSCTL)
		rc = sysctl_write(op->arg);
	else if (op->kind == OPT_MTU || op->kind == OPT_UP)
		rc = link_set(nl, op->dev, op->kind == OPT_UP, op->mtu, 0);
	else if (op->kind == OPT_ADDR)
		rc = addr_add(nl, op->dev, op->family, op->addr, op->plen);
	else
		rc = route_add(nl, op->family, op->addr, op->plen, op->has_via ? op->via : NULL, op->dev);
	if (rc < 0)
		result_fail(r, NULL, "%s %s: %s", op->opt, op->arg, strerror(-rc));
	return rc;
}

/*
 * The network of the new namespace, from a process inside it (rnsbox itself or its
 * child): loopback; the veth pair, made through o->host (opened in the caller's network
 * namespace before it was left) with its peer moved in here and set up; then the
 * options, sysctls first. A veth pair made is deleted again on failure.
 */
static int newns_net(struct newns_opts *o, struct result *r)
{
	int rc = nl_open(&o->nl), fd;
	if (rc < 0 || (!o->no_lo && (rc = link_up(&o->nl, "lo")) < 0)) {
		result_fail(r, NULL, "%s: %s", o->nl.fd < 0 ? "netlink socket" : "bring loopback up", strerror(-rc));
		return -1;
	}
	if (o->veth[0][0]) {
		if ((fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
			rc = -errno;
		else
			rc = veth_add(&o->host, o->veth[0], o->veth[1], fd);
		if (fd >= 0)
			close(fd);
		if (rc == 0)
			rc = link_up(&o->nl, o->veth[1]);
		if (rc < 0) {
			result_fail(r, rc == -EPERM ? "a veth pair needs CAP_NET_ADMIN over both network namespaces" : NULL,
				    "--veth %s:%s: %s", o->veth[0], o->veth[1], strerror(-rc));
			goto undo;
		}
	}
	for (int kind = OPT_SYSCTL; kind <= OPT_ROUTE; kind++)
		for (int i = 0; i < o->nops; i++)
			if (o->ops[i].kind == kind && netop_apply(o, &o->ops[i], r) < 0)
				goto undo;
	return 0;
undo:
	newns_unveth(o);
	return -1;
}

/* Declared ahead: the first acquire of a shared namespace that fails also ends its keeper. */
static void sh_unkeep(struct newns_opts *o);

/* Whether etc/resolv.conf is rnsbox's (its first line NETNS_ETC_MARK); with rm, removed if so. */
static int netns_etc_ours(const char *etc, int rm)
{
	char file[PATH_MAX + 16], head[sizeof(NETNS_ETC_MARK)];
	sfmt(file, sizeof(file), "%s/resolv.conf", etc);
	int ours = read_small(AT_FDCWD, file, O_NOFOLLOW, head, sizeof(head)) > 0 && !strcmp(head, NETNS_ETC_MARK);
	if (ours && rm && unlink(file) < 0)
		warn("unlink %s: %s", file, strerror(errno));
	return ours;
}

/* --rm of a pin at /run/netns/NAME: rnsbox's /etc/netns/NAME/resolv.conf, and the directory if empty. */
static void newns_unetc(const char *path)
{
	char etc[PATH_MAX];
	if (strncmp(path, "/run/netns/", 11) || strchr(path + 11, '/'))
		return;
	sfmt(etc, sizeof(etc), "/etc/netns/%s", path + 11);
	netns_etc_ours(etc, 1);
	rmdir(etc); /* only if empty: what is not rnsbox's stays */
}

/* Undo what newns made, in reverse order (the veth pair, the pins, the files), and die. */
__attribute__((noreturn)) static void newns_fail(struct newns_opts *o, const struct result *r)
{
	if (nh_stop(o->nh_pid) < 0) { /* it may run: its pin, pid file and DIR stay for --rm or gc to end it */
		warn("%s: kept while its network helper may run; %s ends both", o->paths[0],
		     o->shared ? "--shared gc" : "newns --rm");
		die_hint(r->sig ? 128 + r->sig : EX_FAIL, r->hint[0] ? r->hint : NULL, "%s", r->msg);
	}
	if (o->pidfile[0])
		unlink(o->pidfile);
	if (o->etc_made)
		newns_unetc(o->paths[0]);
	newns_unveth(o);
	for (int i = o->ntypes; i-- > 0;) {
		if (o->made[i] > 1)
			umount2(o->paths[i], MNT_DETACH | UMOUNT_NOFOLLOW);
		if (o->made[i])
			unlink(o->paths[i]);
	}
	if (o->dfd >= 0) /* the first acquire of a shared namespace: nothing is left */
		sh_unkeep(o);
	for (int k = 0; o->dfd >= 0 && k < 4; k++)
		unlinkat(o->dfd, (const char *[]){"resolv.conf", "hosts", "api.sock", "lock"}[k], 0);
	die_hint(r->sig ? 128 + r->sig : EX_FAIL, r->hint[0] ? r->hint : NULL, "%s", r->msg);
}

/*
 * The directory of network namespace pins meant to be seen from other mount namespaces
 * ($RUNTIME_DIR/netns, /run/netns): made 0755 if missing and made a shared mount (bound
 * on itself first if it is not a mount point), as ip netns does, so a pin made later
 * also shows in mount namespaces copied from this one.
 */
static void netns_dir(const char *dir)
{
	if (mkdir(dir, 0755) == 0)
		chmod(dir, 0755); /* whatever the umask */
	else if (errno != EEXIST)
		die_errno("mkdir %s", dir);
	if (dir_propagation(dir, MS_SHARED) < 0)
		die_errno("make %s a shared mount", dir);
}

/*
 * A pin's path as given: a PATH (with a slash) as it is; a NAME (without), as ip netns
 * names network namespaces, at /run/netns/NAME for root, $RUNTIME_DIR/netns/NAME for
 * others (made, as netns_dir makes it). flag: the type (0: unknown yet, --rm).
 */
static const char *newns_name(const char *arg, char *buf, size_t size, int flag)
{
	char rt[200];
	if (strchr(arg, '/'))
		return arg;
	if (!*arg || !strcmp(arg, ".") || !strcmp(arg, "..") || strlen(arg) > 200)
		die_usage("'%s': not a NAME (one path component) or a PATH", arg);
	if (flag && flag != CLONE_NEWNET)
		die_usage("%s: a NAME is for --type net, as in ip netns; give a PATH for --type %s", arg,
			  ns_table[ns_index(flag)].name);
	const char *dir = "/run/netns";
	if (getuid()) {
		size_t n = strlen(state_dir(rt, sizeof(rt)));
		sfmt(rt + n, sizeof(rt) - n, "/netns");
		if (flag)
			netns_dir(rt);
		dir = rt;
	}
	sfmt(buf, size, "%s/%s", dir, arg);
	return buf;
}

/*
 * The paths: one given for each type (newns_name), or made under the runtime directory
 * with one random name (16 bytes from getrandom): netns/net-UUID for a network
 * namespace, ns/TYPE-UUID for the others (state_dir).
 */
static void newns_paths(struct newns_opts *o, int n, char **paths)
{
	char rt[200], uuid[40];
	unsigned char id[16];
	size_t u = 0;
	if (n && n != o->ntypes)
		die_usage("%d namespace types need %d paths, not %d", o->ntypes, o->ntypes, n);
	for (int i = 0; i < n; i++) {
		o->paths[i] = newns_name(paths[i], o->defpath[i], sizeof(o->defpath[i]), ns_table[o->types[i]].flag);
		if (strncmp(o->paths[i], "/run/netns/", 11) == 0 && !strchr(o->paths[i] + 11, '/'))
			netns_dir("/run/netns"); /* ip netns's directory, for ip netns exec */
	}
	if (n)
		return;
	if (getrandom(id, sizeof(id), 0) != sizeof(id))
		die_errno("getrandom");
	for (int i = 0; i < 16; i++)
		u = sfmt_at(uuid, sizeof(uuid), u, "%s%02x", i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "", id[i]);
	const char *base = state_dir(rt, sizeof(rt));
	for (int i = 0; i < o->ntypes; i++) {
		int net = ns_table[o->types[i]].flag == CLONE_NEWNET;
		sfmt(o->defpath[i], sizeof(o->defpath[i]), "%s/%s", base, net ? "netns" : "ns");
		if (net)
			netns_dir(o->defpath[i]);
		else if (mkdir(o->defpath[i], 0755) < 0 && errno != EEXIST)
			die_errno("mkdir %s", o->defpath[i]);
		size_t len = strlen(o->defpath[i]);
		if ((size_t)sfmt(o->defpath[i] + len, sizeof(o->defpath[i]) - len, "/%s-%s",
				     ns_table[o->types[i]].name, uuid) >= sizeof(o->defpath[i]) - len)
			die("%s: path too long", base);
		o->paths[i] = o->defpath[i];
	}
}

/* The pin file for type i (pin_file); 1 when a live pin is reused (--exist-ok). */
static int newns_file(struct newns_opts *o, int i)
{
	struct result r = {0};
	int made = pin_file(o->paths[i], ns_table[o->types[i]].flag, o->exist_ok, &r);
	if (made < 0)
		newns_fail(o, &r);
	o->made[i] = made == 0;
	return made;
}

/*
 * A user or mount namespace cannot be made by rnsbox itself: it could not come back to
 * pin a mount namespace in the caller's, nor come back from a user namespace (a PID
 * namespace, which would need a PID 1 to stay, is refused: newns_check_types). A child
 * makes all of the namespaces then, sets their network up, reports, and waits
 * (child_start's protocol) while rnsbox pins them from /proc/CHILD/ns. A go byte means
 * keep; EOF (rnsbox failed or died) makes the child delete its veth pair first. Returns
 * the child's pid, with c set; 0 or -1 with r set. A dry run does the child's steps
 * itself: its own pid, c->pid 0.
 */
static pid_t newns_child(struct newns_opts *o, struct child *c, struct result *r)
{
	int dry = plan("fork", "a child makes the namespaces, rnsbox pins them from its /proc/PID/ns");
	uint64_t outer = o->flags & CLONE_NEWNS ? mntns_id() : 0;
	char k, names[64], why[40];
	if (dry || child_start(c) == 0) {
		r->ok = 1;
		if (unshare(o->flags) < 0)
			result_fail(r, unshare_hint(errno, o->flags), "unshare %s: %s",
				    ns_names(o->flags, names, sizeof(names)), strerror(errno));
		else if (o->flags & CLONE_NEWNS)
			mntns_above(outer);
		if (r->ok && (o->flags & CLONE_NEWNET))
			newns_net(o, r);
		if (dry)
			return c->pid = 0, getpid();
		if (child_send(c->fd, r, sizeof(*r)) < 0 || child_recv(c->fd, &k, 1) < 0)
			newns_unveth(o);
		_exit(0);
	}
	if (c->pid < 0)
		result_fail(r, NULL, "fork: %s", strerror(errno));
	else if (child_recv(c->fd, r, sizeof(*r)) < 0)
		result_fail(r, NULL, "the child making the namespaces ended before it reported%s",
			    (child_reap(c, why), c->pid = 0, why));
	return c->pid;
}

/*
 * Where the network helper of the pin at path keeps its pid file (nh_read): DIR/netns.pid
 * for a shared namespace; else helpers/net-INODE in the runtime directory as the caller's
 * uid alone fixes it (XDG_RUNTIME_DIR does not move it, so --rm finds it whatever the
 * caller's environment; sudo strips the variable), by the namespace's inode, so that the
 * pin's directory (/run/netns, which ip netns lists) holds pins only. With make, the
 * directory is made (state_dir_as). "" when path is not a live network namespace pin.
 * A dry run's pin is not made: INODE is 0.
 */
static char *nh_pidfile(const char *shared, const char *path, int make, char *buf, size_t size)
{
	char rt[200];
	const char *src, *dir;
	struct stat st = {0};
	buf[0] = '\0';
	if (shared) {
		sfmt(buf, size, "%s/netns.pid", shared);
	} else if ((make && diag.dry) || (pin_kind(path) == CLONE_NEWNET && stat(path, &st) == 0)) {
		dir = make ? state_dir_as(rt, sizeof(rt), 0) : runtime_dir_as(rt, sizeof(rt), &src, 0);
		sfmt(buf, size, "%s/helpers", dir);
		if (make && mkdir(buf, 0700) < 0 && errno != EEXIST)
			die_errno("mkdir %s", buf);
		sfmt(buf, size, "%s/helpers/net-%llu", dir, (unsigned long long)st.st_ino);
	}
	return buf;
}

/*
 * --net-helper for the network namespace pinned at path: the helper started on it (from
 * the caller's network namespace), its device configured by a child that enters the
 * namespace, and its pid file made (nh_pidfile; one left by a namespace gone before
 * with the same inode is replaced). 0, or -1 with r set (newns_fail ends the helper and
 * removes the pid file). A dry run made no namespace: its steps are those for rnsbox's.
 */
static int newns_helper(struct newns_opts *o, const char *path, struct result *r)
{
	struct nh_child c = {&o->nh, open(diag.dry ? "/proc/self/ns/net" : path, O_RDONLY | O_CLOEXEC), {0}};
	char pidfile[PATH_MAX], api[PATH_MAX], why[32];
	int st;
	if (c.fd < 0)
		return result_fail(r, NULL, "open %s: %s", path, strerror(errno)), -1;
	nh_pidfile(o->shared, path, 1, pidfile, sizeof(pidfile)); /* it may die: before the helper runs */
	if (o->shared)
		sfmt(api, sizeof(api), "%s/api.sock", o->shared);
	else
		sfmt(api, sizeof(api), "%s.sock", pidfile);
	o->nh.state = pidfile;
	/* Write-ahead: the pid file says a helper is being started (pid 0) before it is, and
	 * has its pid as soon as it runs, before it is configured; a SIGKILL anywhere in
	 * between leaves a helper that --rm and gc find (by the file, or by its marks). */
	if (nh_write(pidfile, &o->nh, 0) < 0)
		return result_fail(r, NULL, "create %s: %s", pidfile, strerror(errno)), close(c.fd), -1;
	memcpy(o->pidfile, pidfile, sizeof(pidfile));
	if ((o->nh_pid = nh_start(&o->nh, c.fd, api, o->shared != NULL, r)) < 0)
		o->nh_pid = 0;
	else if (nh_write(pidfile, &o->nh, o->nh_pid) < 0)
		result_fail(r, NULL, "create %s: %s", pidfile, strerror(errno));
	else if (in_child(nh_config_child, &c, sizeof(c), &st) < 0)
		result_fail(r, NULL, "the child configuring %s ended before it reported, %s", NH_DEV, wait_why(st, why));
	else if (!c.r.ok)
		*r = c.r;
	close(c.fd);
	return r->ok ? 0 : -1;
}

/*
 * With a helper, for a pin at /run/netns/NAME: /etc/netns/NAME/resolv.conf with the
 * helper's DNS (its first line NETNS_ETC_MARK), which ip netns exec binds over
 * /etc/resolv.conf. Recorded (etc_made) before it is made; one there that is not
 * rnsbox's is left alone, with a warning.
 */
static void newns_etc(struct newns_opts *o, struct result *r)
{
	const char *name = o->paths[0] + 11;
	if (getuid() || strncmp(o->paths[0], "/run/netns/", 11) || strchr(name, '/'))
		return;
	char file[PATH_MAX + 16];
	int rc = -1;
	sfmt(o->etc, sizeof(o->etc), "/etc/netns/%s", name);
	sfmt(file, sizeof(file), "%s/resolv.conf", o->etc);
	if ((mkdir("/etc/netns", 0755) < 0 && errno != EEXIST) || (mkdir(o->etc, 0755) < 0 && errno != EEXIST))
		return result_fail(r, NULL, "mkdir %s: %s", o->etc, strerror(errno));
	o->etc_made = 1; /* newns_fail removes rnsbox's file there, and the directory if empty */
	int dfd = open(o->etc, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 && diag.dry) /* a dry run did not make it: the file by its whole path */
		dfd = AT_FDCWD;
	for (int k = 0; dfd != -1 && k < 2 && (rc = nh_etc_file(&o->nh, dfd, dfd == AT_FDCWD ? file : "resolv.conf", 2)) < 0 &&
			errno == EEXIST; k++)
		if (k || !netns_etc_ours(o->etc, 1)) /* rnsbox's, left by a newns killed: replaced */
			warn("%s exists, not rnsbox's: left as it is", file), rc = 0, k = 2;
	if (rc < 0)
		result_fail(r, NULL, "create %s: %s", file, strerror(errno));
	if (dfd >= 0)
		close(dfd);
}

/* The paths made, one a line, with one write; where the caller cannot learn them, all is undone. None in a dry run. */
static int newns_print(struct newns_opts *o)
{
	struct result r = {.ok = 1};
	struct out out = {.fmt = FMT_TEXT};
	for (int i = 0; !diag.dry && i < o->ntypes; i++) {
		out_s(&out, o->paths[i]);
		out_s(&out, "\n");
	}
	if (out_commit(&out) < 0) {
		result_fail(&r, NULL, "write the paths to standard output: %s", strerror(errno));
		newns_fail(o, &r);
	}
	return EX_OK;
}

static int newns_create(struct newns_opts *o, int n, char **paths)
{
	struct result r = {.ok = 1};
	char src[64], self[16] = "self", names[64];
	int rc, live = 0;
	struct child child = {0, -1};
	if (!cap_effective(21 /* CAP_SYS_ADMIN */))
		die_hint(EX_FAIL, RUN_AS_ROOT,
			 "creating and pinning namespaces needs CAP_SYS_ADMIN, which this process lacks");
	newns_paths(o, n, paths);
	for (int i = 0; i < o->ntypes; i++)
		live += newns_file(o, i);
	int pidfd = o->attach ? (int)sys_pidfd_open(o->attach, 0) : -1; /* it stays the process meant */
	if (live && live < o->ntypes)
		result_fail(&r, NULL, "--exist-ok: some of the paths are live pins and some are not");
	else if (o->attach && pidfd < 0)
		result_fail(&r, NULL, "--attach %d: %s", (int)o->attach, errno == ESRCH ? "no such process" : strerror(errno));
	else if (o->attach)
		sfmt(self, sizeof(self), "%d", (int)o->attach);
	else if (live == 0 && o->veth[0][0] && (rc = nl_open(&o->host)) < 0)
		result_fail(&r, NULL, "netlink socket: %s", strerror(-rc));
	else if (live == 0 && ((o->flags & (CLONE_NEWUSER | CLONE_NEWNS)) || o->nh.name)) {
		pid_t pid = newns_child(o, &child, &r);
		sfmt(self, sizeof(self), "%d", (int)pid);
		for (int k = 0; r.ok && pid > 0 && (o->flags & CLONE_NEWUSER) && k < 2; k++)
			map_write(pid, k, k ? &o->gids : &o->uids, &r); /* before the pins: a joiner finds the maps */
	} else if (live == 0 && unshare(o->flags) < 0) /* rnsbox stays in them: it exits soon */
		result_fail(&r, unshare_hint(errno, o->flags), "unshare %s: %s", ns_names(o->flags, names, sizeof(names)),
			    strerror(errno));
	else if (live == 0 && (o->flags & CLONE_NEWNET))
		newns_net(o, &r);
	for (int k = 0; r.ok && !live && k < 2 * o->ntypes; k++) { /* a mount namespace first (pin_mount) */
		int i = k % o->ntypes, ns = o->types[i], flag = ns_table[ns].flag;
		if ((flag == CLONE_NEWNS) != (k < o->ntypes))
			continue;
		sfmt(src, sizeof(src), "/proc/%s/ns/%s%s", self, ns_table[ns].name,
			 flag == CLONE_NEWTIME && !o->attach ? "_for_children" : "");
		if (pin_mount(src, ns, o->paths[i], &r) == 0)
			o->made[i] = 2;
	}
	if (child.pid > 0) {
		char why[40];
		if (r.ok && child_send(child.fd, "k", 1) < 0)
			result_fail(&r, NULL, "release the child: %s", strerror(errno));
		child_reap(&child, why);
	}
	if (r.ok && !live && o->nh.name && newns_helper(o, o->paths[0], &r) == 0) /* only for --type net */
		newns_etc(o, &r);
	struct pollfd gone = {.fd = pidfd, .events = POLLIN};
	if (r.ok && pidfd >= 0 && poll(&gone, 1, 0) != 0) /* it ended: the pid may have named another since */
		result_fail(&r, NULL, "--attach %d: the process ended while its namespaces were pinned", (int)o->attach);
	if (pidfd >= 0)
		close(pidfd);
	if (r.ok && (r.sig = sig_pending()) > 0) { /* a held signal came while the work was done */
		char sn[8];
		result_fail(&r, NULL, "interrupted by SIG%s: what was made is undone", sig_name(r.sig, sn));
	}
	if (!r.ok)
		newns_fail(o, &r);
	return o->shared ? EX_OK : newns_print(o);
}

/*
 * The network helper serving the network namespace of inode ino, found by the marks
 * nh_spawn puts first in its environment, whatever runtime directory its state went to
 * (the caller of --rm may not have the XDG_RUNTIME_DIR of the one who made it): the pid,
 * with its state file's path in state; 0 if there is none; -1 if /proc cannot be read.
 */
static pid_t nh_find(unsigned long long ino, char *state, size_t size)
{
	char path[40], env[PATH_MAX + 64], want[40];
	struct dents d;
	const char *name;
	pid_t found = 0;
	sfmt(want, sizeof(want), "RNSBOX_NETNS=%llu", ino);
	if (dents_open(&d, AT_FDCWD, "/proc") < 0)
		return -1;
	while (!found && (errno = 0, name = dents_next(&d))) {
		unsigned long long pid;
		if (parse_uint(&name, INT32_MAX, &pid) < 0 || *name || !nh_alive((pid_t)pid))
			continue;
		sfmt(path, sizeof(path), "/proc/%d/environ", (int)pid);
		ssize_t n = read_small(AT_FDCWD, path, 0, env, sizeof(env));
		if (n < 0 && errno != ENOENT && errno != ESRCH && errno != EACCES) /* gone, or not ours: not it */
			break; /* errno: /proc cannot tell */
		if (strcmp(env, want) == 0 && n > (ssize_t)strlen(want) + 20 && !strncmp(env + strlen(want) + 1, "RNSBOX_HELPER_STATE=", 20)) {
			sfmt(state, size, "%s", env + strlen(want) + 21);
			found = (pid_t)pid;
		}
	}
	int err = errno;
	close(d.fd);
	errno = err;
	return found || !err ? found : -1;
}

/*
 * End the network helper of the network namespace (of inode ino; 0: not one) that was
 * pinned at a path: the one pidfile names, or else, where the pid file records a helper
 * being started (pid 0: rnsbox was killed before it knew the pid), the one nh_find finds
 * (a read of every process's stat, which a plain pin does not pay for). Its state goes
 * too. 0, or -1 (reported, as is a helper that cannot be looked for).
 */
static int newns_unhelper(const char *pidfile, unsigned long long ino)
{
	struct nethelper h;
	char state[PATH_MAX], sock[PATH_MAX + 8];
	pid_t pid = *pidfile ? nh_read(pidfile, &h) : 0;
	if (pid < 0) {
		warn("read %s: %s; its network helper, if it runs, keeps the namespace", pidfile, strerror(errno));
		return -1;
	}
	sfmt(state, sizeof(state), "%s", pidfile);
	if (!pid && ino && *pidfile && access(pidfile, F_OK) == 0 && (pid = nh_find(ino, state, sizeof(state))) < 0) {
		warn("look for the network helper of namespace %llu: /proc: %s; if one runs, it keeps the namespace", ino,
		     strerror(errno));
		return -1;
	}
	if (nh_stop(pid) < 0)
		return -1; /* its record stays */
	for (int k = 0; *state && k < 3; k++) /* the pid file, the API socket, nh_write's temporary file */
		if (sfmt(sock, sizeof(sock), "%s%s", state, (const char *[]){"", ".sock", ".tmp"}[k]), unlink(sock) < 0 &&
		    errno != ENOENT) {
			warn("unlink %s: %s", sock, strerror(errno));
			return -1;
		}
	return 0;
}

/* A number in a file of DIR (dfd), 0 if it is missing; dies if it cannot be read. */
static unsigned long long sh_num(int dfd, const char *name)
{
	char buf[24];
	const char *p = buf;
	unsigned long long v = 0;
	if (read_small(dfd, name, O_NOFOLLOW, buf, sizeof(buf)) < 0 && errno != ENOENT)
		die_errno("read %s", name); /* a count that cannot be read is no zero */
	return parse_uint(&p, ~0ULL, &v) < 0 ? 0 : v;
}

/*
 * The veth pairs of the network namespace pinned at path whose other end is in the
 * caller's network namespace (veth_ends): its links, named from /proc/self/net/dev, each
 * with its peer's index (IFLA_LINK); a link of that index here whose own peer is that
 * link is one end.
 * The kernel deletes the pair only once the namespace is freed, after the last pin is
 * gone, asynchronously: --rm waits for these ends (veth_wait), so that a pair made again
 * at once with the same names does not meet the old one.
 */
struct veth_probe {
	int nlinks, n, idx[8], peer[8];
	char link[8][IFNAMSIZ]; /* its links but lo, from /proc/self/net/dev */
};

/* The names of the links of the namespace /proc/self/net/dev was opened in, lo aside (closes l). */
static void veth_names(struct veth_probe *v, struct lines *l)
{
	char *line;
	while ((line = lines_next(l)) && v->nlinks < 8) { /* "  eth0: 1234 ...", after two lines of headings */
		char *name = line + strspn(line, " "), *colon = strchr(name, ':');
		if (colon && (*colon = '\0', strcmp(name, "lo")))
			sfmt(v->link[v->nlinks++], IFNAMSIZ, "%s", name);
	}
	lines_close(l);
}

/* Each named link's index and its peer's (IFLA_LINK), over nl, opened in its namespace (closed here). */
static void veth_peers(struct veth_probe *v, struct nl *nl)
{
	int self, peer;
	for (int i = 0; i < v->nlinks; i++)
		if ((peer = link_peer(nl, 0, v->link[i], &self)) > 0)
			v->idx[v->n] = self, v->peer[v->n++] = peer;
	nl_close(nl);
}

/*
 * The ends here of path's veth pairs (veth_probe), at most max; 0 where none can be found.
 * rnsbox steps in and out of the namespace itself (a netlink socket and /proc/self/net/dev
 * keep the namespace they were opened in), which costs a few syscalls where a child costs
 * a fork; a namespace with no link across to ours costs none of it, one with no link but
 * lo no socket: --rm stays near the floor. Where another user namespace owns it (setns is
 * refused), nothing is waited for.
 */
static int veth_ends(const char *path, int *end, int max)
{
	struct veth_probe v = {0};
	struct lines l;
	struct nl nl;
	int n = 0, self, pin = open(path, O_RDONLY | O_CLOEXEC), linked = 1;
	if (pin >= 0 && nl_open(&nl) == 0) /* no link across to it: nothing to wait for */
		linked = netns_linked(&nl, pin), nl_close(&nl);
	int here = linked ? open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC) : -1, owner = linked && pin >= 0 ? nh_owner(pin) : -1;
	int inside = linked && owner < 0 && pin >= 0 && here >= 0 && setns(pin, CLONE_NEWNET) == 0;
	int names = inside && lines_open(&l, "/proc/self/net/dev") == 0;
	if (names)
		veth_names(&v, &l);
	int sock = names && v.nlinks && nl_open(&nl) == 0;
	if (inside && setns(here, CLONE_NEWNET) < 0)
		die_errno("--rm %s: back into the caller's network namespace", path);
	for (int i = 0; i < 3; i++)
		if ((int[]){pin, here, owner}[i] >= 0)
			close((int[]){pin, here, owner}[i]);
	if (sock)
		veth_peers(&v, &nl);
	if (!v.n || nl_open(&nl) < 0)
		return 0;
	for (int i = 0; i < v.n && n < max; i++)
		if (link_peer(&nl, v.peer[i], NULL, &self) == v.idx[i])
			end[n++] = v.peer[i];
	nl_close(&nl);
	return n;
}

/* Wait, 5 s at most, for the links of these indexes to be gone; say which one is not. */
static void veth_wait(const char *path, const int *end, int n)
{
	struct ifreq ifr = {0};
	int fd = n ? socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0) : -1;
	for (int i = 0; i < n && fd >= 0; i++)
		for (int t = 0; (ifr.ifr_ifindex = end[i], ioctl(fd, SIOCGIFNAME, &ifr) == 0); t++) {
			if (t == 250) {
				warn("%s: its veth pair's end %s is still here after 5 s: something else holds the namespace",
				     path, ifr.ifr_name);
				break;
			}
			poll(NULL, 0, 20);
		}
	if (fd >= 0)
		close(fd);
}

/*
 * --rm: unmount every pin stacked at path (on EBUSY, retried with backoff for about a
 * quarter second, then detached lazily), then unlink it, and end its network helper
 * (shared: the --shared DIR it belongs to, or NULL). A missing path is success. An
 * empty file that is not mounted here is a stale pin, or a pin of another mount
 * namespace: the kernel unmounts it there when the file is unlinked. 0, or -1 (reported).
 */
static int newns_rm(const char *path, const char *shared)
{
	char pidfile[PATH_MAX], dir[PATH_MAX];
	int kind, n = 0, busy = 0, dfd;
	struct stat st;
	const char *slash = strrchr(path, '/');
	/* DIR/netns of newns --shared=DIR with references held (rootless, the pin may live only in
	 * the keeper's mount namespace, and unlinking the file here would unpin it there) */
	sfmt(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + (slash == path) : 1, slash ? path : ".");
	unsigned long long refs = 0;
	if (!shared && !strcmp(slash ? slash + 1 : path, "netns") && (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
		refs = sh_num(dfd, "refcount"), close(dfd);
	if (refs) {
		warn("%s: the pin of --shared=%s, whose holders have %llu reference(s): not removed; the last release does it",
		     path, dir, refs);
		return -1;
	}
	/* while the pin still tells the inode, by which a helper whose pid was never recorded is found */
	unsigned long long ino = (kind = pin_kind(path)) == CLONE_NEWNET && stat(path, &st) == 0 ? st.st_ino : 0;
	int ends[8], nends = ino && !shared && !diag.dry ? veth_ends(path, ends, 8) : 0;
	if (shared || ino)
		nh_pidfile(shared, path, 0, pidfile, sizeof(pidfile));
	else
		pidfile[0] = '\0';
	if (newns_unhelper(pidfile, ino) < 0) /* first: the helper holds the pin open, which makes umount EBUSY */
		return -1;
	for (; kind > 0 && n < 64; kind = diag.dry ? PIN_STALE : pin_kind(path)) { /* a dry run: one pin */
		if (umount2(path, UMOUNT_NOFOLLOW | (busy > 7 ? MNT_DETACH : 0)) == 0) {
			n++;
		} else if (errno == EBUSY) {
			poll(NULL, 0, 1 << busy++); /* 1, 2, 4 .. 128 ms */
		} else {
			warn("umount %s: %s", path, strerror(errno));
			return -1;
		}
	}
	if (kind == PIN_NONE)
		return 0;
	if (kind == PIN_ERR || kind == PIN_OTHER || kind > 0) {
		warn("%s: %s", path, kind == PIN_ERR ? strerror(errno) : kind > 0 ? "more than 64 pins stacked" :
		     "not a namespace pin; not removed");
		return -1;
	}
	if (n == 0)
		warn("%s: not mounted in this mount namespace: a stale pin, or another's (there, removing the file unpins it)",
		     path);
	if (unlink(path) < 0 && errno != ENOENT) {
		warn("unlink %s: %s", path, strerror(errno));
		return -1;
	}
	veth_wait(path, ends, nends);
	return 0;
}

/*
 * The inode of the namespace ioctl req (NS_GET_PARENT, NS_GET_USERNS) gives for fd: lsns's
 * PNS and ONS. 0 where there is none (EINVAL: a type without parents; the initial user
 * namespace) or it is out of the caller's reach (EPERM), as lsns shows them.
 */
static unsigned long long ns_related(int fd, unsigned long req)
{
	struct stat st;
	int r = fd < 0 ? -1 : ioctl(fd, req);
	unsigned long long ino = r >= 0 && fstat(r, &st) == 0 ? (unsigned long long)st.st_ino : 0;
	if (r >= 0)
		close(r);
	return ino;
}

/* --list: every nsfs mount in this mount namespace; mountinfo gives its root as "TYPE:[INODE]". */
static int newns_list(int json)
{
	struct lines l;
	struct out o = {.fmt = json ? FMT_JSON : FMT_TEXT};
	char *rest, *root, *mp, *ino;
	unsigned long long v;
	if (lines_open(&l, "/proc/self/mountinfo") < 0)
		die_errno("open /proc/self/mountinfo");
	if (json)
		out_open(&o, "", '(');
	while ((rest = mountinfo_next(&l, &root, &mp))) {
		if (!contains(rest, " - nsfs ") || !(ino = strchr(root, ':')) || ino[1] != '[')
			continue;
		*ino = '\0';
		ino += 2;
		if (parse_uint((const char **)&ino, ~0ULL, &v) < 0)
			continue;
		int fd = open(mp, O_RDONLY | O_CLOEXEC);
		unsigned long long pns = ns_related(fd, NS_GET_PARENT), ons = ns_related(fd, NS_GET_USERNS);
		if (fd >= 0)
			close(fd);
		if (!json) {
			out_f(&o, "%-6s %-11llu %-11llu %-11llu ", root, v, pns, ons);
			out_escaped(&o, mp);
			out_s(&o, "\n");
			continue;
		}
		out_open(&o, "", '{');
		out_str(&o, "path", mp);
		out_str(&o, "type", root);
		out_u64(&o, "inode", v);
		out_u64(&o, "pns", pns);
		out_u64(&o, "ons", ons);
		out_close(&o);
	}
	if (errno)
		die_errno("read /proc/self/mountinfo");
	lines_close(&l);
	if (json)
		out_close(&o);
	else
		out_flush(&o);
	return EX_OK;
}

/*
 * newns --shared DIR acquire|release|run|info|gc|publish|unpublish|ports: one network
 * namespace with a network helper, shared by reference count, as podman's rootless netns.
 * DIR (made 0700) holds lock, which every verb holds with flock(2) while it works; netns,
 * the pin; netns.pid, the helper; api.sock, slirp4netns's API; keeper, for a user without
 * CAP_SYS_ADMIN (sh_keeper); refcount; info.json; resolv.conf and hosts for run; and holders/PID-START,
 * a file for each process holding references, with their number. The holder is the
 * process that ran acquire or release (rnsbox's parent), or rnsbox itself for run; the
 * start time (field 22 of /proc/PID/stat) in the name keeps a reused pid from passing for
 * it. refcount is the sum over the holders, and gc recomputes it after dropping the
 * holders that are gone. At zero the namespace, the helper and every file but DIR go.
 * proc_start is that start time, or 0 for a process that is gone or a zombie.
 */
/*
 * The holders of a shared namespace, from DIR/holders: their references summed. With
 * prune 1, holders whose process is gone are removed (gc); with 2, all are; either way
 * the references removed are summed instead. With list, the names are listed. With first, the name of one holder is copied there (for a release by a
 * process that holds none).
 */
static unsigned long long sh_holders(struct newns_opts *o, int prune, struct out *list, char first[64])
{
	struct dents d;
	unsigned long long sum = 0, pid, start;
	const char *name, *p;
	if (dents_open(&d, o->dfd, "holders") < 0) {
		if (errno == ENOENT)
			return 0;
		die_errno("read %s/holders", o->shared); /* never "no holders" */
	}
	while ((errno = 0, name = dents_next(&d))) {
		if (*(p = name) == '.')
			continue;
		if (prune == 2 || (prune && (parse_uint(&p, INT32_MAX, &pid) < 0 || *p++ != '-' ||
					     parse_uint(&p, ~0ULL, &start) < 0 || proc_start((pid_t)pid) != start))) {
			if (prune == 1)
				warn("%s: holder %s is gone; its %llu reference(s) are dropped", o->shared, name,
				     sh_num(d.fd, name));
			sum += sh_num(d.fd, name);
			unlinkat(d.fd, name, 0);
			continue;
		}
		sum += prune ? 0 : sh_num(d.fd, name);
		if (list)
			out_str(list, "", name);
		if (first)
			sfmt(first, 64, "%s", name);
	}
	if (d.n < 0)
		die_errno("read %s/holders", o->shared);
	close(d.fd);
	return sum;
}

/* Whether DIR/netns is a live network namespace pin here; dies when that cannot be told. */
static int sh_pinned(struct newns_opts *o)
{
	char buf[24];
	const char *q = buf;
	unsigned long long pid;
	int kind = pin_kind(o->pin);
	if (kind == PIN_ERR)
		die_errno("%s: cannot tell whether it is pinned", o->pin);
	if (kind == PIN_NONE && read_small(o->dfd, "child_pid", O_NOFOLLOW, buf, sizeof(buf)) > 0 &&
	    parse_uint(&q, INT32_MAX, &pid) == 0) /* an exec --state-dir session: live while its command is */
		return (o->session = proc_start((pid_t)pid) ? (pid_t)pid : 0) != 0;
	return kind == CLONE_NEWNET;
}

/* info and info.json: the namespace, its helper and addresses, the count and the holders. */
static void sh_report(struct newns_opts *o, struct out *w)
{
	struct nethelper h = NETHELPER_INIT;
	char pidfile[PATH_MAX], ip[16], cidr[64];
	pid_t pid = sh_pid(nh_pidfile(o->shared, o->pin, 0, pidfile, sizeof(pidfile)), &h);
	int pinned = sh_pinned(o);
	static const char *const net[] = {"device", "address", "gateway", "dns", "mtu", "host_loopback", "ipv6", "mode"};
	out_open(w, "", '{');
	char path[32];
	out_str(w, "netns", o->session ? sfmt(path, sizeof(path), "/proc/%d/ns/net", (int)o->session), path : o->pin);
	out_bool(w, "pinned", pinned);
	out_u64(w, "refcount", sh_num(o->dfd, "refcount"));
	out_open(w, "holders", '[');
	sh_holders(o, 0, w, NULL);
	out_close(w);
	long recorded;
	pid_t keeper = o->keeper ? keeper_pid(o->dfd, o->shared, &recorded) : 0;
	char cmd[2 * PATH_MAX + 64], *c = cmd;
	if (keeper) /* util-linux nsenter opens --net=FILE before it joins: the pin as the keeper sees it */
		c += sfmt(cmd, 96, "nsenter -t %d -U --preserve-credentials --net='/proc/%d/root", (int)keeper, (int)keeper);
	else if (o->session) { /* a session: its command's network namespace, and user namespace if not the initial */
		struct stat a;
		sfmt(path, sizeof(path), "/proc/%d/ns/user", (int)o->session);
		int user = stat(path, &a) == 0 && a.st_ino != USERNS_INIT_INO;
		c += sfmt(cmd, 96, "nsenter -t %d%s -n", (int)o->session, user ? " -U --preserve-credentials" : "");
	}
	else
		c += sfmt(cmd, 96, "nsenter --net='");
	for (const char *q = o->pin; !o->session && *q && c < cmd + sizeof(cmd) - 8; q++) /* single-quoted for a shell */
		if (*q == '\'')
			memcpy(c, "'\\''", 4), c += 4;
		else
			*c++ = *q;
	if (!o->session)
		*c++ = '\'';
	*c = '\0';
	if (keeper)
		out_u64(w, "keeper", (unsigned long long)keeper);
	else
		out_none(w, "keeper", "none");
	out_str(w, "nsenter", cmd);
	out_open(w, "helper", '{');
	if (h.name)
		out_str(w, "name", h.name);
	else
		out_none(w, "name", "none");
	out_u64(w, "pid", (unsigned long long)pid);
	out_bool(w, "running", nh_alive(pid));
	out_close(w);
	for (size_t i = 0; !pinned && i < ARRAY_LEN(net); i++) /* no namespace: nothing to describe */
		out_none(w, net[i], "none");
	if (!pinned) {
		out_open(w, "ports", '[');
		out_close(w);
		out_close(w);
		return;
	}
	out_str(w, "device", NH_DEV);
	sfmt(cidr, sizeof(cidr), "%s/%u", nh_ip(ip, &h, 100), h.plen);
	out_str(w, "address", cidr);
	out_str(w, "gateway", nh_ip(ip, &h, 2));
	out_str(w, "dns", nh_ip(ip, &h, 3));
	out_u64(w, "mtu", h.mtu);
	out_bool(w, "host_loopback", !h.no_host_lo);
	out_bool(w, "ipv6", h.ipv6);
	out_str(w, "mode", h.host_mode ? "host" : "slirp");
	out_open(w, "ports", '[');
	for (int i = 0; i < h.nports; i++)
		out_str(w, "", nh_port_str(&h.ports[i], cidr, sizeof(cidr)));
	out_close(w);
	out_close(w);
}

/* Replace a file of DIR (info.json when text is NULL): a temporary file made exclusively, renamed over it. */
static void sh_put(struct newns_opts *o, const char *name, const char *text)
{
	char tmp[64];
	sfmt(tmp, sizeof(tmp), ".%s.tmp", name);
	unlinkat(o->dfd, tmp, 0);
	int fd = openat(o->dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		die_errno("create %s/%s", o->shared, tmp);
	if (!text) {
		struct out w = {.fmt = FMT_JSON, .fd = fd};
		sh_report(o, &w);
	} else if (write_all(fd, text, strlen(text)) < 0) {
		die_errno("write %s/%s", o->shared, tmp);
	}
	close(fd);
	if (renameat(o->dfd, tmp, o->dfd, name) < 0)
		die_errno("rename %s/%s", o->shared, tmp);
}

/* End the keeper (SIGKILL through a pidfd, its pid checked after the open) and remove DIR/keeper. */
static void sh_unkeep(struct newns_opts *o)
{
	long recorded;
	int pfd = -1;
	pid_t pid = keeper_pid(o->dfd, o->shared, &recorded);
	if (pid > 0 && (pfd = (int)sys_pidfd_open(pid, 0)) >= 0 && keeper_pid(o->dfd, o->shared, &recorded) == pid)
		syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
	if (pfd >= 0)
		close(pfd);
	if (recorded >= 0)
		unlinkat(o->dfd, "keeper", 0);
}

/*
 * Start a keeper: in its own session, with the caller's ids as root inside, on no fd of
 * the caller's; it reports once its namespaces are made and waits for the go byte, which
 * rnsbox sends only once DIR/keeper records it (write-ahead: a keeper rnsbox dies before
 * recording sees EOF and ends); then it pauses until it is killed. Returns its pid; dies
 * on failure, with nothing left running.
 */
static pid_t keeper_start(struct newns_opts *o)
{
	char buf[48], k, why[40];
	uint32_t uid[2] = {0, geteuid()}, gid[2] = {0, getegid()};
	struct child c;
	if (child_start(&c) < 0)
		die_errno("start the keeper");
	if (c.pid == 0) {
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		setsid();
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0 || idmap_self("deny", uid, gid))
			die_errno("the keeper: make its user and mount namespaces");
		if (child_send(c.fd, "k", 1) < 0 || child_recv(c.fd, &k, 1) < 0 || nul < 0 || dup2(nul, 0) < 0 ||
		    dup2(nul, 1) < 0 || dup2(nul, 2) < 0 || chdir("/") < 0)
			_exit(EX_FAIL);
		sys_close_range(3, ~0u, 0);
		for (;;)
			pause();
	}
	if (child_recv(c.fd, &k, 1) < 0)
		die("start the keeper: it ended before its namespaces were made%s", (child_reap(&c, why), why));
	sfmt(buf, sizeof(buf), "%d %llu\n", (int)c.pid, proc_start(c.pid));
	sh_put(o, "keeper", buf); /* dies (the keeper then sees EOF and ends) */
	if (child_send(c.fd, "k", 1) < 0)
		die("start the keeper: it ended%s", (child_reap(&c, why), why));
	close(c.fd);
	return c.pid;
}

/*
 * Called with DIR locked: join the keeper, user namespace first. A keeper that is gone
 * took its mount namespace and the pin with it: its references are dropped and its helper
 * ended (the repair that acquire and gc make). With make, a missing keeper is started
 * (keeper_start); without, a verb finds nothing pinned. A keeper started here that cannot
 * be joined is ended again. Dies on failure.
 */
static void sh_keeper(struct newns_opts *o, int make)
{
	char path[48], pidfile[PATH_MAX];
	struct nethelper h = NETHELPER_INIT;
	long recorded;
	int made = 0;
	pid_t pid = keeper_pid(o->dfd, o->shared, &recorded);
	if (recorded >= 0 && !pid) {
		warn("%s: its keeper (pid %ld) is gone, and the namespace with it; its references are dropped", o->shared,
		     recorded);
		sh_holders(o, 2, NULL, NULL);
		int kept = nh_stop(sh_pid(nh_pidfile(o->shared, o->pin, 0, pidfile, sizeof(pidfile)), &h)) < 0;
		for (int k = kept; k < 4; k++) /* its pid file stays while it may run */
			unlinkat(o->dfd, (const char *[]){"netns.pid", "api.sock", "refcount", "keeper"}[k], 0);
	}
	if (!pid && !make)
		return;
	if (!pid)
		pid = keeper_start(o), made = 1;
	int fd[NS_COUNT], err[NS_COUNT], bad = -1;
	for (int k = 0; k < NS_COUNT; k++) {
		fd[k] = -1;
		if (ns_table[k].flag != CLONE_NEWUSER && ns_table[k].flag != CLONE_NEWNS)
			continue;
		sfmt(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns_table[k].name);
		if (bad < 0 && (fd[k] = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			bad = k, err[k] = errno;
	}
	if (bad < 0 && ns_join(fd, err))
		for (bad = 0; !err[bad]; bad++)
			;
	for (int k = 0; k < NS_COUNT; k++)
		if (fd[k] >= 0)
			close(fd[k]);
	if (bad >= 0) {
		if (made)
			sh_unkeep(o);
		errno = err[bad];
		die_errno("join the keeper: /proc/%d/ns/%s", (int)pid, ns_table[bad].name);
	}
	o->keeper = 2;
}

/*
 * Open DIR (made 0700 if missing) and take the lock. A teardown removes the lock file
 * while holding it, so a process that waited for it checks that what it locked is still
 * DIR/lock, and tries again if not.
 */
static void sh_lock(struct newns_opts *o)
{
	struct stat a, b;
	if (mkdir(o->shared, 0700) < 0 && errno != EEXIST)
		die_errno("mkdir %s", o->shared);
	if (o->dfd < 0 && (o->dfd = open(o->shared, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		die_errno("open %s", o->shared);
	for (;;) {
		o->lock = openat(o->dfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (o->lock < 0 || flock(o->lock, LOCK_EX) < 0)
			die_errno("lock %s/lock", o->shared);
		if (fstat(o->lock, &a) == 0 && fstatat(o->dfd, "lock", &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_ino == b.st_ino)
			break;
		close(o->lock);
	}
	if (o->keeper == 1)
		sh_keeper(o, o->keeper_make);
}

/* Change the references of holder name (or of process pid) by delta. Returns the count it had. */
static unsigned long long sh_hold(struct newns_opts *o, const char *name, pid_t pid, int delta)
{
	char buf[64], text[24];
	if (!name)
		sfmt(buf, sizeof(buf), "%d-%llu", (int)pid, proc_start(pid));
	name = name ? name : buf;
	if (mkdirat(o->dfd, "holders", 0700) < 0 && errno != EEXIST)
		die_errno("mkdir %s/holders", o->shared);
	int dir = openat(o->dfd, "holders", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), fd = -1;
	if (dir < 0)
		die_errno("open %s/holders", o->shared);
	unsigned long long had = sh_num(dir, name), now = had + (unsigned long long)(long long)delta;
	int n = sfmt(text, sizeof(text), "%llu\n", now);
	if (!had && delta < 0) {
		close(dir);
		return 0;
	}
	if (now ? (fd = openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0 ||
			  write_all(fd, text, (size_t)n) < 0
		: unlinkat(dir, name, 0) < 0 && errno != ENOENT)
		die_errno("update %s/holders/%s", o->shared, name);
	if (fd >= 0)
		close(fd);
	close(dir);
	return had;
}

/* At zero: the pin and the helper gone (newns_rm), then every file of DIR, the lock last. 0 or -1. */
static int sh_down(struct newns_opts *o)
{
	/* sh_put's temporary files too: a writer killed between create and rename leaves one */
	static const char *const files[] = {".refcount.tmp", ".info.json.tmp", ".keeper.tmp", "refcount", "info.json",
					    "resolv.conf", "hosts", "api.sock", "child_pid", ".child_pid.tmp", "holders", "lock"};
	int rc = newns_rm(o->pin, o->shared);
	sh_unkeep(o);
	for (size_t i = 0; i < ARRAY_LEN(files); i++)
		if (unlinkat(o->dfd, files[i], i == ARRAY_LEN(files) - 2 ? AT_REMOVEDIR : 0) < 0 && errno != ENOENT) {
			warn("remove %s/%s: %s", o->shared, files[i], strerror(errno));
			rc = -1;
		}
	return rc;
}

/* After a change: refcount and info.json rewritten from the holders, or at zero, sh_down. */
static int sh_sync(struct newns_opts *o)
{
	char text[24];
	unsigned long long n = sh_holders(o, 0, NULL, NULL);
	if (n == 0)
		return sh_down(o);
	sfmt(text, sizeof(text), "%llu\n", n);
	sh_put(o, "refcount", text);
	sh_put(o, "info.json", NULL);
	return 0;
}

/*
 * exec --state-dir DIR: the session as a holder of DIR, laid out as --shared's, so that
 * newns --shared=DIR's info, ports, publish, unpublish and gc work on it (the namespace
 * is the command's, named by DIR/child_pid; the helper's pid file and API socket are
 * DIR's). delta 1 when it starts (refused while DIR has live holders), -1 when it ends
 * (at zero every file goes); with child, DIR/child_pid. Dies on failure.
 */
static int sh_session(const char *dir, int delta, pid_t child)
{
	struct newns_opts o = {.dfd = -1, .shared = dir};
	char text[24];
	if (!(o.shared = abs_path(dir, o.absdir, sizeof(o.absdir))))
		die("%s %s: cannot make it an absolute path", "--state-dir", dir);
	sfmt(o.pin, sizeof(o.pin), "%s/netns", o.shared);
	sh_lock(&o);
	if (delta > 0 && (sh_holders(&o, 1, NULL, NULL), sh_holders(&o, 0, NULL, NULL))) /* the gone dropped first */
		die("--state-dir %s: held by a live process", dir);
	if (child)
		sfmt(text, sizeof(text), "%d\n", (int)child), sh_put(&o, "child_pid", text);
	if (delta)
		sh_hold(&o, NULL, getpid(), delta);
	int rc = sh_sync(&o);
	close(o.lock);
	close(o.dfd);
	return rc;
}

/*
 * acquire: on first use the namespace is made (newns_create with the helper) with its
 * resolv.conf and hosts; a namespace whose helper is not running gets it started again
 * with the settings in its pid file; then holder gains a reference. A namespace that is
 * not pinned here while live processes hold references lives in another mount
 * namespace (another exec -Urm session of the user) or was unpinned by hand: their
 * references are kept and acquire refuses, rather than make a second namespace.
 */
static void sh_acquire(struct newns_opts *o, pid_t holder)
{
	struct result r = {.ok = 1};
	char pidfile[PATH_MAX], *paths[1] = {o->pin}, first[64] = "";
	unsigned long long live;
	sh_lock(o);
	nh_pidfile(o->shared, o->pin, 0, pidfile, sizeof(pidfile));
	int kind = sh_pinned(o) ? CLONE_NEWNET : 0, nports = o->nh.nports;
	pid_t pid = sh_pid(pidfile, &o->nh);
	if (kind == CLONE_NEWNET && nports)
		die_usage("--publish: %s is made already; publish on it with 'newns --shared DIR publish SPEC'", o->shared);
	if (kind == CLONE_NEWNET && !nh_alive(pid)) {
		struct stat st;
		warn("%s: the network helper (pid %d) is not running; starting it again", o->shared, (int)pid);
		/* pid 0: one was being started when its rnsbox was killed; it may run, found by its marks */
		if (!pid && (stat(o->pin, &st) < 0 || newns_unhelper(pidfile, st.st_ino) < 0))
			die("%s: the helper being started before may run; not starting another", o->shared);
		if (newns_helper(o, o->pin, &r) < 0) {
			nh_stop(o->nh_pid);
			die_hint(EX_FAIL, r.hint[0] ? r.hint : NULL, "%s", r.msg);
		}
	} else if (kind != CLONE_NEWNET) {
		sh_holders(o, 1, NULL, NULL); /* the references of holders that are gone go */
		if ((live = sh_holders(o, 0, NULL, first))) {
			sh_sync(o);
			die_hint(EX_FAIL, "use it from the mount namespace it was made in; its references are kept",
				 "%s: live processes hold %llu reference(s) (holder %s), but nothing is pinned at %s in this "
				 "mount namespace", o->shared, live, first, o->pin);
		}
		if (nh_stop(pid) < 0) /* the helper of a namespace that nobody holds any more */
			die("%s: not made again while the helper of the old namespace may run", o->shared);
		unlink(pidfile);
		newns_create(o, 1, paths);
		for (int k = 0; k < 2; k++) {
			const char *name = k ? "hosts" : "resolv.conf";
			if (unlinkat(o->dfd, name, 0), nh_etc_file(&o->nh, o->dfd, name, k) < 0) {
				result_fail(&r, NULL, "create %s/%s: %s", o->shared, name, strerror(errno));
				newns_fail(o, &r);
			}
		}
	}
	sh_hold(o, NULL, holder, 1);
	sh_sync(o);
}

/* release: holder loses a reference (or, holding none, another holder does), never below zero. */
static int sh_release(struct newns_opts *o, pid_t holder)
{
	char other[64] = "";
	sh_lock(o);
	if (!sh_hold(o, NULL, holder, -1)) {
		if (sh_holders(o, 0, NULL, other), other[0]) {
			warn("%s: process %d holds no reference; releasing one of holder %s's", o->shared, (int)holder, other);
			sh_hold(o, other, 0, -1);
		} else {
			warn("%s: the reference count is already zero; it stays zero", o->shared);
		}
	}
	return sh_sync(o);
}

static void sh_run_done(void *arg, pid_t child)
{
	sh_release(arg, getpid());
}

/*
 * run: acquire for rnsbox itself, which forks and supervises CMD (fork_supervised) and
 * releases once CMD has ended; CMD runs in the shared network namespace and a private
 * mount namespace with DIR's resolv.conf and hosts at /etc.
 */
__attribute__((noreturn)) static void sh_run(struct newns_opts *o, char **argv)
{
	struct run e = {RUN_INIT, .fork = 1, .argv = argv, .kill_sig = SIGKILL, .at_end = {{sh_run_done, o}}};
	struct nethelper h = NETHELPER_INIT;
	char pidfile[PATH_MAX];
	sh_acquire(o, getpid());
	close(o->lock); /* the others go on while CMD runs */
	sh_pid(nh_pidfile(o->shared, o->pin, 0, pidfile, sizeof(pidfile)), &h);
	int fd = open(o->pin, O_RDONLY | O_CLOEXEC);
	e.mask = o->caller_mask;
	fork_supervised(&e, 0);
	if (fd < 0 || nh_enter(fd) < 0)
		die_errno("enter %s", o->pin);
	if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die_errno("make a private mount namespace");
	nh_mounts(&h, NULL, 0, o->shared);
	run_kill_child(&e); /* CMD dies with rnsbox, as under rootlesskit */
	run_command(&e);
}

/*
 * publish SPEC... and unpublish SPEC... on a running shared namespace, through
 * slirp4netns's API socket (pasta takes ports only when it starts), each recorded in the
 * pid file as soon as it is done, so the record matches the helper even when a later
 * SPEC fails; ports lists them. Then info.json is rewritten.
 */
static int sh_ports(struct newns_opts *o, const char *verb, int argc, char **argv)
{
	struct result r = {.ok = 1};
	struct nethelper h = NETHELPER_INIT;
	struct nhport p;
	char pidfile[PATH_MAX], api[PATH_MAX], spec[64], req[96];
	sh_lock(o);
	pid_t pid = sh_pid(nh_pidfile(o->shared, o->pin, 0, pidfile, sizeof(pidfile)), &h);
	if (!sh_pinned(o) || !h.name || !nh_alive(pid))
		die("%s: no shared namespace with a running helper here (acquire makes one)", o->shared);
	if (verb[0] != 'p' || verb[1] != 'o') {
		if (h.name[0] == 'p')
			die_hint(EX_USAGE, "give --publish to the first acquire, or make the namespace with --net-helper=slirp4netns",
				 "--shared %s: pasta takes its ports only when it starts", verb);
		sfmt(api, sizeof(api), "%s/api.sock", o->shared);
		h.api = api;
	}
	for (int i = 0; i < argc; i++) {
		unsigned n;
		const char *why = nh_port(&p, argv[i], &n);
		if (why)
			die_usage("--shared %s: '%s' %s", verb, argv[i], why);
		for (unsigned j = 0; j < n; j++, p.host++, p.guest++) {
			int k = 0;
			while (k < h.nports && !(h.ports[k].udp == p.udp && h.ports[k].host == p.host && !strcmp(h.ports[k].addr, p.addr)))
				k++;
			if (verb[0] == 'p' && (k < h.nports || h.nports == NH_PORTS))
				die("--shared publish %s: %s", argv[i], k < h.nports ? "published already" : "32 ports at most");
			if (verb[0] == 'u' && k == h.nports)
				die("--shared unpublish %s: not published", argv[i]);
			if (verb[0] == 'u')
				sfmt(req, sizeof(req), "{\"execute\": \"remove_hostfwd\", \"arguments\": {\"id\": %u}}\n", h.ports[k].id);
			uint32_t id;
			if (verb[0] == 'p' ? nh_publish(&h, &p, &r) < 0 : slirp_api(api, req, argv[i], &id, &r) < 0)
				die_hint(EX_FAIL, r.hint[0] ? r.hint : NULL, "%s", r.msg);
			if (verb[0] == 'p')
				h.ports[h.nports++] = p;
			else
				memmove(&h.ports[k], &h.ports[k + 1], sizeof(p) * (size_t)(h.nports-- - k - 1));
			if (nh_write(pidfile, &h, pid) < 0)
				die_errno("write %s", pidfile);
		}
	}
	if (verb[0] == 'p' && verb[1] == 'o') {
		struct out w = {.fmt = FMT_TEXT};
		for (int i = 0; i < h.nports; i++)
			out_f(&w, "%s\n", nh_port_str(&h.ports[i], spec, sizeof(spec)));
		out_flush(&w);
		return EX_OK;
	}
	return sh_sync(o) < 0 ? EX_FAIL : EX_OK;
}

/* --shared DIR VERB [ARG]... */
static int newns_shared(struct newns_opts *o, int argc, char **argv)
{
	const char *verb = argc ? argv[0] : "";
	int json = argc == 2 && strcmp(argv[1], "--json") == 0, run = strcmp(verb, "run") == 0;
	const char *dir = o->shared;
	if (!(o->shared = abs_path(dir, o->absdir, sizeof(o->absdir)))) /* joining the keeper resets the cwd */
		die("%s %s: cannot make it an absolute path", "--shared", dir);
	o->keeper = !cap_effective(21 /* CAP_SYS_ADMIN */);
	o->keeper_make = run || !strcmp(verb, "acquire");
	sfmt(o->pin, sizeof(o->pin), "%s/netns", o->shared);
	if (run)
		sh_run(o, argc > 1 + (argc > 1 && !strcmp(argv[1], "--")) ? argv + 1 + !strcmp(argv[1], "--") : NULL);
	int ports = !strcmp(verb, "publish") || !strcmp(verb, "unpublish") || !strcmp(verb, "ports");
	if (ports && (argc > 1) != (verb[1] != 'o'))
		die_usage("--shared %s: %s", verb, argc > 1 ? "takes no argument" : "give one or more [HOSTIP:]HOSTPORT:PORT[/tcp|udp]");
	if (argc > 1 && !(json && !strcmp(verb, "info")) && !ports)
		die_usage("--shared %s: unexpected argument '%s'", verb, argv[1]);
	if (strcmp(verb, "acquire") == 0) {
		sh_acquire(o, getppid());
		return EX_OK;
	}
	if (strcmp(verb, "release") && strcmp(verb, "gc") && strcmp(verb, "info") && !ports)
		die_usage("--shared: '%s' is not acquire, release, run, info, gc, publish, unpublish or ports", verb);
	if ((o->dfd = open(o->shared, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		if (errno != ENOENT || verb[0] == 'i' || ports)
			die_errno("open %s", o->shared);
		if (verb[0] == 'r')
			warn("%s: no shared namespace; the reference count is already zero", o->shared);
		return EX_OK;
	}
	if (verb[0] == 'i') {
		struct out w = {.fmt = json ? FMT_JSON : FMT_TEXT};
		/* the pin is seen from the keeper's mount namespace; after teardown there is no lock to take */
		struct stat st;
		if (o->keeper == 1 && (fstatat(o->dfd, "lock", &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT))
			sh_lock(o), close(o->lock);
		sh_report(o, &w);
		return EX_OK;
	}
	if (verb[0] == 'r')
		return sh_release(o, getppid()) < 0 ? EX_FAIL : EX_OK;
	if (ports)
		return sh_ports(o, verb, argc - 1, argv + 1);
	sh_lock(o);
	sh_holders(o, 1, NULL, NULL);
	return sh_sync(o) < 0 ? EX_FAIL : EX_OK;
}

/*
 * Types that cannot be pinned usefully are refused: a PID namespace whose PID 1 has
 * ended (as a pinned one's has) takes no process, the kernel refuses to fork into it;
 * a user namespace is joined to take ids in it, so it needs its maps, given as
 * userns-handle takes them (the ids are mapped before it is pinned).
 */
static void newns_check_types(const struct newns_opts *o, int autom)
{
	char why[80];
	if (o->flags & CLONE_NEWPID)
		die_hint(EX_USAGE, "keep a process in it instead: rnsbox exec -pf --pid=FILE COMMAND",
			 "--type pid: a pinned PID namespace whose PID 1 has ended can never be joined");
	if (autom)
		die_usage("--map-users, --map-groups: auto and subids are exec's; give INSIDE:OUTSIDE:COUNT");
	if ((o->uids.n || o->gids.n) && !(o->flags & CLONE_NEWUSER))
		die_usage("--map-users, --map-groups: for a new user namespace (--type user)");
	if ((o->flags & CLONE_NEWUSER) && (!o->uids.n || !o->gids.n))
		die_hint(EX_USAGE, "give --map-users and --map-groups, as userns-handle takes them",
			 "--type user: a user namespace without uid and gid maps cannot be joined");
	for (int k = 0; k < 2; k++)
		if (idmap_overlap(k ? &o->gids : &o->uids, why, sizeof(why)))
			die_usage("%s: %s", k ? "--map-groups" : "--map-users", why);
}

static const struct opts newns_set = {
	"usage: rnsbox newns [OPTION]... [PATH]...   |   --rm PATH...   |   --list [--json]\n"
	"   or: rnsbox newns --shared=DIR [--net-helper=...] VERB: acquire|release|gc|info [--json]|\n"
	"       run [--] CMD|publish SPEC...|unpublish SPEC...|ports\n"
	"Pin new namespaces at PATHs ($RUNTIME_DIR/netns/net-UUID, ns/TYPE-UUID), not entering them.\n",
	"--shared: a netns and helper shared by reference count (run holds one while CMD runs).\n",
	(const struct opt[]){
		OPT("type", "LIST\tnet (default), uts, ipc, mnt, cgroup, time, user", 't', ARG_REQ),
		OPT("map-users", "IN:OUT:N\tthe uid map of a new user namespace (repeatable)", OPT_NS_MAP_USERS, ARG_REQ),
		OPT("map-groups", "IN:OUT:N\tits gid map (repeatable)", OPT_NS_MAP_GROUPS, ARG_REQ),
		OPT("exist-ok", "\treuse live pins", OPT_EXIST_OK, 0),
		OPT("attach", "PID\tpin PID's namespaces instead of new ones (as ip netns attach)", OPT_ATTACH, ARG_REQ),
		OPT("no-lo", "\tleave loopback down", OPT_NS_NO_LO, 0),
		OPT("veth", "HOST:NS\ta veth pair, both ends up", OPT_VETH, ARG_REQ),
		OPT("addr", "DEV=ADDR[/LEN]\tan address (this and the next four are repeatable)", OPT_ADDR, ARG_REQ),
		OPT("mtu", "[DEV=]MTU\tDEV's MTU; MTU alone: the helper's", OPT_MTU, ARG_REQ),
		OPT("up", "DEV\tDEV up", OPT_UP, ARG_REQ),
		OPT("sysctl", "net.KEY=VALUE\ta sysctl of the namespace", OPT_SYSCTL, ARG_REQ),
		OPT("route", "ROUTE\tdefault|PREFIX[,via=GW][,dev=DEV] (DEV may be the pair's HOST)", OPT_ROUTE, ARG_REQ),
		NH_ROWS,
		OPT("publish", "SPEC\t[HOSTIP:]HOSTPORT:PORT[/tcp|udp]: a host port to the namespace", 'p', ARG_REQ),
		OPT("rm", "\tunpin the PATHs (ending their helpers)", OPT_RM, 0),
		OPT("list", "\tthe pins here", OPT_LIST, 0),
		OPT("json", "\twith --list: JSON; with --dry-run, JSON lines", OPT_JSON, 0),
		OPT("shared", "DIR\tthe shared netns kept in DIR", OPT_SHARED, ARG_REQ),
		DRY_ROW,
		{0},
	},
	0, NULL,
};

/* --type LIST: names as /proc/PID/ns has them, or as the long options. */
static void newns_types(struct newns_opts *o, const char *list)
{
	for (const char *p = list; *p; p += *p == ',') {
		size_t len = strcspn(p, ",");
		int ns = 0;
		while (ns < NS_COUNT && !((strlen(ns_table[ns].name) == len && !strncmp(p, ns_table[ns].name, len)) ||
					  (strlen(ns_table[ns].longopt) == len && !strncmp(p, ns_table[ns].longopt, len))))
			ns++;
		if (ns == NS_COUNT || (o->flags & ns_table[ns].flag))
			die_usage("--type: '%.*s' is %s", (int)len, p, ns == NS_COUNT ? "not a namespace type" : "given twice");
		o->flags |= ns_table[ns].flag;
		o->types[o->ntypes++] = ns;
		p += len;
	}
}

/* --veth HOST:NS, one pair a namespace (a second would be dropped silently). */
static void newns_veth(struct newns_opts *o, const char *arg)
{
	const char *colon = strchr(arg, ':');
	struct netop op = {.opt = "--veth", .arg = arg};
	if (!colon)
		die_usage("--veth %s: expected HOST:NS (two device names)", arg);
	if (o->veth[0][0])
		die_usage("--veth %s: a second pair (%s:%s is the first); one --veth a namespace", arg, o->veth[0], o->veth[1]);
	parse_dev(&op, arg, (size_t)(colon - arg), o->veth[0]);
	parse_dev(&op, colon + 1, strlen(colon + 1), o->veth[1]);
}

/* Once every option is read: what goes with what. */
static void newns_check(struct newns_opts *o, int argc, int created, int autom)
{
	if (o->mode && created)
		die_usage("--%s takes no other option", o->mode == OPT_RM ? "rm" : "list");
	if (o->json && o->mode != OPT_LIST && !diag.dry)
		die_usage("--json goes with --list or --dry-run");
	if (diag.dry && (o->mode == OPT_LIST || o->shared))
		die_usage("--dry-run: for making and removing pins; --list and --shared's verbs have none");
	diag.dry += diag.dry && o->json;
	if (o->mode == OPT_LIST && optind < argc)
		die_usage("--list takes no PATH");
	if (!o->ntypes) {
		o->flags = CLONE_NEWNET;
		o->types[o->ntypes++] = ns_index(CLONE_NEWNET);
	}
	if ((o->nops || o->veth[0][0] || o->no_lo) && !(o->flags & CLONE_NEWNET))
		die_usage("the network options need a network namespace (--type net)");
	if (o->shared && !o->nh.name)
		o->nh.name = "auto";
	nh_check(&o->nh, "--net-helper or --shared", 0);
	if (o->nh.name && o->flags != CLONE_NEWNET)
		die_usage("--net-helper: only for a network namespace alone (--type net)");
	if (o->shared && (o->mode || o->exist_ok))
		die_usage("--shared takes a verb, not --rm, --list or --exist-ok");
	if (o->attach && (o->nops || o->veth[0][0] || o->no_lo || o->nh.name || o->shared || o->uids.n || o->gids.n))
		die_usage("--attach: the network options, --net-helper, --shared and the maps are for new namespaces");
	if (!o->attach)
		newns_check_types(o, autom);
}

static void newns_parse(struct newns_opts *o, int argc, char **argv)
{
	int c, created = 0, autom = 0;
	while ((c = opt_get(argc, argv, &newns_set)) != -1) {
		created += c != OPT_RM && c != OPT_LIST && c != OPT_JSON && c != OPT_DRY_RUN;
		switch (c) {
		case 't': newns_types(o, optarg); break;
		case OPT_VETH: newns_veth(o, optarg); break;
		case OPT_MTU: /* --mtu=DEV=MTU, or --mtu=MTU for the helper's device */
			if (!strchr(optarg, '='))
				nh_option(&o->nh, OPT_NH_MTU, optarg, argc, argv);
			else
				parse_netop(o, c, "--mtu", optarg);
			break;
		case OPT_SYSCTL: parse_netop(o, c, "--sysctl", optarg); break;
		case OPT_ADDR: parse_netop(o, c, "--addr", optarg); break;
		case OPT_UP: parse_netop(o, c, "--up", optarg); break;
		case OPT_ROUTE: parse_netop(o, c, "--route", optarg); break;
		case 'p': nh_option(&o->nh, OPT_NH_PUBLISH, optarg, argc, argv); break;
		case OPT_SHARED: o->shared = optarg; break;
		case OPT_ATTACH: o->attach = parse_pid("--attach", optarg); break;
		case OPT_NS_MAP_USERS: idmap_parse("--map-users", optarg, &o->uids, &autom); break;
		case OPT_NS_MAP_GROUPS: idmap_parse("--map-groups", optarg, &o->gids, &autom); break;
		case OPT_EXIST_OK: o->exist_ok = 1; break;
		case OPT_NS_NO_LO: o->no_lo = 1; break;
		case OPT_RM:
		case OPT_LIST: o->mode = c; break;
		case OPT_JSON: o->json = 1; break;
		case OPT_DRY_RUN: diag.dry = 1; break;
		default:
			if (c < OPT_NH || c > OPT_NH_IPV6)
				die_option(c, argv);
			nh_option(&o->nh, c, optarg, argc, argv);
		}
	}
	newns_check(o, argc, created, autom);
}

static int cmd_newns(int argc, char **argv)
{
	struct newns_opts o = {.nl.fd = -1, .host.fd = -1, .nh = NETHELPER_INIT, .dfd = -1, .lock = -1};
	int rc = 0;
	sigset_t held;
	newns_parse(&o, argc, argv);
	if (o.nh.name)
		nh_resolve(&o.nh);
	sig_held(&held);
	if (o.shared || o.mode == 0) /* making: undone on TERM, INT, HUP, QUIT, PIPE (sig_held) */
		sigprocmask(SIG_BLOCK, &held, &o.caller_mask);
	if (o.shared)
		return newns_shared(&o, argc - optind, argv + optind);
	if (o.mode == OPT_LIST)
		return newns_list(o.json);
	if (o.mode == 0)
		return newns_create(&o, argc - optind, argv + optind);
	if (optind == argc)
		die_usage("--rm: give the PATH of each pin to remove");
	for (int i = optind; i < argc; i++) {
		char buf[PATH_MAX];
		const char *path = newns_name(argv[i], buf, sizeof(buf), 0);
		int bad = newns_rm(path, NULL);
		if (!bad)
			newns_unetc(path);
		rc |= bad;
	}
	return rc ? EX_FAIL : EX_OK;
}

/*==== 15. userns-handle ====*/

/*
 * rnsbox userns-handle: a user namespace with exactly the id maps asked for, as a handle
 * (an fd, or a pin) that outlives the process that made it, as runc keeps them for
 * id-mapped mounts. Phases: parse every request and check every map (nothing is spawned
 * before that); one handle for each distinct mapping (a live pin from the cache, or made
 * by userns_make); then the uses in order: pins (--path), id-mapped mounts (--idmap), fds
 * for a command. A request is the mapping given so far; --path, --idmap and --fd each use
 * it, and a --map-users or --map-groups after them starts the next mapping.
 */
#define UH_MAX 128 /* requests in one call */

struct uh_opts {
	int nmaps, nreqs, open;      /* open: the last mapping still takes ranges */
	struct {
		struct idmap m[2];   /* uid, gid; sorted by inside id, so equal mappings compare equal */
		int fd;              /* the handle, shared by equal mappings; -1 until made */
	} maps[UH_MAX];
	struct uh_req { int map; char use; const char *arg; } reqs[UH_MAX + 1]; /* use: p, i, f, c (command), n (--print) */
	int recursive, readonly, print;
	int swept;                   /* the cache was swept (uh_sweep) in this call */
	const char *cache;           /* --cache: the directory of pins by key; NULL: no cache */
#define UH_KEY (IDMAP_MAX * 2 * 33 + 16)
	char cachebuf[256], key[UH_KEY], old[UH_KEY]; /* the key, and a key file's text to compare */
};

/* The canonical key of mapping i: "uid=IN:OUT:COUNT,...;gid=..." (ranges sorted by inside id). */
static const char *uh_key(struct uh_opts *o, int i)
{
	size_t n = 0;
	for (int k = 0; k < 2; k++)
		for (int j = 0; j < o->maps[i].m[k].n; j++) {
			const struct idrange *r = &o->maps[i].m[k].r[j];
			n = sfmt_at(o->key, sizeof(o->key), n, "%s%u:%u:%u", j ? "," : k ? ";gid=" : "uid=",
					  r->inside, r->outside, r->count);
		}
	return o->key;
}

/*
 * The helper: a raw clone child in a new user namespace that shares rnsbox's memory
 * (CLONE_VM: no page tables to copy, the cheapest way to a process in a new user
 * namespace), on a stack of its own. As STYLE 12 asks of such a child, it never execs,
 * makes raw syscalls only, and ends in exit: it waits on the pipe, whose EOF (rnsbox is
 * done, or died) ends it.
 */
static int uh_helper(void *arg)
{
	int *p = arg;
	char c;
	syscall(SYS_close, p[1]);
	syscall(SYS_read, p[0], &c, 1);
	return 0;
}

/*
 * Make the user namespace of mapping i: clone the helper, write its maps (directly when
 * rnsbox holds CAP_SETUID/CAP_SETGID or a map is just its own id, else through newuidmap
 * and newgidmap), open its /proc/PID/ns/user, and end and reap the helper on every path.
 * The helper runs one at a time, so its stack can live in this frame. The handle, or -1
 * with r set. A dry run does the steps for its own pid (its user namespace the handle).
 */
static int userns_make(struct uh_opts *o, int i, struct result *r)
{
	char stack[2048] __attribute__((aligned(16))), path[48];
	int p[2], fd = -1;
	unsigned self[2] = {(unsigned)geteuid(), (unsigned)getegid()};
	if (pipe2(p, O_CLOEXEC) < 0)
		return result_fail(r, NULL, "pipe: %s", strerror(errno)), -1;
	pid_t pid = plan("clone", "a helper in a new user namespace (clone flags 0x%x)", CLONE_VM | CLONE_NEWUSER)
			    ? getpid() : clone(uh_helper, stack + sizeof(stack), CLONE_VM | CLONE_NEWUSER | SIGCHLD, p);
	if (pid < 0)
		result_fail(r, unshare_hint(errno, CLONE_NEWUSER), "clone a user namespace: %s", strerror(errno));
	for (int k = 0; r->ok && k < 2; k++) {
		const struct idmap *m = &o->maps[i].m[k];
		int own = m->n == 1 && m->r[0].count == 1 && m->r[0].outside == self[k];
		sfmt(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
		if (k == 1 && own && !cap_effective(6 /* CAP_SETGID */) && write_file(path, "deny") < 0)
			result_fail(r, NULL, "write %s: %s", path, strerror(errno)); /* the kernel wants this first */
		else if (own || cap_effective(7 - k /* CAP_SETUID, CAP_SETGID */))
			write_map(pid, k ? "gid_map" : "uid_map", m, r);
		else
			run_mapper(k ? "newgidmap" : "newuidmap", pid, m, r);
	}
	sfmt(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	if (r->ok && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		result_fail(r, NULL, "open %s: %s", path, strerror(errno));
	close(p[0]);
	close(p[1]); /* the helper sees EOF and exits */
	if (pid > 0 && !diag.dry)
		waitpid(pid, NULL, 0);
	return fd;
}

/* --print: the key, and the maps as the kernel reports them, read by a child that joins the namespace. */
struct uh_show {
	int fd;
	char maps[2][4096], why[128]; /* why: the step that failed, with its errno; "" when none did */
};

static void uh_show_child(void *arg)
{
	struct uh_show *s = arg;
	s->maps[0][0] = s->maps[1][0] = s->why[0] = '\0';
	if (setns(s->fd, CLONE_NEWUSER) < 0) {
		sfmt(s->why, sizeof(s->why), "setns to the user namespace: %s", strerror(errno));
		return;
	}
	for (int k = 0; k < 2 && !s->why[0]; k++) {
		const char *path = k ? "/proc/self/gid_map" : "/proc/self/uid_map";
		if (read_small(AT_FDCWD, path, 0, s->maps[k], sizeof(s->maps[k])) < 0)
			sfmt(s->why, sizeof(s->why), "read %s: %s", path, strerror(errno));
	}
}

static void uh_print(struct uh_opts *o, int i)
{
	struct uh_show s = {.fd = o->maps[i].fd};
	struct out out = {.fmt = FMT_TEXT};
	struct stat st;
	int status;
	if (plan("print", "%s, and the maps as the kernel reports them", uh_key(o, i)))
		return;
	if (in_child(uh_show_child, &s, sizeof(s), &status) < 0)
		die("--print: the child reading the maps ended before it reported, %s", wait_why(status, s.why));
	if (s.why[0] || fstat(s.fd, &st) < 0)
		die("--print: %s", s.why[0] ? s.why : strerror(errno));
	out_f(&out, "key: %s\nuser namespace: %llu\nuid_map:\n", uh_key(o, i), (unsigned long long)st.st_ino);
	out_s(&out, s.maps[0]);
	out_s(&out, "gid_map:\n");
	out_s(&out, s.maps[1]);
	out_flush(&out);
}

/* FNV-1a, 64 bits: the cache's file name for a key (the key is kept beside it and compared). */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/*
 * The cache: DIR/HASH pins the handle of the mapping whose key DIR/HASH.key holds. A live
 * pin whose key file holds the same key is a hit (the handle, opened); anything else is a
 * miss (-1), and pin is set to where the new handle is to be pinned.
 */
static int uh_cached(struct uh_opts *o, const char *key, char *pin, size_t size)
{
	char kf[300];
	sfmt(pin, size, "%s/%016llx", o->cache, (unsigned long long)fnv1a(key));
	sfmt(kf, sizeof(kf), "%s.key", pin);
	if (pin_kind(pin) != CLONE_NEWUSER || read_small(AT_FDCWD, kf, O_NOFOLLOW, o->old, sizeof(o->old)) < 0)
		return -1;
	size_t len = strlen(key); /* the key, then "\nmnt INODE" (the mount namespace it was pinned in) */
	if (strncmp(o->old, key, len) != 0 || (o->old[len] && o->old[len] != '\n'))
		return -1;
	return open(pin, O_RDONLY | O_CLOEXEC);
}

/* Whether a process is in the mount namespace of inode ino (/proc/PID/ns/mnt); 1 where /proc cannot tell. */
static int mntns_in_use(unsigned long long ino)
{
	char path[40], want[40], link[40];
	struct dents d;
	const char *name;
	int used = 0;
	sfmt(want, sizeof(want), "mnt:[%llu]", ino);
	if (dents_open(&d, AT_FDCWD, "/proc") < 0)
		return 1;
	while (!used && (errno = 0, name = dents_next(&d))) {
		sfmt(path, sizeof(path), "/proc/%s/ns/mnt", name);
		ssize_t k = *name >= '1' && *name <= '9' ? readlink(path, link, sizeof(link) - 1) : -1;
		used = k > 0 && (link[k] = '\0', !strcmp(link, want));
	}
	used |= errno != 0;
	close(d.fd);
	return used;
}

/*
 * Reclaim what a cache holds for nothing: a pin that is an empty file here, made in a
 * mount namespace no process is in any more (it ended, and its mount with it), with its
 * key; a key without its pin; a key's temporary file whose writer has ended.
 */
static void uh_sweep(const char *cache)
{
	char path[300], key[320];
	struct dents d;
	const char *name, *p;
	unsigned long long ino = 0, pid;
	if (dents_open(&d, AT_FDCWD, cache) < 0)
		return;
	while ((name = dents_next(&d))) {
		int kind, keyed = (p = find(name, ".key")) != NULL;
		size_t base = keyed ? (size_t)(p - name) : strlen(name);
		sfmt(path, sizeof(path), "%s/%.*s", cache, (int)base, name);
		sfmt(key, sizeof(key), "%s.key", path);
		if (keyed && p[4] == '.') { /* NAME.key.PID */
			p += 5;
			if (parse_uint(&p, INT32_MAX, &pid) == 0 && !*p && kill((pid_t)pid, 0) < 0 && errno == ESRCH)
				unlinkat(d.fd, name, 0);
			continue;
		}
		if ((kind = pin_kind(path)) == PIN_NONE && keyed)
			unlink(key);
		if (kind != PIN_STALE || keyed)
			continue;
		/* the key's "mnt INODE" line comes after the key, which can be 20 KiB: read by lines */
		struct lines l;
		char *line;
		int found = 0;
		if (lines_open(&l, key) < 0 && errno != ENOENT)
			continue; /* unreadable is no reason to reclaim */
		while (l.fd >= 0 && (line = lines_next(&l)))
			if (!strncmp(line, "mnt ", 4) && (p = line + 4, parse_uint(&p, ~0ULL, &ino) == 0))
				found = 1;
		int err = l.fd >= 0 ? errno : 0;
		lines_close(&l);
		if (!err && (!found || !mntns_in_use(ino)))
			unlink(key), unlink(path);
	}
	close(d.fd);
}

/*
 * Pin a new handle in the cache: the key file first (written to a temporary name and
 * renamed into place), then the pin (pin_new). A concurrent call that pins the same key
 * first wins; a stale pin (an empty file) is replaced. On failure nothing is left; r says why.
 */
static int uh_store(const char *pin, const char *key, int fd, struct result *r)
{
	char kf[300], tmp[320], src[32];
	int rc;
	sfmt(kf, sizeof(kf), "%s.key", pin);
	sfmt(tmp, sizeof(tmp), "%s.%d", kf, (int)getpid());
	sfmt(src, sizeof(src), "/proc/self/fd/%d", fd);
	char mnt[40];
	struct stat st;
	sfmt(mnt, sizeof(mnt), "\nmnt %llu", stat("/proc/self/ns/mnt", &st) == 0 ? (unsigned long long)st.st_ino : 0);
	int k = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (k < 0 || write_all(k, key, strlen(key)) < 0 || write_all(k, mnt, strlen(mnt)) < 0 || close(k) < 0 ||
	    rename(tmp, kf) < 0) {
		result_fail(r, NULL, "--cache: write %s: %s", kf, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if ((rc = pin_new(src, CLONE_NEWUSER, pin, 1, r)) < 0)
		unlink(kf); /* a key without its pin is no use */
	return rc < 0 ? -1 : 0;
}

/* The name of a file system type from statfs, for messages; NULL where unknown. */
static const char *fs_name(unsigned long type)
{
	static const struct { unsigned long magic; const char *name; } fs[] = {
		{0xEF53, "ext4"},     {0x58465342, "xfs"},  {0x9123683E, "btrfs"}, {0x01021994, "tmpfs"},
		{0x794c7630, "overlay"}, {0x6969, "nfs"}, {0x65735546, "fuse"},  {0x9fa0, "proc"},
		{0x62656572, "sysfs"}, {0x4d44, "vfat"},    {NSFS_MAGIC, "nsfs"},
	};
	for (size_t i = 0; i < ARRAY_LEN(fs); i++)
		if (fs[i].magic == type)
			return fs[i].name;
	return NULL;
}

/* --idmap SRC:DST: an id-mapped bind mount of SRC at DST with the handle fd. 0, or -1 with r set. */
static int idmap_mount(const struct uh_opts *o, int fd, const char *arg, struct result *r)
{
	struct { uint64_t attr_set, attr_clr, propagation, userns_fd; } attr = {
		MOUNT_ATTR_IDMAP | (o->readonly ? MOUNT_ATTR_RDONLY : 0), 0, 0, (uint64_t)fd};
	char src[PATH_MAX];
	const char *colon = strchr(arg, ':'), *step = "open_tree";
	unsigned rec = o->recursive ? AT_RECURSIVE : 0;
	struct statfs sf;
	struct stat a, b;
	sfmt(src, sizeof(src), "%.*s", (int)(colon - arg), arg);
	int tree = (int)sys_open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | O_CLOEXEC | rec), rc = tree;
	if (rc >= 0) {
		step = "mount_setattr";
		rc = (int)sys_mount_setattr(tree, "", AT_EMPTY_PATH | rec, &attr, sizeof(attr));
	}
	if (rc >= 0) {
		step = "move_mount";
		rc = (int)sys_move_mount(tree, "", AT_FDCWD, colon + 1, MOVE_MOUNT_F_EMPTY_PATH);
	}
	if (rc >= 0) {
		close(tree);
		return 0;
	}
	int err = errno;
	char why[120] = "";
	int setattr = step[1] == 'o' && step[2] == 'u'; /* mount_setattr: the file system's verdict */
	if (err == ENOSYS)
		sfmt(why, sizeof(why), "the kernel lacks %s (id-mapped mounts need Linux 5.12)", step);
	else if (err == EINVAL && setattr && statfs(src, &sf) == 0 && fs_name((unsigned long)sf.f_type))
		sfmt(why, sizeof(why), "%s (%s) cannot be id-mapped", src, fs_name((unsigned long)sf.f_type));
	else if (err == EINVAL && setattr && statfs(src, &sf) == 0)
		sfmt(why, sizeof(why), "%s (file system type 0x%lx) cannot be id-mapped", src, (unsigned long)sf.f_type);
	else if (*step == 'm' && !setattr && stat(src, &a) == 0 && stat(colon + 1, &b) == 0 &&
		 S_ISDIR(a.st_mode) != S_ISDIR(b.st_mode))
		sfmt(why, sizeof(why), "SRC and DST must both be directories or both be files");
	else if (err == EPERM)
		sfmt(why, sizeof(why), "an id-mapped mount needs CAP_SYS_ADMIN over the file system's user namespace");
	else if (err == EOVERFLOW)
		sfmt(why, sizeof(why), "the mapping cannot represent the ids of the mount (an id outside the map)");
	if (tree >= 0)
		close(tree);
	result_fail(r, why[0] ? why : NULL, "--idmap %s: %s: %s", arg, step, strerror(err));
	return -1;
}

enum { OPT_UH_USERS = 256, OPT_UH_GROUPS, OPT_UH_PATH, OPT_UH_FD, OPT_UH_IDMAP, OPT_UH_REC, OPT_UH_RO, OPT_UH_CACHE, OPT_UH_PRINT };

static const struct opts uh_set = {
	"usage: rnsbox userns-handle --map-users=MAP --map-groups=MAP [USE]... [--] [COMMAND [ARG]...]\n"
	"A user namespace with these maps as a handle: pinned, id-mapped mounts, an fd. Maps\n"
	"apply to the uses after them.\n",
	"COMMAND gets the last mapping's handle at the fd in RNSBOX_USERNS_FD.\n",
	(const struct opt[]){
		OPT("map-users", "IN:OUT:N\tthe uid map (or OUT,IN,N; repeatable)", OPT_UH_USERS, ARG_REQ),
		OPT("map-groups", "IN:OUT:N\tthe gid map (or OUT,IN,N; repeatable)", OPT_UH_GROUPS, ARG_REQ),
		OPT("path", "P\tpin the handle at P (printed)", OPT_UH_PATH, ARG_REQ),
		OPT("idmap", "SRC:DST\tan id-mapped bind mount of SRC at DST", OPT_UH_IDMAP, ARG_REQ),
		OPT("recursive", "\t--idmap takes SRC's submounts too", OPT_UH_REC, 0),
		OPT("readonly", "\t--idmap's mounts are read-only", OPT_UH_RO, 0),
		OPT("fd", "N\tthe handle at fd N for COMMAND", OPT_UH_FD, ARG_REQ),
		OPT("cache", "DIR\treuse a live pin per mapping (DIR: $RUNTIME_DIR/userns)", OPT_UH_CACHE, ARG_OPT),
		OPT("print", "\teach mapping's key and maps, as the kernel reports them", OPT_UH_PRINT, 0),
		DRY_ROW,
		OPT("json", "", OPT_DRY_JSON, 0),
		{0},
	},
	0, NULL,
};

static void uh_parse(struct uh_opts *o, int argc, char **argv)
{
	static const char uses[] = "pfi";
	char why[80];
	int c, autom = 0;
	unsigned long long v;
	while ((c = opt_get(argc, argv, &uh_set)) != -1) {
		if (c == OPT_UH_USERS || c == OPT_UH_GROUPS) {
			if (!o->open && o->nmaps == UH_MAX)
				die_usage("more than %d mappings", UH_MAX);
			if (!o->open)
				o->maps[o->nmaps++].fd = -1, o->open = 1;
			idmap_parse(c == OPT_UH_USERS ? "--map-users" : "--map-groups", optarg,
				    &o->maps[o->nmaps - 1].m[c == OPT_UH_GROUPS], &autom);
			if (autom)
				die_usage("--map-%s: auto is for exec; give the ranges", c == OPT_UH_USERS ? "users" : "groups");
		} else if (c >= OPT_UH_PATH && c <= OPT_UH_IDMAP) {
			const char *p = optarg;
			if (!o->nmaps)
				die_usage("--%s: give --map-users and --map-groups before it", opt_last.name);
			if (c == OPT_UH_FD && (parse_uint(&p, INT32_MAX, &v) < 0 || *p || v < 3))
				die_usage("--fd: '%s' is not a file descriptor number above 2", optarg);
			if (c == OPT_UH_IDMAP && (!strchr(optarg, ':') || *optarg == ':' || !strchr(optarg, ':')[1]))
				die_usage("--idmap %s: expected SRC:DST", optarg);
			if (o->nreqs == UH_MAX)
				die_usage("more than %d uses", UH_MAX);
			o->reqs[o->nreqs++] = (struct uh_req){o->nmaps - 1, uses[c - OPT_UH_PATH], optarg};
			o->open = 0;
		} else if (c == OPT_UH_CACHE) {
			o->cache = optarg ? optarg : "";
		} else if (c == OPT_UH_REC || c == OPT_UH_RO || c == OPT_UH_PRINT) {
			*(c == OPT_UH_REC ? &o->recursive : c == OPT_UH_RO ? &o->readonly : &o->print) = 1;
		} else if (c == OPT_DRY_RUN || c == OPT_DRY_JSON) {
			diag.dry |= c == OPT_DRY_RUN ? 1 : 4;
		} else {
			die_option(c, argv);
		}
	}
	dry_set();
	if (optind < argc || (o->open && o->print)) /* the last mapping's handle, for the command or --print */
		o->reqs[o->nreqs++] = (struct uh_req){o->nmaps - 1, optind < argc ? 'c' : 'n', NULL};
	if (!o->nreqs)
		die_usage("nothing to do: give --map-users and --map-groups, and --path, --idmap, --fd, --print or a command");
	if (o->open && optind == argc && !o->print)
		die_usage("the last mapping is not used: give --path, --idmap, --fd or a command after it");
	for (int i = 0; i < o->nmaps; i++)
		for (int k = 0; k < 2; k++) {
			if (!o->maps[i].m[k].n)
				die_usage("mapping %d: both --map-users and --map-groups are needed", i + 1);
			if (idmap_overlap(&o->maps[i].m[k], why, sizeof(why)))
				die_usage("--map-%s: %s", k ? "groups" : "users", why);
			range_sort(o->maps[i].m[k].r, o->maps[i].m[k].n, 1);
		}
}

/*
 * The handle of mapping i: shared with an equal mapping made before, or a live pin from
 * the cache, or made (and pinned in the cache). -1 with r set on failure; the helper is
 * gone by then.
 */
static int uh_handle(struct uh_opts *o, int i, struct result *r)
{
	char pin[300];
	for (int j = 0; j < i; j++)
		if (o->maps[j].fd >= 0 && !memcmp(&o->maps[j].m[0], &o->maps[i].m[0], sizeof(o->maps[i].m[0])) &&
		    !memcmp(&o->maps[j].m[1], &o->maps[i].m[1], sizeof(o->maps[i].m[1])))
			return o->maps[i].fd = o->maps[j].fd;
	if (o->cache && (o->maps[i].fd = uh_cached(o, uh_key(o, i), pin, sizeof(pin))) >= 0)
		return o->maps[i].fd;
	if (o->cache && !o->swept++) /* a miss: the cache grows, so it is swept first (hits cost nothing more) */
		uh_sweep(o->cache);
	if ((o->maps[i].fd = userns_make(o, i, r)) >= 0 && o->cache)
		uh_store(pin, o->key, o->maps[i].fd, r);
	return r->ok ? o->maps[i].fd : -1;
}

/* Undo the pins and id-mapped mounts of the uses before q, in reverse order (a later use failed). */
static void uh_undo(const struct uh_opts *o, int q)
{
	while (q-- > 0) {
		const char *arg = o->reqs[q].arg;
		if (o->reqs[q].use == 'p' && umount2(arg, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
			unlink(arg);
		if (o->reqs[q].use == 'i')
			umount2(strchr(arg, ':') + 1, MNT_DETACH | UMOUNT_NOFOLLOW);
	}
}

/*
 * Use q of the handle fd: pin it (its path goes to out), mount with it, place it at an fd
 * for the command, or keep it for the command's RNSBOX_USERNS_FD (*cfd). r says how it went.
 */
static void uh_use(const struct uh_opts *o, int q, int fd, struct out *out, int *cfd, struct result *r)
{
	const char *arg = o->reqs[q].arg;
	char src[32];
	int k;
	switch (o->reqs[q].use) {
	case 'p':
		sfmt(src, sizeof(src), "/proc/self/fd/%d", fd);
		if (pin_new(src, CLONE_NEWUSER, arg, 0, r) == 0) {
			out_s(out, arg);
			out_s(out, "\n");
		}
		break;
	case 'i': idmap_mount(o, fd, arg, r); break;
	case 'f':
		k = atoi(arg);
		if (fd == k ? sys_fdflags(fd, F_SETFD, 0) < 0 : dup2(fd, k) < 0)
			result_fail(r, NULL, "--fd %s: %s", arg, strerror(errno));
		break;
	case 'c':
		*cfd = fd;
		if (sys_fdflags(fd, F_SETFD, 0) < 0)
			result_fail(r, NULL, "pass the handle to the command: %s", strerror(errno));
		break;
	default: break;
	}
}

static int cmd_userns_handle(int argc, char **argv)
{
	struct uh_opts *o = mmap(NULL, sizeof(*o), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct out out = {.fmt = FMT_TEXT};
	struct run run = {RUN_INIT};
	char rt[200];
	int cfd = -1;
	if (o == MAP_FAILED)
		die_errno("mmap");
	uh_parse(o, argc, argv);
	const char *pins = o->cache ? "--cache" : NULL;
	for (int q = 0; q < o->nreqs; q++)
		pins = o->reqs[q].use == 'p' && !pins ? "--path" : pins;
	if (pins && !cap_effective(21 /* CAP_SYS_ADMIN */))
		die_hint(EX_FAIL, RUN_AS_ROOT,
			 "%s needs CAP_SYS_ADMIN to pin, which this process lacks", pins);
	if (o->cache && !*o->cache) {
		sfmt(o->cachebuf, sizeof(o->cachebuf), "%s/userns", state_dir(rt, sizeof(rt)));
		o->cache = o->cachebuf;
	}
	if (o->cache && mkdir(o->cache, 0700) < 0 && errno != EEXIST)
		die_errno("--cache: mkdir %s", o->cache);
	for (int q = 0; q < o->nreqs; q++) {
		struct result r = {.ok = 1};
		int i = o->reqs[q].map, fd = o->maps[i].fd >= 0 ? o->maps[i].fd : uh_handle(o, i, &r);
		if (fd >= 0 && o->print && (q == 0 || o->reqs[q - 1].map != i))
			uh_print(o, i);
		if (fd >= 0)
			uh_use(o, q, fd, &out, &cfd, &r);
		if (!r.ok) {
			out.len = 0; /* the pins printed so far are undone */
			uh_undo(o, q);
			die_hint(EX_FAIL, r.hint[0] ? r.hint : NULL, "%s", r.msg);
		}
	}
	if (diag.dry) /* the pins are in the plan */
		out.len = 0;
	if (out_commit(&out) < 0) { /* the caller cannot learn the paths: undo */
		int err = errno;
		uh_undo(o, o->nreqs);
		errno = err;
		die_errno("write the paths to standard output");
	}
	if (optind == argc)
		return EX_OK;
	/* The command's environment, with RNSBOX_USERNS_FD. */
	extern char **environ;
	size_t n = 2;
	for (char **v = environ; *v; v++)
		n++;
	char *env[n], var[40], *add[1] = {var};
	sfmt(var, sizeof(var), "RNSBOX_USERNS_FD=%d", cfd);
	env_with(env, n, add, 1);
	// cppcheck-suppress danglingLifetime ; run_command execs or exits while env is alive
	environ = env;
	run.argv = argv + optind;
	sigprocmask(SIG_SETMASK, NULL, &run.mask);
	run_command(&run);
}

/*==== 16. dispatch table ====*/

/*
 * Subcommands by name (toybox's toy_find): `rnsbox NAME`, argv[0] named rnsbox-NAME, or,
 * for the applets that stand in for util-linux commands, argv[0] named NAME itself.
 */
static const struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	int applet;
	const char *summary;
} cmd_table[] = {
	{"detect", cmd_detect, 0, "rootless or not, namespaces, limits; whether namespaces work here"},
	{"exec", cmd_exec, 0, "create namespaces and run a command in them"},
	{"newns", cmd_newns, 0, "pin new namespaces, with their network; remove and list pins"},
	{"userns-handle", cmd_userns_handle, 0, "a user namespace with given id maps as a handle; id-mapped mounts"},
	{"nsenter", cmd_nsenter, 1, "run a command in the namespaces of a process or of pinned files"},
	{"unshare", cmd_unshare, 1, "the util-linux unshare applet"},
};

static const struct cmd *cmd_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(cmd_table); i++)
		if (strcmp(cmd_table[i].name, name) == 0)
			return &cmd_table[i];
	return NULL;
}

static int run_cmd(const struct cmd *c, int argc, char **argv)
{
	sfmt(diag.prefix, sizeof(diag.prefix), "rnsbox: %s", c->name);
	return c->run(argc, argv);
}

static int main_help(void)
{
	struct out o = {.fmt = FMT_TEXT};
	out_s(&o, "usage: rnsbox SUBCOMMAND [OPTION]... (or a link named rnsbox-SUBCOMMAND)\n\n");
	for (size_t i = 0; i < ARRAY_LEN(cmd_table); i++)
		out_f(&o, "  %-14s %s\n", cmd_table[i].name, cmd_table[i].summary);
	out_s(&o, "\n  --help, --version (every subcommand's too)\n'rnsbox help SUBCOMMAND': its options; man rnsbox.\n");
	out_flush(&o);
	return EX_OK;
}

/*==== 17. main ====*/

/*
 * Make sure fds 0-2 are open, so no file rnsbox opens lands on them (an initramfs may start
 * it without). /dev/null is preferred; an O_PATH fd on / still holds the slot without it.
 */
static void stdio_fill(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (sys_fdflags(fd, F_GETFD, 0) >= 0 || errno != EBADF)
			continue;
		if (open("/dev/null", O_RDWR) != fd && open("/", O_PATH) != fd)
			_exit(EX_FAIL);
	}
}

int main(int argc, char **argv)
{
	stdio_fill();
	uid_t r, e, s;
	gid_t rg, eg, sg;
	getresuid(&r, &e, &s);
	getresgid(&rg, &eg, &sg);
	if (r != e || rg != eg || getauxval(AT_SECURE))
		die("refusing to run set-user-ID or set-group-ID (uid %u, euid %u, gid %u, egid %u): "
		    "rnsbox is not a privileged helper", (unsigned)r, (unsigned)e, (unsigned)rg, (unsigned)eg);

	const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;
	base = base ? base + 1 : argc > 0 ? argv[0] : "rnsbox";
	const struct cmd *c = strncmp(base, "rnsbox-", 7) == 0 ? cmd_find(base + 7) : cmd_find(base);
	if (c && (c->applet || strncmp(base, "rnsbox-", 7) == 0))
		return run_cmd(c, argc, argv);
	if (argc < 2)
		die_usage("no subcommand given");
	if (strcmp(argv[1], "help") == 0 && argc == 3) { /* rnsbox help SUBCOMMAND: its --help */
		argv[1] = argv[2];
		argv[2] = (char *)"--help";
	} else if (strcmp(argv[1], "help") == 0 && argc > 3) {
		die_usage("help: one subcommand at most");
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0)
		return main_help();
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		print_version();
	if (!(c = cmd_find(argv[1])))
		die_usage("unknown subcommand '%s'", argv[1]);
	return run_cmd(c, argc - 1, argv + 1);
}
