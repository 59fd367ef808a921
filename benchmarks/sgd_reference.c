/* Hand-written C reference for benchmarks/sgd.py: SGD with momentum, batch size one, on
 * zhang2018 Example 3 (n = 2, r = 1, m = 3), one xoshiro256++ stream per trial (seeded by
 * splitmix64 of the trial index), Box–Muller Gaussian initialization, index by Lemire's
 * multiply-shift. Trials are independent: plain loop over trials, steps inside, all state
 * in registers ("plain"); or, with a third argument "lanes", blocks of 8 trials advanced
 * together, steps outer and lanes inner (independent chains the CPU can overlap and the
 * compiler may put in SIMD registers). Prints: trials steps cpu-seconds failures.
 * Build: gcc -O2 -o sgd_reference sgd_reference.c -lm      Run: ./sgd_reference TRIALS STEPS
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double a11[3], a12[3], a22[3], b[3];
static const double lr = 1e-3, beta = 0.9, coef = 4.0;

static void gaussian_pair(uint64_t *seed, double *g0, double *g1) {
    uint64_t u1 = splitmix64(seed), u2 = splitmix64(seed);
    double rho = sqrt(-2.0 * log(((u1 >> 11) + 1) * 0x1.0p-53)), ang = 2.0 * M_PI * ((u2 >> 11) * 0x1.0p-53);
    *g0 = rho * cos(ang);
    *g1 = rho * sin(ang);
}

static int failed(double x0, double x1) {
    double e00 = x0 * x0 - 1.0, e01 = x0 * x1, e11 = x1 * x1;
    return !(sqrt(e00 * e00 + 2.0 * e01 * e01 + e11 * e11) <= 1e-2);
}

#define L 8
static long run_lanes(long trials, long steps) {
    long failures = 0;
    for (long t0 = 0; t0 < trials; t0 += L) {
        uint64_t s0[L], s1[L], s2[L], s3[L];
        double x0[L], x1[L], v0[L], v1[L];
        for (int l = 0; l < L; l++) {
            uint64_t seed = (uint64_t)(t0 + l);
            s0[l] = splitmix64(&seed); s1[l] = splitmix64(&seed); s2[l] = splitmix64(&seed); s3[l] = splitmix64(&seed);
            gaussian_pair(&seed, &x0[l], &x1[l]);
            v0[l] = v1[l] = 0.0;
        }
        for (long k = 0; k < steps; k++) {
            for (int l = 0; l < L; l++) {
                uint64_t out = rotl(s0[l] + s3[l], 23) + s0[l], tt = s1[l] << 17;
                s2[l] ^= s0[l]; s3[l] ^= s1[l]; s1[l] ^= s2[l]; s0[l] ^= s3[l]; s2[l] ^= tt; s3[l] = rotl(s3[l], 45);
                int i = (int)(((out >> 32) * 3ULL) >> 32);
                double ax0 = a11[i] * x0[l] + a12[i] * x1[l], ax1 = a12[i] * x0[l] + a22[i] * x1[l];
                double res = coef * (x0[l] * ax0 + x1[l] * ax1 - b[i]);
                v0[l] = beta * v0[l] + res * ax0; v1[l] = beta * v1[l] + res * ax1;
                x0[l] -= lr * v0[l]; x1[l] -= lr * v1[l];
            }
        }
        for (int l = 0; l < L && t0 + l < trials; l++) failures += failed(x0[l], x1[l]);
    }
    return failures;
}

int main(int argc, char **argv) {
    long trials = argc > 1 ? atol(argv[1]) : 100000;
    long steps = argc > 2 ? atol(argv[2]) : 1000;
    int lanes = argc > 3 && argv[3][0] == 'l';
    const double sq2 = sqrt(2.0), s15 = sqrt(1.5);
    /* A_i as (a11, a12, a22), b_i = <A_i, z z^T> with z = (1, 0). */
    a11[0] = sq2; a22[0] = 1.0 / sq2; a12[1] = s15; a22[2] = s15; b[0] = sq2;
    long failures = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    if (lanes) failures = run_lanes(trials, steps);
    else for (long t = 0; t < trials; t++) {
        uint64_t seed = (uint64_t)t, s0 = splitmix64(&seed), s1 = splitmix64(&seed), s2_ = splitmix64(&seed),
                 s3 = splitmix64(&seed);
        double x0, x1, v0 = 0.0, v1 = 0.0;
        gaussian_pair(&seed, &x0, &x1);
        for (long k = 0; k < steps; k++) {
            uint64_t out = rotl(s0 + s3, 23) + s0, tt = s1 << 17;
            s2_ ^= s0; s3 ^= s1; s1 ^= s2_; s0 ^= s3; s2_ ^= tt; s3 = rotl(s3, 45);
            int i = (int)(((out >> 32) * 3ULL) >> 32);
            double ax0 = a11[i] * x0 + a12[i] * x1, ax1 = a12[i] * x0 + a22[i] * x1;
            double res = coef * (x0 * ax0 + x1 * ax1 - b[i]);
            v0 = beta * v0 + res * ax0; v1 = beta * v1 + res * ax1;
            x0 -= lr * v0; x1 -= lr * v1;
        }
        failures += failed(x0, x1);
    }
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
    double sec = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
    printf("%ld %ld %.6f %ld\n", trials, steps, sec, failures);
    return 0;
}
