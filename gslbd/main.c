/* gslbd: startup, signals, reloads and shutdown.
 *
 * The main thread loads the configuration, zones and GeoIP data, binds the
 * listeners, publishes the first snapshot, starts the UDP workers and the TCP
 * thread, then runs its own event loop for signals (SIGHUP reloads,
 * SIGTERM/SIGINT stop), the HTTP API and the timer that frees replaced
 * snapshots. Reloads and DNSSEC re-signing load on a thread of their own
 * (gslbd/net/reload.c); the loop only publishes what they built. */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <malloc.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "gslbd/net/api.h"
#include "gslbd/conf/conf.h"
#include "gslbd/control/control.h"
#include "gslbd/control/explain.h"
#include "gslbd/control/metrics.h"
#include "gslbd/control/progress.h"
#include "gslbd/net/sdnotify.h"
#include "gslbd/net/server.h"
#include "gslbd/net/etcd.h"
#include "gslbd/net/dnstap.h"
#include "gslbd/net/geocompile.h"
#include "gslbd/net/reload.h"
#include "gslbd/net/xfr_in.h"
#include "gslbd/net/webhook.h"
#include "gslbd/dns/snapshot.h"
#include "zones/zone.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG SYSCONFDIR "/gslbd/gslbd.conf"
#define RECLAIM_INTERVAL_MS 100
#define HEALTH_TICK_MS 250
/* How often STATUS= is refreshed under systemd when there is no watchdog. */
#define NOTIFY_INTERVAL_MS 1000

struct daemon {
	struct control *ctl;        /* control plane */
	struct event_base *base;    /* main loop */
	struct server *server;      /* DNS listeners and threads */
	struct api *api;            /* HTTP API, or NULL */
	struct webhooks *webhooks;  /* alert senders */
	struct etcd *etcd;          /* the fleet's shared state, or NULL */
	struct reloader *reloader;  /* runs reloads off the main loop */
	struct xfr_in *xfr_in;      /* keeps secondary zones current */
	struct dnstap_writer *dnstap; /* drains the DNS threads' dnstap rings */
	struct geocompile *maps;    /* compiles the geo maps off the main loop */
	time_t resign_next;         /* earliest time to try signing zones again */
};

/* The control plane's alerts go to the webhooks of the current config. */
static void on_alert(const struct alert *a, void *arg)
{
	struct daemon *d = arg;

	webhooks_send(d->webhooks, snapshot_current()->config, a);
}

/* Long work (signing, compiling geo maps) goes: tell the service manager. */
static void on_progress(void *arg, const char *text)
{
	(void)arg;
	sdnotify_progress(text);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: gslbd [-c FILE] [--port-file FILE] [-d]\n"
		"       gslbd --check-config [-c FILE]\n"
		"       gslbd --explain NAME CLIENT-IP [--ecs PREFIX] [--aaaa] [-c FILE]\n"
		"       gslbd --help-config | -V | -h\n"
		"\n"
		"  -c, --config FILE   configuration (default %s)\n"
		"      --port-file FILE  write the bound addresses and ports there once listening\n"
		"      --check-config  load the configuration, zones and GeoIP data, report, and exit\n"
		"      --explain NAME CLIENT-IP\n"
		"                      show how NAME is answered for a resolver at CLIENT-IP\n"
		"      --ecs PREFIX    with --explain: the query carries this EDNS Client Subnet\n"
		"      --aaaa          with --explain: explain the AAAA answer instead of A\n"
		"      --help-config   list every configuration option with default and range\n"
		"  -d, --debug         log at debug level\n"
		"  -V, --version       print the version\n"
		"  -h, --help          this text\n",
		DEFAULT_CONFIG);
}

static size_t total_records(const struct zone_set *zones)
{
	size_t n = 0;

	for (size_t i = 0; i < zone_set_count(zones); i++)
		n += zone_rr_count(zone_set_zone(zones, i));
	return n;
}

static void on_reclaim(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	snapshot_reclaim();
}

