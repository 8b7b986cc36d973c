/* Inside gslb-probe: the agent's state and one curl transfer, shared by the
 * parts of the agent (agent.c wires them: transport.c, scheduler.c,
 * reporter.c, config_fetch.c). Included only from probes/; not part of the
 * contract main.c uses (probes/agent.h). Everything here belongs to the
 * agent's one thread and its event loop. */
#ifndef GSLBD_PROBES_PROBE_INTERNAL_H
#define GSLBD_PROBES_PROBE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "common/sign.h"
#include "probes/checks.h"
#include "probes/probe_conf.h"

struct check_state; /* scheduler.c */
struct send;        /* reporter.c */
struct sock;        /* transport.c */

/* What a transfer is for; transport.c hands it back to its owner by kind. */
enum xfer_kind {
	XFER_FETCH,  /* GET /v1/probe-config: config_fetch_done() */
	XFER_CHECK,  /* one run of a check: scheduler_check_done() */
	XFER_REPORT, /* POST /v1/reports to one server: reporter_done() */
};

/* One curl transfer in the multi handle. */
struct xfer {
	struct agent *a;                     /* owner */
	enum xfer_kind kind;                 /* what it is for */
	CURL *easy;                          /* the handle, in a->multi */
	struct curl_slist *headers;          /* request headers, or NULL */
	struct curl_slist *connect_to;       /* XFER_CHECK: CURLOPT_CONNECT_TO entry, or NULL */
	char errbuf[CURL_ERROR_SIZE];        /* libcurl's error text */
	char *body;                          /* response body kept so far */
	size_t body_len;                     /* bytes at body */
	size_t body_max;                     /* bytes kept at most */
	bool truncated;                      /* more body came than body_max */
	bool fail_on_overflow;               /* abort the transfer past body_max */
	char *etag;                          /* XFER_FETCH: ETag of the response, or NULL */
	struct sign_stamp stamp;             /* the request's signed boot id, seq and time */
	char *answer_sig[PCONFIG_SIG_COUNT]; /* XFER_FETCH: the answer's signature headers */
	const char *want_header;             /* XFER_CHECK: header whose value to keep, or NULL */
	char *header_value;                  /* its value in the last response, or NULL */
	size_t index;                        /* XFER_FETCH: server; XFER_CHECK: check */
	struct send *send;                   /* XFER_REPORT: what is being sent */
	char *post;        /* XFER_REPORT: the body posted (curl does not copy it) */
	struct xfer *prev; /* list of active transfers */
	struct xfer *next; /* list of active transfers */
};

/* The agent, one per process. Each group of members is written only by the
 * file named above it (agent.c reads them all to tear down). */
struct agent {
	/* agent.c */
	const struct probe_conf *conf; /* borrowed */
	bool once;                     /* one cycle, then stop */
	int exit_code;                 /* agent_run()'s result */
	struct event_base *base;       /* the loop */
	struct event *sig_term;        /* SIGTERM */
	struct event *sig_int;         /* SIGINT */
	/* transport.c */
	CURLM *multi;             /* every transfer */
	struct event *curl_timer; /* libcurl's timeout */
	struct xfer *xfers;       /* active transfers */
	struct sock *socks;       /* watched sockets */
	uint64_t boot;            /* this process's random boot id (sign.h) */
	uint64_t seq;             /* the last request number signed */
	/* config_fetch.c */
	struct event *refresh; /* next config fetch */
	bool fetching;         /* a fetch round is under way */
	char *etag;            /* ETag of the config in use, or NULL */
	uint64_t config_boot;  /* boot id of the gslbd that signed it, 0: none (or the cache) */
	uint64_t config_gen;   /* its generation there */
	/* scheduler.c */
	bool ready_logged;          /* the ready line was written */
	struct pcheck_list *checks; /* the checks in use, or NULL before the first */
	struct check_state *states; /* one per check */
	size_t *waitq;              /* ring of checks waiting for a slot */
	size_t wait_head;           /* first entry at waitq */
	size_t wait_len;            /* entries at waitq */
	size_t in_flight;           /* checks running */
	size_t once_done;           /* once: checks completed */
	/* reporter.c */
	struct event *report_timer; /* report cycle */
	struct send *sends;         /* reports in flight or waiting to retry */
	bool once_reported;         /* once: the report went out */
	uint64_t cycle;             /* the last report cycle numbered (per boot id) */
	bool *accepted;             /* once: each server accepted the report */
};

#endif
