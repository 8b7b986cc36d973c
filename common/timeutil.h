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

#endif
