/*
 * libFuzzer harnesses for rnsbox.c: one binary, the target named by RNSBOX_FUZZ (see
 * targets[] at the end). `make fuzz` runs each for FUZZ_SECONDS on its corpus; `make check`
 * (test.sh) runs the kept inputs of tests/fuzz/regress/TARGET once each.
 *
 * rnsbox.c is included whole, so its static functions are called directly. Its _exit
 * becomes a longjmp back to LLVMFuzzerTestOneInput (a usage error ends one input, not the
 * fuzzer), its stdout and stderr go to /dev/null unless RNSBOX_FUZZ_VERBOSE is set, and
 * what a target allocates is freed after each input, even when rnsbox "died". Every
 * target checks properties of the result, not only that nothing crashed; a broken
 * property prints what was expected and aborts, which libFuzzer reports as a crash.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static jmp_buf fuzz_jmp;
static int fuzz_null = 2;
__attribute__((noreturn)) void fuzz_exit(int code);
#define _exit fuzz_exit
#undef STDERR_FILENO
#define STDERR_FILENO fuzz_null
#undef STDOUT_FILENO
#define STDOUT_FILENO fuzz_null
#define main rnsbox_main
#include "../../rnsbox.c"
#undef main
#undef _exit

void fuzz_exit(int code)
{
	longjmp(fuzz_jmp, code + 1000);
}

/* Allocations of one input, freed after it however it ended. */
static void *arena[64];
static int narena;

static void *fuzz_alloc(size_t n)
{
	if (narena == (int)ARRAY_LEN(arena))
		abort();
	return arena[narena++] = calloc(1, n ? n : 1);
}

/* The input up to its first NUL, as a string in a buffer of exactly its size (for ASan). */
static char *fuzz_str(const uint8_t *d, size_t n)
{
	size_t len = strnlen((const char *)d, n);
	char *s = fuzz_alloc(len + 1);
	memcpy(s, d, len);
	return s;
}

#define FAIL(...)                                                                                      \
	do {                                                                                           \
		fprintf(stderr, "rnsbox fuzz: " __VA_ARGS__);                                          \
		fputc('\n', stderr);                                                                   \
		abort();                                                                               \
	} while (0)

static int memfd = -1;

/* Put d into the memfd; returns its path (/proc/self/fd/N), read from offset 0 by whoever opens it. */
static const char *fuzz_file(const uint8_t *d, size_t n)
{
	static char path[32];
	if (ftruncate(memfd, 0) < 0 || pwrite(memfd, d, n, 0) != (ssize_t)n)
		FAIL("memfd: %s", strerror(errno));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	return path;
}

/*==== escaping: JSON, shell and text output of a string value ====*/

/*
 * Decode the JSON string at p (after its opening quote) into dst: 0 and *end past the
 * closing quote, or -1 if it is not valid JSON (a raw control byte, raw bytes that are not
 * UTF-8, a bad escape). \u0080-\u00ff stand for the single bytes rnsbox escapes because
 * they are not UTF-8: that is the one reading under which every input can round-trip.
 */
static int json_decode(const char *p, char *dst, size_t *len, const char **end, int closing)
{
	size_t n = 0;
	for (;;) {
		const unsigned char *s = (const unsigned char *)p;
		if (*s == '"' && closing)
			break;
		if (!*s && !closing)
			break;
		if (*s < 0x20)
			return -1;
		if (*s == '\\') {
			unsigned cp = 0;
			switch (s[1]) {
			case '"': case '\\': case '/': dst[n++] = (char)s[1]; p += 2; continue;
			case 'b': dst[n++] = '\b'; p += 2; continue;
			case 'f': dst[n++] = '\f'; p += 2; continue;
			case 'n': dst[n++] = '\n'; p += 2; continue;
			case 'r': dst[n++] = '\r'; p += 2; continue;
			case 't': dst[n++] = '\t'; p += 2; continue;
			case 'u':
				for (int i = 2; i < 6; i++) {
					int c = s[i], v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
								 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
					if (v < 0)
						return -1;
					cp = cp * 16 + (unsigned)v;
				}
				if (cp > 0xff)
					return -1; /* rnsbox writes other characters as UTF-8 */
				dst[n++] = (char)cp;
				p += 6;
				continue;
			default:
				return -1;
			}
		}
		int k = utf8_len(s);
		if (!k)
			return -1;
		memcpy(dst + n, p, (size_t)k);
		n += (size_t)k, p += k;
	}
	*len = n;
	*end = p + closing;
	return 0;
}

