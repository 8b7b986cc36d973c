/* Logging to stderr or syslog, printf-checked, safe from any thread.
 *
 * Nothing is logged per query at info level; per-packet problems go through
 * log_ratelimited(), which lets a few lines a second through per call site
 * and counts the rest. */
#ifndef GSLBD_COMMON_LOG_H
#define GSLBD_COMMON_LOG_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

enum log_level {
	LOG_LEVEL_ERR = 0,
	LOG_LEVEL_WARN = 1,
	LOG_LEVEL_INFO = 2,
	LOG_LEVEL_DEBUG = 3,
};

/* Set the program name, destination and level. Call once at startup before
 * threads start; log_set_level() may be called again later (reload). */
void log_init(const char *ident, bool use_syslog, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parse "error", "warning", "info", "debug". Returns 0 or GSLB_EINVAL. */
int log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#define log_err(...) log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)                                 \
	do {                                           \
		if (log_get_level() >= LOG_LEVEL_DEBUG) \
			log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__); \
	} while (0)

/* Log one of libevent's own messages (severity an EVENT_LOG_* value) as
 * "libevent: msg" at the matching level. Pass it to
 * event_set_log_callback() before creating an event_base. */
void log_libevent_message(int severity, const char *msg);

/* Log at error level and exit(1). Startup code only. */
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Per-call-site rate limit state. */
struct log_rl {
	_Atomic uint64_t window;     /* second the counters belong to */
	_Atomic uint32_t count;      /* lines let through in that second */
	_Atomic uint32_t suppressed; /* lines dropped since the last one shown */
};

void log_rl_msg(struct log_rl *rl, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_ratelimited(level, ...)                         \
	do {                                                \
		static struct log_rl log_rl_site_;          \
		log_rl_msg(&log_rl_site_, level, __VA_ARGS__); \
	} while (0)

#endif
