/*
 * bench: time commands against each other, for `make bench`. Every round runs each
 * command once, in an order that rotates from round to round, so drift on a shared,
 * noisy machine falls on all of them alike. A run is fork + execv + wait, timed with
 * CLOCK_MONOTONIC; its output goes to /dev/null, and a run that fails is counted. A
 * command may be a sequence, its parts separated by a lone ";", run one after another
 * and timed as one (create and remove). Prints, per command, the median, mean, the 10th
 * and 90th percentiles in milliseconds, and the median's ratio to the first command's
 * (the floor).
 *
 *   bench ROUNDS NAME 'CMD ARG... [; CMD ARG...]' [NAME 'CMD ...']...
 *   bench --series N BATCH 'CREATE ARG...' 'REMOVE ARG...'
 *
 * The series form runs CREATE N times, then REMOVE N times, with "{}" in an argument
 * replaced by the run's number, and prints the mean time of each BATCH runs: whether
 * a run's cost grows with the number of objects already there (1000 pins, say).
 * CMD and its arguments are split on spaces; no shell is involved.
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXCMD 12
#define MAXARG 1024

static int null_fd;

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Run each part of args (parts end at NULL, the list at a second NULL); 0 if all exit 0. */
static int run(char **args)
{
	int bad = 0, st;
	for (char **a = args; *a; a += 1) {
		pid_t p = fork();
		if (p == 0) {
			dup2(null_fd, 1);
			dup2(null_fd, 2);
			execv(a[0], a);
			_exit(127);
		}
		waitpid(p, &st, 0);
		bad |= st != 0;
		while (*a)
			a++;
	}
	return bad;
}

/* Split s on spaces into args; a lone ";" ends a part. */
static void split(char *s, char **args)
{
	int k = 0;
	for (char *t = strtok(s, " "); t && k < MAXARG - 3; t = strtok(NULL, " "))
		args[k++] = strcmp(t, ";") == 0 ? NULL : t;
	args[k] = args[k + 1] = NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int series(int n, int batch, char *create, char *remove)
{
	char *tmpl[2][MAXARG] = {{0}}, *args[MAXARG], buf[MAXARG][256];
	double sum[2] = {0}, first[2] = {0}, last[2] = {0};
	int failed = 0;
	split(create, tmpl[0]);
	split(remove, tmpl[1]);
	printf("%-10s %12s %12s   (mean ms a run)\n", "runs", "create", "remove");
	double *ms = calloc((size_t)n * 2, sizeof(double));
	for (int w = 0; w < 2; w++)
		for (int i = 0; i < n; i++) {
			for (int k = 0; k < MAXARG; k++) {
				char *at = tmpl[w][k] ? strstr(tmpl[w][k], "{}") : NULL;
				args[k] = tmpl[w][k];
				if (at) {
					snprintf(buf[k], sizeof(buf[k]), "%.*s%d%s", (int)(at - args[k]), args[k], i, at + 2);
					args[k] = buf[k];
				}
			}
			double a = now_ms();
			failed += run(args);
			ms[w * n + i] = now_ms() - a;
		}
	for (int b = 0; b * batch < n; b++) {
		for (int w = 0; w < 2; w++) {
			sum[w] = 0;
			for (int i = b * batch; i < (b + 1) * batch && i < n; i++)
				sum[w] += ms[w * n + i];
			sum[w] /= batch;
			if (b == 0)
				first[w] = sum[w];
			last[w] = sum[w];
		}
		printf("%4d-%-5d %12.3f %12.3f\n", b * batch, (b + 1) * batch - 1, sum[0], sum[1]);
	}
	printf("last batch / first batch: create %.2f, remove %.2f; failed runs: %d\n", last[0] / first[0],
	       last[1] / first[1], failed);
	return failed != 0;
}

int main(int argc, char **argv)
{
	char *args[MAXCMD][MAXARG];
	const char *name[MAXCMD];
	int ncmd = 0, rounds = argc > 1 ? atoi(argv[1]) : 0, failed[MAXCMD] = {0};
	null_fd = open("/dev/null", O_WRONLY);
	if (argc == 6 && strcmp(argv[1], "--series") == 0 && atoi(argv[2]) > 0 && atoi(argv[3]) > 0)
		return series(atoi(argv[2]), atoi(argv[3]), argv[4], argv[5]);
	if (rounds < 1 || argc < 4 || (argc - 2) % 2 || null_fd < 0) {
		fprintf(stderr, "usage: bench ROUNDS NAME 'CMD ARG... [; CMD ARG...]' [NAME 'CMD ...']...\n"
				"       bench --series N BATCH 'CREATE ARG...' 'REMOVE ARG...'\n");
		return 2;
	}
	for (int i = 2; i + 1 < argc && ncmd < MAXCMD; i += 2, ncmd++) {
		name[ncmd] = argv[i];
		split(argv[i + 1], args[ncmd]);
	}
	double *ms = calloc((size_t)(ncmd * rounds), sizeof(double));
	if (!ms)
		return 1;
	for (int r = 0; r < rounds; r++)
		for (int j = 0; j < ncmd; j++) {
			int c = (j + r) % ncmd;
			double a = now_ms();
			failed[c] += run(args[c]);
			ms[c * rounds + r] = now_ms() - a;
		}
	double floor_med = 0;
	printf("%-26s %8s %8s %8s %8s %8s %s\n", "command", "median", "mean", "p10", "p90", "x floor", "failed");
	for (int c = 0; c < ncmd; c++) {
		double *v = ms + c * rounds, sum = 0;
		for (int r = 0; r < rounds; r++)
			sum += v[r];
		qsort(v, (size_t)rounds, sizeof(double), cmp);
		double med = v[rounds / 2];
		if (c == 0)
			floor_med = med;
		printf("%-26s %8.3f %8.3f %8.3f %8.3f %8.2f %d/%d\n", name[c], med, sum / rounds, v[rounds / 10],
		       v[rounds * 9 / 10], med / floor_med, failed[c], rounds);
	}
	return 0;
}
