/* Clock helpers. Any thread. */
#ifndef GSLBD_COMMON_TIMEUTIL_H
#define GSLBD_COMMON_TIMEUTIL_H

#include <stdint.h>

/* Milliseconds on the monotonic clock (for deadlines and ages). */
uint64_t time_mono_ms(void);
/* Microseconds on the monotonic clock (for timing work). */
uint64_t time_mono_us(void);
/* Milliseconds since the Unix epoch (for timestamps others see). */
uint64_t time_wall_ms(void);

/* Reads one of a clock's times, in milliseconds. */
typedef uint64_t gslb_clock_read_fn(void *arg);

/* A clock handed to the code that decides by time (the control plane), so
 * that a test can run it on a virtual clock: the daemon's is
 * gslb_clock_real, a replay's advances only when its scenario says so. */
struct gslb_clock {
	gslb_clock_read_fn *mono_ms; /* monotonic milliseconds (deadlines, ages) */
	gslb_clock_read_fn *wall_ms; /* milliseconds since the Unix epoch (stamps) */
	void *arg;                   /* passed to both */
};

/* time_mono_ms() and time_wall_ms(). */
extern const struct gslb_clock gslb_clock_real;

static inline uint64_t gslb_clock_mono_ms(const struct gslb_clock *c)
{
	return c->mono_ms(c->arg);
}

static inline uint64_t gslb_clock_wall_ms(const struct gslb_clock *c)
{
	return c->wall_ms(c->arg);
}

#endif