/* Seconds between two attempts to sign zones again after one failed. */
#define RESIGN_RETRY_S 60

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	time_t now = time(NULL);
	const char *zone;

	(void)fd;
	(void)what;
	control_tick(d->ctl);
	/* DNSSEC: sign what is loaded again (on the reload thread; DNS keeps
	 * answering from the current snapshot) when signatures come within
	 * refresh of expiry. The config file is not read: an edit in it waits
	 * for a reload, and an error in it stops nothing. */
	zone = control_resign_due(snapshot_current(), (uint32_t)now);
	if (zone != NULL && now >= d->resign_next && !reloader_busy(d->reloader)) {
		d->resign_next = now + RESIGN_RETRY_S;
		log_info("DNSSEC: the signatures of zone %s are due for refresh: signing again",
			 zone);
		reloader_request(d->reloader, CONTROL_RELOAD_RESIGN, NULL, NULL);
	}
}

/* Under systemd: the watchdog keep-alive and the STATUS= line, from the main
 * loop so that a stuck loop stops the keep-alives. */
static void on_notify(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	if (*(const bool *)arg)
		sdnotify_watchdog();
	sdnotify_status(snapshot_current());
}

/* After each config reload, failed or not: the API's certificates too. */
static void on_reloaded(void *arg)
{
	struct daemon *d = arg;

	api_reload(d->api, snapshot_current()->config);
	xfr_in_reconfigure(d->xfr_in, snapshot_current()->config);
	dnstap_writer_reconfigure(d->dnstap, snapshot_current()->config);
	dnstap_writer_set_geo(d->dnstap, snapshot_geo_share(snapshot_current()));
}

/* A reload published: compile the geo maps it waits for, if any. */
static void on_published(void *arg)
{
	struct daemon *d = arg;

	geocompile_kick(d->maps);
	dnstap_writer_set_geo(d->dnstap, snapshot_geo_share(snapshot_current()));
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	if (sig == SIGHUP) {
		reloader_request(d->reloader, CONTROL_RELOAD_SIGHUP, NULL, NULL);
		return;
	}
	log_info("signal %d: exiting", (int)sig);
	sdnotify_stopping();
	event_base_loopbreak(d->base);
}

/* Every TCP and API connection takes a descriptor: use all the hard limit
 * allows (the soft limit is often 1024). */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_warn("cannot raise the open file limit: %s", strerror(errno));
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

/* Write every bound socket to path, atomically. */
static void write_port_file(const char *path, const struct daemon *d)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");

	if (f == NULL)
		log_fatal("%s: cannot write: %s", tmp, strerror(errno));
	server_write_ports(d->server, f);
	api_write_ports(d->api, f);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		log_fatal("%s: cannot write: %s", path, strerror(errno));
	free(tmp);
}

