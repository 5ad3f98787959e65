/*
 * tcp-echo: the published-port benchmark of `make bench`.
 *
 *   tcp-echo serve PORT                 accept on 0.0.0.0:PORT forever; echo one byte a
 *                                       connection, then close it
 *   tcp-echo rtt ROUNDS NAME PORT...    each round connects once to 127.0.0.1:PORT for
 *                                       every PORT, in an order that rotates from round to
 *                                       round, sends a byte, waits for it back and closes;
 *                                       prints per NAME (one per PORT) the median, mean and
 *                                       10th and 90th percentiles of that round trip in ms,
 *                                       and the median's ratio to the first's
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
		if (c_fd < 0)
			continue;
		if (read(c_fd, &c, 1) == 1 && write(c_fd, &c, 1) != 1)
			perror("tcp-echo: write");
		close(c_fd);
	}
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

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "serve") == 0)
		return serve(atoi(argv[2]));
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
