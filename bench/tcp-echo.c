/*
 * tcp-echo: the published-port benchmark of `make bench`.
 *
 *   tcp-echo serve PORT                 accept on 0.0.0.0:PORT forever; echo one byte a
 *                                       connection, then close it; or, when that byte is
 *                                       'u', read to EOF and answer one byte; when it is
 *                                       'd', send the number of MiB the next byte says
 *                                       times 16 (so up to 4 GiB), then close
 *   tcp-echo rtt ROUNDS NAME PORT...    each round connects once to 127.0.0.1:PORT for
 *                                       every PORT, in an order that rotates from round to
 *                                       round, sends a byte, waits for it back and closes;
 *                                       prints per NAME (one per PORT) the median, mean and
 *                                       10th and 90th percentiles of that round trip in ms,
 *                                       and the median's ratio to the first's
 *
 *   tcp-echo tput MIB ROUNDS NAME PORT...
 *                                       MIB (a multiple of 16) up ('u': sent, then
 *                                       shutdown, until the answer) and down ('d': read to
 *                                       EOF) through each PORT, ROUNDS times interleaved;
 *                                       prints the median MiB/s each way and its ratio to
 *                                       the first's
 *
 * NAME and PORT alternate: rtt 400 direct 47500 slirp4netns 47501. A round trip that
 * fails is counted and left out.
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXPORT 8

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static char buf[1 << 18];

static int serve(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	int one = 1, s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char c;
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 64) < 0) {
		perror("tcp-echo: serve");
		return 1;
	}
	for (;;) {
		int c_fd = accept4(s, NULL, NULL, SOCK_CLOEXEC);
		unsigned char n;
		if (c_fd < 0)
			continue;
		if (read(c_fd, &c, 1) != 1) {
			close(c_fd);
			continue;
		}
		if (c == 'u') {
			while (read(c_fd, buf, sizeof(buf)) > 0)
				;
		} else if (c == 'd' && read(c_fd, &n, 1) == 1) {
			for (long long left = (long long)n << 24; left > 0;) {
				ssize_t k = write(c_fd, buf, left < (long long)sizeof(buf) ? (size_t)left : sizeof(buf));
				if (k <= 0)
					break;
				left -= k;
			}
			close(c_fd);
			continue;
		}
		if (write(c_fd, &c, 1) != 1)
			perror("tcp-echo: write");
		close(c_fd);
	}
}

/* One transfer of mib MiB through 127.0.0.1:port, up (down 0: sent) or down: MiB/s, or -1. */
static double transfer(int port, int mib, int down)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unsigned char cmd[2] = {down ? 'd' : 'u', (unsigned char)(mib / 16)};
	long long moved = 0, want = (long long)(mib / 16) << 24;
	ssize_t k = 1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || write(s, cmd, down ? 2 : 1) != (down ? 2 : 1)) {
		if (s >= 0)
			close(s);
		return -1;
	}
	double t = now_ms();
	if (down) {
		while (moved < want && (k = read(s, buf, sizeof(buf))) > 0)
			moved += k;
	} else {
		while (moved < want && (k = write(s, buf, want - moved < (long long)sizeof(buf) ? (size_t)(want - moved) : sizeof(buf))) > 0)
			moved += k;
		shutdown(s, SHUT_WR);
		k = read(s, cmd, 1); /* the answer: the server read everything */
	}
	t = now_ms() - t;
	close(s);
	return moved == want && k >= 0 ? (double)mib / (t / 1e3) : -1;
}

/* One connect + byte out + byte back + close to 127.0.0.1:port: its time in ms, or -1. */
static double round_trip(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	int one = 1, s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char c = 'x';
	double t = now_ms();
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	int ok = s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 && write(s, &c, 1) == 1 &&
		 read(s, &c, 1) == 1;
	t = now_ms() - t;
	if (s >= 0)
		close(s);
	return ok ? t : -1;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int tput(int argc, char **argv)
{
	int mib = atoi(argv[2]), rounds = atoi(argv[3]), n = (argc - 4) / 2;
	double t[2][MAXPORT][64], med[2][MAXPORT];
	if (mib < 16 || mib > 4080 || rounds < 1 || rounds > 64 || n > MAXPORT) {
		fprintf(stderr, "usage: tcp-echo tput MIB(16..4080) ROUNDS(1..64) NAME PORT [NAME PORT]...\n");
		return 2;
	}
	for (int r = 0; r < rounds; r++)
		for (int j = 0; j < n; j++)
			for (int d = 0; d < 2; d++) {
				int k = (r + j) % n;
				t[d][k][r] = transfer(atoi(argv[5 + 2 * k]), mib, d);
			}
	printf("%-28s %10s %10s %8s %8s\n", "path", "up MiB/s", "down MiB/s", "x up", "x down");
	for (int k = 0; k < n; k++) {
		for (int d = 0; d < 2; d++) {
			qsort(t[d][k], (size_t)rounds, sizeof(double), cmp);
			med[d][k] = t[d][k][rounds / 2];
		}
		printf("%-28s %10.0f %10.0f %8.2f %8.2f", argv[4 + 2 * k], med[0][k], med[1][k],
		       med[0][0] > 0 ? med[0][k] / med[0][0] : 0, med[1][0] > 0 ? med[1][k] / med[1][0] : 0);
		if (t[0][k][0] < 0 || t[1][k][0] < 0)
			printf("  (a transfer failed)");
		printf("\n");
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "serve") == 0)
		return serve(atoi(argv[2]));
	if (argc >= 6 && strcmp(argv[1], "tput") == 0 && argc % 2 == 0)
		return tput(argc, argv);
	if (argc < 5 || strcmp(argv[1], "rtt") != 0 || argc % 2 != 1 || (argc - 3) / 2 > MAXPORT) {
		fprintf(stderr, "usage: tcp-echo serve PORT | tcp-echo rtt ROUNDS NAME PORT [NAME PORT]...\n");
		return 2;
	}
	int rounds = atoi(argv[2]), n = (argc - 3) / 2, got[MAXPORT] = {0}, failed[MAXPORT] = {0};
	double *t[MAXPORT], floor = 0;
	for (int k = 0; k < n; k++)
		if (!(t[k] = malloc(sizeof(double) * (size_t)rounds)))
			return 1;
	for (int r = 0; r < rounds; r++)
		for (int j = 0; j < n; j++) {
			int k = (r + j) % n;
			double ms = round_trip(atoi(argv[4 + 2 * k]));
			if (ms < 0)
				failed[k]++;
			else
				t[k][got[k]++] = ms;
		}
	printf("%-28s %8s %8s %8s %8s %8s\n", "path", "median", "mean", "p10", "p90", "x direct");
	for (int k = 0; k < n; k++) {
		double sum = 0;
		if (!got[k]) {
			printf("%-28s all %d round trips failed\n", argv[3 + 2 * k], failed[k]);
			continue;
		}
		qsort(t[k], (size_t)got[k], sizeof(double), cmp);
		for (int i = 0; i < got[k]; i++)
			sum += t[k][i];
		double med = t[k][got[k] / 2];
		if (k == 0)
			floor = med;
		printf("%-28s %8.3f %8.3f %8.3f %8.3f %8.2f", argv[3 + 2 * k], med, sum / got[k], t[k][got[k] / 10],
		       t[k][got[k] * 9 / 10], floor > 0 ? med / floor : 0);
		if (failed[k])
			printf("  (%d failed)", failed[k]);
		printf("\n");
	}
	return 0;
}
