/*
 * bench: time commands against each other, for `make bench`. Every round runs each
 * command once, in an order that rotates from round to round, so drift on a shared,
 * noisy machine falls on all of them alike. A run is fork + execv + wait, timed with
 * CLOCK_MONOTONIC; its output goes to /dev/null, and a run that fails is counted.
 * Prints, per command, the median, mean, the 10th and 90th percentiles in
 * milliseconds, and the median's ratio to the first command's (the floor).
 *
 *   bench ROUNDS NAME 'CMD ARG...' [NAME 'CMD ARG...']...
 *
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
#define MAXARG 32

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	char *args[MAXCMD][MAXARG];
	const char *name[MAXCMD];
	int ncmd = 0, rounds = argc > 1 ? atoi(argv[1]) : 0, failed[MAXCMD] = {0};
	if (rounds < 1 || argc < 4 || (argc - 2) % 2) {
		fprintf(stderr, "usage: bench ROUNDS NAME 'CMD ARG...' [NAME 'CMD ARG...']...\n");
		return 2;
	}
	for (int i = 2; i + 1 < argc && ncmd < MAXCMD; i += 2, ncmd++) {
		int k = 0;
		name[ncmd] = argv[i];
		for (char *t = strtok(argv[i + 1], " "); t && k < MAXARG - 1; t = strtok(NULL, " "))
			args[ncmd][k++] = t;
		args[ncmd][k] = NULL;
	}
	double *ms = calloc((size_t)(ncmd * rounds), sizeof(double));
	int null = open("/dev/null", O_WRONLY);
	if (!ms || null < 0)
		return 1;
	for (int r = 0; r < rounds; r++)
		for (int j = 0; j < ncmd; j++) {
			int c = (j + r) % ncmd, st;
			struct timespec a, b;
			clock_gettime(CLOCK_MONOTONIC, &a);
			pid_t p = fork();
			if (p == 0) {
				dup2(null, 1);
				dup2(null, 2);
				execv(args[c][0], args[c]);
				_exit(127);
			}
			waitpid(p, &st, 0);
			clock_gettime(CLOCK_MONOTONIC, &b);
			ms[c * rounds + r] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
			failed[c] += st != 0;
		}
	double floor_med = 0;
	printf("%-22s %8s %8s %8s %8s %8s %s\n", "command", "median", "mean", "p10", "p90", "x floor", "failed");
	for (int c = 0; c < ncmd; c++) {
		double *v = ms + c * rounds, sum = 0;
		for (int r = 0; r < rounds; r++)
			sum += v[r];
		qsort(v, (size_t)rounds, sizeof(double), cmp);
		double med = v[rounds / 2];
		if (c == 0)
			floor_med = med;
		printf("%-22s %8.3f %8.3f %8.3f %8.3f %8.2f %d/%d\n", name[c], med, sum / rounds, v[rounds / 10],
		       v[rounds * 9 / 10], med / floor_med, failed[c], rounds);
	}
	return 0;
}
