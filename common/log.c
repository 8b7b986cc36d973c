#include <config.h>

#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <event2/event.h>

#include "common/err.h"

#define LOG_RL_PER_SECOND 5

static const char *log_ident = "gslbd";
static bool log_syslog;
static _Atomic int log_level = LOG_LEVEL_INFO;

static const char *const level_names[] = { "error", "warning", "info", "debug" };

void log_init(const char *ident, bool use_syslog, enum log_level level)
{
	log_ident = ident;
	if (use_syslog && !log_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!use_syslog && log_syslog)
		closelog();
	log_syslog = use_syslog;
	atomic_store(&log_level, level);
}

void log_set_level(enum log_level level)
{
	atomic_store(&log_level, level);
}

enum log_level log_get_level(void)
{
	return (enum log_level)atomic_load_explicit(&log_level, memory_order_relaxed);
}

int log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcmp(s, "warn") == 0 || strcmp(s, "err") == 0) {
		*out = s[0] == 'w' ? LOG_LEVEL_WARN : LOG_LEVEL_ERR;
		return 0;
	}
	return GSLB_EINVAL;
}

const char *log_level_name(enum log_level level)
{
	return level_names[level];
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[2048];
	struct timespec ts;
	struct tm tm;
	char stamp[32];

	if ((int)level > atomic_load_explicit(&log_level, memory_order_relaxed))
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_syslog) {
		syslog(prio[level], "%s", line);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	/* One fprintf per line so that lines from several threads do not mix. */
	fprintf(stderr, "%s.%03ldZ %s[%s]: %s\n", stamp, ts.tv_nsec / 1000000, log_ident,
		level_names[level], line);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void log_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}

void log_rl_msg(struct log_rl *rl, enum log_level level, const char *fmt, ...)
{
	uint64_t now = (uint64_t)time(NULL);
	uint64_t window = atomic_load_explicit(&rl->window, memory_order_relaxed);
	uint32_t suppressed;
	va_list ap;

	if ((int)level > atomic_load_explicit(&log_level, memory_order_relaxed))
		return;
	if (window != now &&
	    atomic_compare_exchange_strong(&rl->window, &window, now))
		atomic_store(&rl->count, 0);
	if (atomic_fetch_add(&rl->count, 1) >= LOG_RL_PER_SECOND) {
		atomic_fetch_add(&rl->suppressed, 1);
		return;
	}
	suppressed = atomic_exchange(&rl->suppressed, 0);
	if (suppressed > 0)
		log_msg(level, "(%u similar messages suppressed)", suppressed);
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void log_libevent_message(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_ERR)
		log_err("libevent: %s", msg);
	else if (severity == EVENT_LOG_WARN)
		log_warn("libevent: %s", msg);
	else
		log_debug("libevent: %s", msg);
}
