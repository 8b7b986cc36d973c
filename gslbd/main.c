/* gslbd: startup, signals, reloads and shutdown.
 *
 * The main thread loads the configuration and zones, binds the listeners,
 * publishes the first snapshot, starts the UDP workers and the TCP thread,
 * then runs its own event loop for signals (SIGHUP reloads, SIGTERM/SIGINT
 * stop) and the timer that frees replaced snapshots. */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "gslbd/config.h"
#include "gslbd/server.h"
#include "gslbd/snapshot.h"
#include "zones/zone.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG SYSCONFDIR "/gslbd/gslbd.conf"
#define RECLAIM_INTERVAL_MS 50

struct daemon {
	const char *config_path;    /* -c */
	bool debug;                 /* -d: force debug logging */
	struct event_base *base;    /* main loop */
	struct server *server;      /* listeners and threads */
	struct event *reclaim_ev;   /* frees replaced snapshots */
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: gslbd [-c FILE] [--port-file FILE] [-d]\n"
		"       gslbd --check-config [-c FILE]\n"
		"       gslbd --help-config | -V | -h\n"
		"\n"
		"  -c, --config FILE   configuration (default %s)\n"
		"      --port-file FILE  write the bound addresses and ports there once listening\n"
		"      --check-config  load the configuration and zones, report, and exit\n"
		"      --help-config   list every configuration option with default and range\n"
		"  -d, --debug         log at debug level\n"
		"  -V, --version       print the version\n"
		"  -h, --help          this text\n",
		DEFAULT_CONFIG);
}

/* Load the configuration and its zones into a new, unpublished snapshot. */
static int load_snapshot(const char *path, struct snapshot **out, struct gslb_err *err)
{
	struct config *cfg = NULL;
	struct zone_set *zones = NULL;
	struct zone_source *src;
	int rc;

	rc = config_load(path, &cfg, err);
	if (rc != 0)
		return rc;
	src = xcalloc(cfg->zone_count, sizeof(*src));
	for (size_t i = 0; i < cfg->zone_count; i++) {
		src[i].origin = cfg->zones[i].name;
		src[i].path = cfg->zones[i].file;
	}
	rc = zone_set_load(src, cfg->zone_count, &zones, err);
	free(src);
	if (rc != 0) {
		config_free(cfg);
		return rc;
	}
	*out = snapshot_new(cfg, zones, NULL);
	return 0;
}

static size_t total_records(const struct zone_set *zones)
{
	size_t n = 0;

	for (size_t i = 0; i < zone_set_count(zones); i++)
		n += zone_rr_count(zone_set_zone(zones, i));
	return n;
}

static void schedule_reclaim(struct daemon *d)
{
	struct timeval tv = { 0, RECLAIM_INTERVAL_MS * 1000 };

	if (!evtimer_pending(d->reclaim_ev, NULL))
		evtimer_add(d->reclaim_ev, &tv);
}

static void on_reclaim(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	if (snapshot_reclaim() > 0)
		schedule_reclaim(arg);
}

static void reload(struct daemon *d)
{
	const struct snapshot *old = snapshot_current();
	struct snapshot *snap;
	struct gslb_err err = { "" };

	log_info("reload: reading %s", d->config_path);
	if (load_snapshot(d->config_path, &snap, &err) != 0) {
		log_err("reload failed: %s; keeping generation %llu", err.msg,
			(unsigned long long)old->generation);
		return;
	}
	if (!server_matches(d->server, snap->config))
		log_warn("reload: listen addresses and workers changed in %s; they take effect "
			 "at the next restart", d->config_path);
	if (snap->config->user != NULL &&
	    (old->config->user == NULL || strcmp(snap->config->user, old->config->user) != 0))
		log_warn("reload: user changed; it takes effect at the next restart");
	if (!d->debug)
		log_set_level(snap->config->log_level);
	snapshot_publish(snap);
	log_info("reload: ok generation=%llu zones=%zu records=%zu",
		 (unsigned long long)snap->generation, zone_set_count(snap->zones),
		 total_records(snap->zones));
	schedule_reclaim(d);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	if (sig == SIGHUP) {
		reload(d);
		return;
	}
	log_info("signal %d: exiting", (int)sig);
	event_base_loopbreak(d->base);
}