/* The whole output of a report holding the one member "k": s, in format fmt. */
static char *render(enum fmt fmt, const char *s, size_t *len)
{
	struct out o = {.fmt = fmt, .fd = memfd};
	if (ftruncate(memfd, 0) < 0 || lseek(memfd, 0, SEEK_SET) < 0)
		FAIL("memfd: %s", strerror(errno));
	out_open(&o, "", '{');
	out_str(&o, "k", s);
	out_close(&o);
	out_flush(&o);
	off_t n = lseek(memfd, 0, SEEK_CUR);
	char *buf = fuzz_alloc((size_t)n + 1);
	if (pread(memfd, buf, (size_t)n, 0) != n)
		FAIL("memfd: %s", strerror(errno));
	*len = (size_t)n;
	return buf;
}

/*
 * JSON: the output is valid JSON and the value decodes to the input's bytes. Shell: the
 * value, read as POSIX sh reads single quotes, is the input's bytes. Text: no control or
 * DEL byte and no invalid UTF-8 reaches the terminal. json_escape (the status fd's
 * messages): valid JSON whatever the room, the input's bytes when there was room.
 */
static void t_escape(const uint8_t *d, size_t n)
{
	if (n < 1)
		return;
	size_t room = 1 + d[0] % 80, len, dlen;
	char *s = fuzz_str(d + 1, n - 1), *dec = fuzz_alloc(strlen(s) + 8);
	const char *end;
	char *out = render(FMT_JSON, s, &len);
	if (strncmp(out, "{\"k\":\"", 6) || json_decode(out + 6, dec, &dlen, &end, 1) < 0 || strcmp(end, "}\n"))
		FAIL("JSON output is not valid JSON: %s", out);
	if (dlen != strlen(s) || memcmp(dec, s, dlen))
		FAIL("JSON value does not decode to the input (%zu bytes, decoded %zu)", strlen(s), dlen);

	out = render(FMT_SHELL, s, &len);
	const char *p = out + strlen("RNSBOX_K='");
	size_t k = 0;
	if (strncmp(out, "RNSBOX_K='", 10))
		FAIL("shell output does not start RNSBOX_K=': %s", out);
	for (;;) {
		if (strncmp(p, "'\\''", 4) == 0)
			dec[k++] = '\'', p += 4;
		else if (*p == '\'')
			break;
		else if (!*p)
			FAIL("shell output has no closing quote: %s", out);
		else
			dec[k++] = *p++;
	}
	if (strcmp(p, "'\n") || k != strlen(s) || memcmp(dec, s, k))
		FAIL("shell value does not read back as the input: %s", out);

	out = render(FMT_TEXT, s, &len);
	for (const unsigned char *t = (const unsigned char *)out; *t; t += utf8_len(t) ? utf8_len(t) : 1)
		if (!utf8_len(t) || *t == 0x7f || (*t < 0x20 && !(*t == '\n' && !t[1])))
			FAIL("text output shows a raw byte 0x%02x: %s", *t, out);

	char *esc = fuzz_alloc(room);
	json_escape(esc, room, s);
	if (strlen(esc) >= room || json_decode(esc, dec, &dlen, &end, 0) < 0)
		FAIL("json_escape into %zu bytes is not valid JSON: %s", room, esc);
	if (dlen > strlen(s) || memcmp(dec, s, dlen))
		FAIL("json_escape's output is not a prefix of the input: %s", esc);
	if (dlen < strlen(s) && strlen(esc) + 6 < room - 1 && strlen(esc) + 4 < room - 1)
		FAIL("json_escape stopped with room left (%zu of %zu): %s", strlen(esc), room, esc);
}

/*==== join_lines: a helper's stderr as one message line ====*/

/*
 * dst (of size) keeps what it held; the rest is the text's non-empty lines joined by
 * "; ", with no control byte (a terminal shows it as one line), always NUL-terminated
 * inside dst, and all of it when it fits.
 */
