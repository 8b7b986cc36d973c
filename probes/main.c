/* gslb-probe: runs the health checks gslbd hands out and reports the
 * results, signed, to every gslbd server. */
#include <config.h>

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "common/err.h"
#include "common/log.h"
#include "probes/agent.h"
#include "probes/probe_conf.h"

#define DEFAULT_CONFIG SYSCONFDIR "/gslbd/probe.yaml"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: gslb-probe [-c FILE] [-d] [--once]\n"
		"       gslb-probe -V | -h\n"
		"\n"
		"  -c, --config FILE   configuration (default %s)\n"
		"  -d, --debug         log at debug level\n"
		"      --once          run every check once, report to every server, exit\n"
		"                      (0 when every server accepted the report)\n"
		"  -V, --version       print the version\n"
		"  -h, --help          this text\n",
		DEFAULT_CONFIG);
}

enum { OPT_ONCE = 256 };

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'}, {"debug", no_argument, NULL, 'd'},
	    {"once", no_argument, NULL, OPT_ONCE},    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	const char *config_path = DEFAULT_CONFIG;
	struct gslb_err err = {{0}};
	struct probe_conf *conf = NULL;
	struct agent *agent = NULL;
	bool debug = false, once = false;
	CURLcode cc;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "c:dVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'd':
			debug = true;
			break;
		case OPT_ONCE:
			once = true;
			break;
		case 'V':
			printf("gslb-probe %s\n", PACKAGE_VERSION);
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
	/* Before anything else touches libcurl. */
	cc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (cc != CURLE_OK) {
		fprintf(stderr, "gslb-probe: curl_global_init: %s\n", curl_easy_strerror(cc));
		return 1;
	}
	log_init("gslb-probe", false, debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	if (probe_conf_load(config_path, &conf, &err) != 0) {
		log_err("%s", err.msg);
		curl_global_cleanup();
		return 1;
	}
	log_init("gslb-probe", conf->log_syslog, debug ? LOG_LEVEL_DEBUG : conf->log_level);
	/* A peer closing a connection must not kill us (libcurl also sets
	 * MSG_NOSIGNAL where it can). */
	signal(SIGPIPE, SIG_IGN);
	if (agent_new(conf, once, &agent, &err) != 0) {
		log_err("%s", err.msg);
		probe_conf_free(conf);
		curl_global_cleanup();
		return 1;
	}
	log_info("gslb-probe %s starting: config=%s probe=%s servers=%zu%s", PACKAGE_VERSION,
		 config_path, conf->id, conf->server_count, once ? " once" : "");
	for (size_t i = 0; i < conf->server_count; i++) {
		if (probe_conf_url_is_plain_remote(conf->servers[i]))
			log_warn("server %s: plain HTTP beyond loopback: anyone on the path reads "
				 "the probe config and the reports and can hold them back; use "
				 "https:// (with tls.ca_file or tls.pin)",
				 conf->servers[i]);
	}
	rc = agent_run(agent);
	agent_free(agent);
	probe_conf_free(conf);
	curl_global_cleanup();
	libevent_global_shutdown();
	return rc;
}