static void on_libevent_log(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_ERR)
		log_err("libevent: %s", msg);
	else if (severity == EVENT_LOG_WARN)
		log_warn("libevent: %s", msg);
	else
		log_debug("libevent: %s", msg);
}

static void drop_privileges(const char *user)
{
	struct passwd *pw;

	if (user == NULL)
		return;
	if (geteuid() != 0) {
		log_warn("user '%s' ignored: not started as root", user);
		return;
	}
	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL)
		log_fatal("user '%s': %s", user, errno ? strerror(errno) : "no such user");
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0)
		log_fatal("cannot switch to user '%s': %s", user, strerror(errno));
	if (setuid(0) == 0)
		log_fatal("could switch back to root after dropping to '%s'", user);
	log_info("running as user %s (uid %ld)", user, (long)pw->pw_uid);
}

int main(int argc, char **argv)
{
	enum { OPT_PORT_FILE = 256, OPT_CHECK, OPT_HELP_CONFIG };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "port-file", required_argument, NULL, OPT_PORT_FILE },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "help-config", no_argument, NULL, OPT_HELP_CONFIG },
		{ "debug", no_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon d = { .config_path = DEFAULT_CONFIG };
	const char *port_file = NULL;
	bool check_only = false;
	struct snapshot *snap;
	struct gslb_err err = { "" };
	struct event *sig_ev[4];
	static const int sigs[4] = { SIGHUP, SIGTERM, SIGINT, SIGQUIT };
	char where[1024];
	int opt;

	while ((opt = getopt_long(argc, argv, "c:dVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			d.config_path = optarg;
			break;
		case OPT_PORT_FILE:
			port_file = optarg;
			break;
		case OPT_CHECK:
			check_only = true;
			break;
		case OPT_HELP_CONFIG:
			config_print_options(stdout);
			return 0;
		case 'd':
			d.debug = true;
			break;
		case 'V':
			printf("gslbd %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 1;
	}
	log_init("gslbd", false, d.debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);

	if (load_snapshot(d.config_path, &snap, &err) != 0) {
		if (check_only) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		log_fatal("%s", err.msg);
	}
	if (check_only) {
		printf("%s: ok (%zu zones, %zu records)\n", d.config_path,
		       zone_set_count(snap->zones), total_records(snap->zones));
		snapshot_free(snap);
		return 0;
	}
	log_init("gslbd", snap->config->log_syslog,
		 d.debug ? LOG_LEVEL_DEBUG : snap->config->log_level);
	log_info("gslbd %s starting: config=%s zones=%zu records=%zu", PACKAGE_VERSION,
		 d.config_path, zone_set_count(snap->zones), total_records(snap->zones));

	if (evthread_use_pthreads() != 0)
		log_fatal("libevent: no pthreads support");
	event_set_log_callback(on_libevent_log);
	signal(SIGPIPE, SIG_IGN);

	if (server_bind(snap->config, &d.server, &err) != 0)
		log_fatal("%s", err.msg);
	if (port_file != NULL && server_write_port_file(d.server, port_file, &err) != 0)
		log_fatal("%s", err.msg);
	drop_privileges(snap->config->user);

	d.base = event_base_new();
	if (d.base == NULL)
		log_fatal("cannot create the main event loop");
	for (int i = 0; i < 4; i++) {
		sig_ev[i] = evsignal_new(d.base, sigs[i], on_signal, &d);
		if (sig_ev[i] == NULL || evsignal_add(sig_ev[i], NULL) != 0)
			log_fatal("cannot handle signal %d", sigs[i]);
	}
	d.reclaim_ev = evtimer_new(d.base, on_reclaim, &d);
	snapshot_publish(snap);
	if (server_start(d.server, &err) != 0)
		log_fatal("%s", err.msg);
	server_describe(d.server, where, sizeof(where));
	log_info("ready: %s", where);

	event_base_dispatch(d.base);

	server_free(d.server);
	for (int i = 0; i < 4; i++)
		event_free(sig_ev[i]);
	event_free(d.reclaim_ev);
	event_base_free(d.base);
	snapshot_shutdown();
	libevent_global_shutdown();
	log_info("exiting");
	return 0;
}
