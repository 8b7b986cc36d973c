#include <config.h>

#include "common/timeutil.h"

#include <time.h>

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t time_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

uint64_t time_wall_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

uint64_t time_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t real_mono_ms(void *arg)
{
	(void)arg;
	return time_mono_ms();
}

static uint64_t real_wall_ms(void *arg)
{
	(void)arg;
	return time_wall_ms();
}

const struct gslb_clock gslb_clock_real = {real_mono_ms, real_wall_ms, NULL};