static int run_explain(struct snapshot *snap, struct control *ctl, char **argv, int argc,
		       const char *ecs, bool aaaa)
{
	struct explain_query q = { .ecs = ecs, .qtype = aaaa ? 28 : 1 };
	struct gslb_err err = { "" };

	if (argc != 2) {
		fprintf(stderr, "gslbd: --explain takes NAME CLIENT-IP\n");
		return 1;
	}
	q.name = argv[0];
	q.client = argv[1];
	if (control_load_admin(ctl, snap, &err) != 0) {
		fprintf(stderr, "gslbd: %s\n", err.msg);
		return 1;
	}
	control_apply_states(ctl, snap);
	if (explain_print(stdout, snap, &q, &err) != 0) {
		fprintf(stderr, "gslbd: %s\n", err.msg);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	enum { OPT_PORT_FILE = 256, OPT_CHECK, OPT_HELP_CONFIG, OPT_EXPLAIN, OPT_ECS, OPT_AAAA };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "port-file", required_argument, NULL, OPT_PORT_FILE },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "help-config", no_argument, NULL, OPT_HELP_CONFIG },
		{ "explain", no_argument, NULL, OPT_EXPLAIN },
		{ "ecs", required_argument, NULL, OPT_ECS },
		{ "aaaa", no_argument, NULL, OPT_AAAA },
		{ "debug", no_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon d = { .ctl = NULL };
	const char *config_path = DEFAULT_CONFIG;
	bool debug = false;
	const char *port_file = NULL, *ecs = NULL;
	bool check_only = false, explain = false, aaaa = false;
	struct snapshot *snap;
	struct gslb_err err = { "" };
	struct event *sig_ev[4], *reclaim_ev, *tick_ev, *notify_ev = NULL;
	struct timeval tick_tv = { 0, HEALTH_TICK_MS * 1000 };
	static const int sigs[4] = { SIGHUP, SIGTERM, SIGINT, SIGQUIT };
	struct timeval reclaim_tv = { 0, RECLAIM_INTERVAL_MS * 1000 };
	char where[1024], http[512];
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "c:dVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case OPT_PORT_FILE:
			port_file = optarg;
			break;
		case OPT_CHECK:
			check_only = true;
			break;
		case OPT_EXPLAIN:
			explain = true;
			break;
		case OPT_ECS:
			ecs = optarg;
			break;
		case OPT_AAAA:
			aaaa = true;
			break;
		case OPT_HELP_CONFIG:
			config_print_options(stdout);
			return 0;
		case 'd':
			debug = true;
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
	if (optind != argc && !explain) {
		usage(stderr);
		return 1;
	}
	/* Zone loading allocates and frees ldns buffers per record; without a
	 * high trim threshold glibc shrinks and regrows the heap for each. */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	log_init("gslbd", false, debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN);
	if (!check_only && !explain) {
		log_set_level(debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
		/* Signing and compiling say how far they are, from the first load. */
		progress_set_watcher(on_progress, NULL);
		snapshot_set_maps_progress(progress_maps, NULL);
		/* The first answer does not wait for the geo maps: direct lookups
		 * answer until they are compiled (geocompile.h). */
		snapshot_set_maps_deferred(true);
	}

	if (control_load(config_path, NULL, &snap, &err) != 0) {
		if (check_only || explain) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		log_fatal("%s", err.msg);
	}
	progress_end();
	d.ctl = control_new(config_path, debug);
	if (check_only || explain) {
		/* A database the daemon would start without is an error here. */
		if (!control_geo_status(NULL)) {
			fprintf(stderr, "%s: geoip.database cannot be used (see above)\n",
				config_path);
			rc = 1;
		} else if (explain)
			rc = run_explain(snap, d.ctl, argv + optind, argc - optind, ecs, aaaa);
		else if ((rc = control_load_admin(d.ctl, snap, &err)) != 0 ||
			 (rc = api_check_tls(snap->config, &err)) != 0)
			fprintf(stderr, "%s\n", err.msg);
		else
			printf("%s: ok (%zu zones, %zu records, %zu load-balanced names, %zu "
			       "datacenters)\n",
			       config_path, zone_set_count(snap->zones),
			       total_records(snap->zones), snap->config->lbname_count,
			       snap->config->datacenter_count);
		snapshot_free(snap);
		control_free(d.ctl);
		return rc == 0 ? 0 : 1;
	}
	log_init("gslbd", snap->config->log_syslog,
		 debug ? LOG_LEVEL_DEBUG : snap->config->log_level);
	log_info("gslbd %s starting: config=%s zones=%zu records=%zu names=%zu datacenters=%zu",
		 PACKAGE_VERSION, config_path, zone_set_count(snap->zones),
		 total_records(snap->zones), snap->config->lbname_count,
		 snap->config->datacenter_count);
	control_load_admin_repair(d.ctl, snap);
	control_start(d.ctl, snap);

	if (evthread_use_pthreads() != 0)
		log_fatal("libevent: no pthreads support");
	event_set_log_callback(log_libevent_message);
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();

	d.base = event_base_new();
	if (d.base == NULL)
		log_fatal("cannot create the main event loop");
	if (server_bind(snap->config, &d.server, &err) != 0)
		log_fatal("%s", err.msg);
	if (api_start(d.base, snap->config, d.ctl, &d.api, &err) != 0)
		log_fatal("%s", err.msg);
	if (port_file != NULL)
		write_port_file(port_file, &d);
	drop_privileges(snap->config->user);
	control_check_state_dir(d.ctl, snap->config);

	for (int i = 0; i < 4; i++) {
		sig_ev[i] = evsignal_new(d.base, sigs[i], on_signal, &d);
		if (sig_ev[i] == NULL || evsignal_add(sig_ev[i], NULL) != 0)
			log_fatal("cannot handle signal %d", sigs[i]);
	}
	reclaim_ev = event_new(d.base, -1, EV_PERSIST, on_reclaim, NULL);
	evtimer_add(reclaim_ev, &reclaim_tv);
	tick_ev = event_new(d.base, -1, EV_PERSIST, on_tick, &d);
	evtimer_add(tick_ev, &tick_tv);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	d.webhooks = webhooks_new();
	control_set_alert_sink(d.ctl, on_alert, &d);
	d.reloader = reloader_new(d.base, d.ctl, d.server);
	reloader_set_hook(d.reloader, on_reloaded, &d);
	d.maps = geocompile_new(d.base, d.ctl);
	reloader_set_published(d.reloader, on_published, &d);
	snapshot_publish(snap);
	/* The fleet's overrides before the first answer (etcd allowing). */
	d.etcd = etcd_start(snap->config, d.base, d.ctl);
	/* Before the DNS threads: it sets their NOTIFY hook. */
	d.xfr_in = xfr_in_new(d.base, d.ctl, snap->config);
	d.dnstap = dnstap_writer_new(snap->config);
	dnstap_writer_set_geo(d.dnstap, snapshot_geo_share(snap));
	server_set_dnstap(d.server, d.dnstap);
	if (server_start(d.server, &err) != 0 || dnstap_writer_start(d.dnstap, &err) != 0)
		log_fatal("%s", err.msg);
	server_describe(d.server, where, sizeof(where));
	api_describe(d.api, http, sizeof(http));
	log_info("ready: %s%s", where, http);
	sdnotify_ready(snap);
	reloader_notify_all(d.reloader);
	geocompile_kick(d.maps);
	if (sdnotify_is_enabled()) {
		static bool watchdog;
		uint64_t wd = sdnotify_watchdog_usec();
		/* A quarter of the watchdog interval (sd_watchdog_enabled(3) asks
		 * for half at most): a keep-alive late by as much as another
		 * quarter still leaves the gap under half of it. */
		struct timeval notify_tv = { 0, NOTIFY_INTERVAL_MS * 1000 };

		if (wd > 0) {
			watchdog = true;
			notify_tv.tv_sec = (time_t)(wd / 4 / 1000000);
			notify_tv.tv_usec = (suseconds_t)(wd / 4 % 1000000);
			log_info("systemd watchdog: keep-alive every %llu ms",
				 (unsigned long long)(wd / 4000));
		}
		notify_ev = event_new(d.base, -1, EV_PERSIST, on_notify, &watchdog);
		evtimer_add(notify_ev, &notify_tv);
	}

	event_base_dispatch(d.base);

	xfr_in_free(d.xfr_in);
	reloader_free(d.reloader);
	geocompile_free(d.maps);
	server_free(d.server);
	dnstap_writer_free(d.dnstap);
	api_free(d.api);
	etcd_free(d.etcd);
	control_set_alert_sink(d.ctl, NULL, NULL);
	webhooks_free(d.webhooks);
	curl_global_cleanup();
	for (int i = 0; i < 4; i++)
		event_free(sig_ev[i]);
	event_free(reclaim_ev);
	event_free(tick_ev);
	if (notify_ev != NULL)
		event_free(notify_ev);
	event_base_free(d.base);
	snapshot_shutdown();
	control_free(d.ctl);
	metrics_shutdown();
	libevent_global_shutdown();
	log_info("exiting");
	return 0;
}