static void t_join(const uint8_t *d, size_t n)
{
	if (n < 2)
		return;
	size_t size = 1 + ((size_t)d[0] << 8 | d[1]) % 700;
	d += 2, n -= 2;
	size_t plen = strnlen((const char *)d, n);
	char *text = fuzz_str(d + (plen < n ? plen + 1 : n), plen < n ? n - plen - 1 : 0);
	char *dst = fuzz_alloc(size);
	plen = plen < size - 1 ? plen : size - 1;
	memcpy(dst, d, plen);
	join_lines(dst, size, text);
	if (!memchr(dst, '\0', size) || memcmp(dst, d, plen))
		FAIL("join_lines lost its NUL or what dst held");
	for (const unsigned char *p = (const unsigned char *)dst + plen; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			FAIL("join_lines left a control byte 0x%02x: %s", *p, dst);
	size_t want = 0; /* the joined length, had there been room */
	for (const char *p = text, *e; *p; p = e + !!*e) {
		size_t len = (size_t)((e = p + strcspn(p, "\r\n")) - p);
		if (len && !(len >= 9 && memcmp(e - 9, "to syslog", 9) == 0))
			want += len + (plen + want > plen ? 2 : 0);
	}
	if (plen + want < size && strlen(dst) != plen + want)
		FAIL("join_lines cut a result that fits: %zu, wanted %zu in %zu", strlen(dst), plen + want, size);
}

/*==== options: every subcommand's parser over a fuzzed argv ====*/

/* optind stays within argv; what a parser accepts it keeps consistent (checked per parser). */
static void t_options(const uint8_t *d, size_t n)
{
	static struct uh_opts *uh;
	char *argv[34];
	int argc = 1;
	if (n < 1)
		return;
	argv[0] = (char *)"rnsbox";
	for (size_t i = 1; i < n && argc < 33;) {
		size_t len = strnlen((const char *)d + i, n - i);
		argv[argc++] = fuzz_str(d + i, len);
		i += len + 1;
	}
	argv[argc] = NULL;
	optind = 0; /* a new parse: the last input may have died inside a cluster of short options */
	switch (d[0] % 5) {
	case 0:
	case 1: {
		struct exec_opts o = {EXEC_OPTS_INIT, .run = {RUN_INIT, .applet = d[0] % 5}};
		exec_parse(&o, argc, argv);
		if (o.uids.n > IDMAP_MAX || o.gids.n > IDMAP_MAX || o.ncopy > (int)ARRAY_LEN(o.copy))
			FAIL("exec_parse overfilled a table");
		break;
	}
	case 2: {
		struct nsenter_opts o = {.target = -1, .sock = -1, .run = {RUN_INIT}};
		nsenter_parse(&o, argc, argv);
		if (!o.want && !o.all && o.sock < 0 && !o.user_parent)
			FAIL("nsenter_parse took nothing to join");
		break;
	}
	case 3: {
		struct newns_opts o = {.nl.fd = -1, .host.fd = -1, .nh = NETHELPER_INIT, .dfd = -1, .lock = -1};
		newns_parse(&o, argc, argv);
		if (o.nops > (int)ARRAY_LEN(o.ops) || o.ntypes > NS_COUNT)
			FAIL("newns_parse overfilled a table");
		break;
	}
	default:
		if (!uh && !(uh = malloc(sizeof(*uh))))
			abort();
		memset(uh, 0, sizeof(*uh));
		uh_parse(uh, argc, argv);
		break;
	}
	if (optind < 1 || optind > argc)
		FAIL("optind %d outside 1..%d", optind, argc);
}

/*==== procstat: the fields of a /proc/PID/stat line ====*/

/* A line that is not "... (COMM) S ..." with 22 fields is refused; what is read lies inside the line. */
static void t_procstat(const uint8_t *d, size_t n)
{
	char *line = fuzz_str(d, n);
	struct pstat ps;
	if (proc_stat_parse(line, &ps) < 0)
		return;
	const char *p = strrchr(line, ')'), *o = strchr(line, '(');
	if (!p || !o || p[1] != ' ' || p[2] != ps.state || strlen(ps.comm) >= sizeof(ps.comm) ||
	    strncmp(ps.comm, o + 1, strlen(ps.comm)))
		FAIL("proc_stat_parse read a line without its shape: %s", line);
}

/*==== sfmt: rnsbox's formatter against the C library's snprintf ====*/

/*
 * One conversion with flags, width (digits or *, negative too) and, for %s, a precision
 * (digits or *), between two literal bytes, into buffers of 0, 1, 7 and 300 bytes: sfmt
 * and snprintf agree on the return value and on every byte written. Only what rnsbox's
 * sfmt documents is generated (no '0' flag for %s and %c, which C leaves undefined).
 */
#define CMP(...)                                                                                       \
	do {                                                                                           \
		static const size_t sizes[] = {0, 1, 7, 300};                                          \
		for (size_t z = 0; z < 4; z++) {                                                       \
			char a[300], b[300];                                                           \
			memset(a, 'x', sizeof(a)), memset(b, 'x', sizeof(b));                         \
			int x = sfmt(a, sizes[z], fmt, __VA_ARGS__), y = snprintf(b, sizes[z], fmt, __VA_ARGS__); \
			if (x != y || memcmp(a, b, sizeof(a)))                                         \
				FAIL("sfmt(\"%s\") gave %d \"%.*s\", snprintf %d \"%.*s\" (size %zu)", fmt, x, \
				     (int)(sizes[z] ? sizes[z] : 1), a, y, (int)(sizes[z] ? sizes[z] : 1), b, sizes[z]); \
		}                                                                                      \
	} while (0)

static void t_sfmt(const uint8_t *d, size_t n)
{
	if (n < 16)
		return;
	char fmt[32];
	size_t f = 0;
	const char conv = "scdiux%"[d[0] % 7];
	unsigned fl = d[1], mod = d[2] % 4;
	int numeric = strchr("diux", conv) != NULL, wstar = fl & 4 && conv != '%', pstar = 0;
	int w = (int8_t)d[3] * 2, pr = (int8_t)d[4];
	long long v;
	memcpy(&v, d + 5, sizeof(v));
	char *s = fuzz_str(d + 13, n - 13);
	fmt[f++] = 'a', fmt[f++] = '%';
	if (conv != '%') {
		if (fl & 1)
			fmt[f++] = '-';
		if (fl & 2 && numeric)
			fmt[f++] = '0';
		if (wstar)
			fmt[f++] = '*';
		else if (fl & 8)
			f += (size_t)sprintf(fmt + f, "%d", d[3] % 120);
		if (conv == 's' && fl & 16) {
			fmt[f++] = '.';
			if (fl & 32)
				fmt[f++] = '*', pstar = 1;
			else
				f += (size_t)sprintf(fmt + f, "%d", d[4] % 40);
		}
		if (numeric)
			for (unsigned i = 0; i < (mod == 3 ? 1 : mod); i++)
				fmt[f++] = mod == 3 ? 'z' : 'l';
	}
	fmt[f++] = conv, fmt[f++] = 'b', fmt[f] = '\0';
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"
#pragma GCC diagnostic ignored "-Wformat"
	if (conv == '%') {
		CMP(0);
	} else if (conv == 's') {
		if (wstar && pstar)
			CMP(w, pr, s);
		else if (wstar)
			CMP(w, s);
		else if (pstar)
			CMP(pr, s);
		else
			CMP(s);
	} else if (conv == 'c') {
		if (wstar)
			CMP(w, (int)d[5]);
		else
			CMP((int)d[5]);
	} else if (conv == 'd' || conv == 'i') {
		if (mod == 0 && wstar) CMP(w, (int)v); else if (mod == 0) CMP((int)v);
		else if (mod == 1 && wstar) CMP(w, (long)v); else if (mod == 1) CMP((long)v);
		else if (mod == 2 && wstar) CMP(w, v); else if (mod == 2) CMP(v);
		else if (wstar) CMP(w, (ssize_t)v); else CMP((ssize_t)v);
	} else {
		unsigned long long u = (unsigned long long)v;
		if (mod == 0 && wstar) CMP(w, (unsigned)u); else if (mod == 0) CMP((unsigned)u);
		else if (mod == 1 && wstar) CMP(w, (unsigned long)u); else if (mod == 1) CMP((unsigned long)u);
		else if (mod == 2 && wstar) CMP(w, u); else if (mod == 2) CMP(u);
		else if (wstar) CMP(w, (size_t)u); else CMP((size_t)u);
	}
}

/*==== idmap: uid_map and /etc/subuid files ====*/

/* Whatever the file holds, what is read back obeys the rules the readers promise. */
static void t_idmap(const uint8_t *d, size_t n)
{
	static struct idrange r[IDMAP_MAX];
	char why[160] = "";
	struct notes nt = {0};
	if (n < 1)
		return;
	const char *path = fuzz_file(d + 1, n - 1);
	int k = idmap_read(path, r, IDMAP_MAX, why, sizeof(why));
	if (k < 0 && !why[0])
		FAIL("idmap_read failed without saying why");
	for (int i = 0; i < k; i++)
		if (!r[i].count || (uint64_t)r[i].inside + r[i].count > 1ULL << 32 ||
		    (uint64_t)r[i].outside + r[i].count > 1ULL << 32)
			FAIL("idmap_read took a bad range %u %u %u", r[i].inside, r[i].outside, r[i].count);
	k = subid_read(path, "user", 1000, r, 64, d[0] & 1, &nt);
	if (k > 64)
		FAIL("subid_read overfilled its table: %d", k);
	for (int i = 0; i < k; i++)
		if (!r[i].count || r[i].inside || (uint64_t)r[i].outside + r[i].count > 1ULL << 32)
			FAIL("subid_read took a bad range %u:%u", r[i].outside, r[i].count);
}

/*==== mapgrammar: --map-users values, and the overlap check over them ====*/

/* Accepted ranges are within 2^32 with a count; idmap_overlap finds an overlap if and only if there is one. */
static void t_mapgrammar(const uint8_t *d, size_t n)
{
	static struct idmap m;
	int autom = 0;
	char why[80];
	m.n = 0;
	for (size_t i = 0, k = 0; i < n && k < 8; k++) { /* 8 values at most ("auto" adds no range) */
		size_t len = strnlen((const char *)d + i, n - i);
		idmap_parse("--map-users", fuzz_str(d + i, len), &m, &autom);
		i += len + 1;
	}
	int overlap = 0;
	for (int i = 0; i < m.n; i++) {
		if (!m.r[i].count || (uint64_t)m.r[i].inside + m.r[i].count > 1ULL << 32 ||
		    (uint64_t)m.r[i].outside + m.r[i].count > 1ULL << 32)
			FAIL("idmap_parse took a bad range %u:%u:%u", m.r[i].inside, m.r[i].outside, m.r[i].count);
		for (int j = 0; j < i; j++)
			for (int side = 0; side < 2; side++) {
				uint64_t a = side ? m.r[i].outside : m.r[i].inside, b = side ? m.r[j].outside : m.r[j].inside;
				overlap |= a < b + m.r[j].count && b < a + m.r[i].count;
			}
	}
	if (!idmap_overlap(&m, why, sizeof(why)) != !overlap)
		FAIL("idmap_overlap says %s, a pairwise check %s", idmap_overlap(&m, why, sizeof(why)) ? "yes" : "no",
		     overlap ? "yes" : "no");
}

/*==== netparse: addresses, routes, devices, MTUs, sysctls, published ports ====*/

/* What each parser accepts is well-formed: an address re-parses, a sysctl stays in /proc/sys/net. */
static void t_netparse(const uint8_t *d, size_t n)
{
	static struct newns_opts o;
	static const int kinds[] = {OPT_ADDR, OPT_ROUTE, OPT_MTU, OPT_UP, OPT_SYSCTL};
	unsigned char fam = 0, addr[16], plen = 0;
	char text[64], path[140];
	if (n < 1)
		return;
	char *s = fuzz_str(d + 1, n - 1);
	if (d[0] % 3 == 0) {
		if (parse_prefix(s, strlen(s), &fam, addr, &plen) == 0 &&
		    ((fam != AF_INET && fam != AF_INET6) || plen > (fam == AF_INET ? 32 : 128) ||
		     !inet_ntop(fam, addr, text, sizeof(text)) || inet_pton(fam, text, addr) != 1))
			FAIL("parse_prefix took '%s' as family %d /%d", s, fam, plen);
	} else if (d[0] % 3 == 1) {
		struct nethelper h = NETHELPER_INIT;
		int opt = (int[]){OPT_NH_PUBLISH, OPT_NH_CIDR, OPT_NH_MTU, OPT_NH_TIMEOUT, OPT_NH_MODE, OPT_NH}[d[0] / 3 % 6];
		if (!nh_parse(&h, opt, s) && opt == OPT_NH_PUBLISH &&
		    (h.nports != 1 || !h.ports[0].host || !h.ports[0].guest ||
		     (h.ports[0].addr[0] && inet_pton(strchr(h.ports[0].addr, ':') ? AF_INET6 : AF_INET, h.ports[0].addr, addr) != 1)))
			FAIL("--publish took '%s'", s);
		if (opt == OPT_NH_CIDR && h.plen && (h.plen < 8 || h.plen > 25 || h.net & ~(~0u << (32 - h.plen))))
			FAIL("--cidr took '%s' as %08x/%u", s, h.net, h.plen);
	} else {
		memset(&o, 0, sizeof(o));
		int kind = kinds[d[0] / 3 % 5];
		parse_netop(&o, kind, "--opt", s);
		const struct netop *op = &o.ops[0];
		if (kind != OPT_SYSCTL && kind != OPT_MTU && strlen(op->dev) >= IFNAMSIZ)
			FAIL("a device name longer than %d: %s", IFNAMSIZ - 1, op->dev);
		if (kind == OPT_SYSCTL) {
			sysctl_path(s, path);
			if (strncmp(path, "/proc/sys/net", 13) || contains(path, "/../") || contains(path, "/.."))
				FAIL("--sysctl '%s' writes %s", s, path);
		}
	}
}

/*==== mountinfo: the fields of /proc/self/mountinfo lines ====*/

/* Any file of lines: each mount's root and mount point are strings inside the line. */
static void t_mountinfo(const uint8_t *d, size_t n)
{
	struct lines l;
	char *root, *mp, *rest;
	if (lines_open(&l, fuzz_file(d, n)) < 0)
		FAIL("open the memfd: %s", strerror(errno));
	while ((rest = mountinfo_next(&l, &root, &mp)))
		if (strlen(root) + strlen(mp) + strlen(rest) > l.size)
			FAIL("mountinfo fields longer than the line");
	lines_close(&l);
}

/*==== netlink: replies to a request ====*/

/* 1 (read on), 0 (done) or -errno with errno in 1..4095: never a positive error or one past -4095. */
static void t_netlink(const uint8_t *d, size_t n)
{
	if (n < 8)
		return;
	struct nl nl = {.fd = -1};
	memcpy(&nl.seq, d, 4);
	memcpy(&nl.port, d + 4, 4);
	uint32_t *buf = fuzz_alloc(n - 8 + 4); /* aligned as the kernel's datagrams are */
	memcpy(buf, d + 8, n - 8);
	unsigned char gb[64];
	struct nlbuf got = NLBUF(gb);
	int rc = nl_reply(&nl, (const struct nlmsghdr *)(void *)buf, n - 8, &got);
	if (got.len > sizeof(gb))
		FAIL("nl_reply copied %zu bytes into %zu", got.len, sizeof(gb));
	if (rc > 1 || rc <= -4096)
		FAIL("nl_reply returned %d", rc);
}

/*==== the driver ====*/

static const struct {
	const char *name;
	void (*run)(const uint8_t *, size_t);
} targets[] = {
	{"escape", t_escape},       {"join", t_join},         {"options", t_options},
	{"procstat", t_procstat},   {"sfmt", t_sfmt},         {"idmap", t_idmap},
	{"mapgrammar", t_mapgrammar}, {"netparse", t_netparse}, {"mountinfo", t_mountinfo},
	{"netlink", t_netlink},
};
static void (*target)(const uint8_t *, size_t);

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *name = getenv("RNSBOX_FUZZ");
	for (size_t i = 0; name && i < ARRAY_LEN(targets); i++)
		if (strcmp(targets[i].name, name) == 0)
			target = targets[i].run;
	if (!target) {
		fprintf(stderr, "RNSBOX_FUZZ=TARGET, one of:");
		for (size_t i = 0; i < ARRAY_LEN(targets); i++)
			fprintf(stderr, " %s", targets[i].name);
		fprintf(stderr, "\n");
		exit(2);
	}
	if (!getenv("RNSBOX_FUZZ_VERBOSE") && (fuzz_null = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		abort();
	if ((memfd = memfd_create("rnsbox-fuzz", MFD_CLOEXEC)) < 0)
		abort();
	opterr = 0;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	if (setjmp(fuzz_jmp) == 0)
		target(d, n);
	while (narena > 0)
		free(arena[--narena]);
	return 0;
}
