/*
 * Times a shell command run the way PostgreSQL's archiver runs archive_command: system(3), which
 * is /bin/sh -c COMMAND started with posix_spawn (glibc 2.29+), from a small process. A bash loop
 * adds the cost of forking bash itself, which PostgreSQL doesn't pay.
 *
 *   system-call RUNS COMMAND                   prints "median p95 mean" in milliseconds
 *   system-call RUNS --exec PROGRAM [ARG...]   the program alone, posix_spawn and waitpid (no shell)
 *
 * Built and used by bench/push-latency.sh. Fails (exit 1) on the first run that exits non-zero.
 */
#define _POSIX_C_SOURCE 200809L
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec * 1e3 + (double) t.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

/* One run: the command through system(), or the program spawned directly; its exit status. */
static int run_once(char **argv, int direct)
{
    if (!direct) {
        return system(argv[0]);
    }
    pid_t pid;
    int status;
    if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0 || waitpid(pid, &status, 0) != pid) {
        return -1;
    }
    return status;
}

int main(int argc, char **argv)
{
    int direct = argc >= 4 && strcmp(argv[2], "--exec") == 0;
    if ((argc != 3 && !direct) || atoi(argv[1]) < 1) {
        fprintf(stderr, "usage: system-call RUNS COMMAND | system-call RUNS --exec PROGRAM [ARG...]\n");
        return 2;
    }
    char **command = argv + (direct ? 3 : 2);
    int runs = atoi(argv[1]);
    double *samples = malloc(sizeof(double) * (size_t) runs);
    double sum = 0;
    if (samples == NULL) {
        return 1;
    }
    for (int i = 0; i < runs; i++) {
        double start = now_ms();
        int status = run_once(command, direct);
        samples[i] = now_ms() - start;
        if (status != 0) {
            fprintf(stderr, "system-call: '%s' returned %d\n", command[0], status);
            return 1;
        }
        sum += samples[i];
    }
    qsort(samples, (size_t) runs, sizeof(double), by_value);
    int p95 = (int) (runs * 0.95 + 0.5);
    p95 = p95 < 1 ? 1 : (p95 > runs ? runs : p95);
    double median = runs % 2 ? samples[runs / 2] : (samples[runs / 2 - 1] + samples[runs / 2]) / 2;
    printf("%.1f %.1f %.1f\n", median, samples[p95 - 1], sum / runs);
    return 0;
}
