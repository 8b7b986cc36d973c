/* The status page: GET / on the HTTP API serves one self-contained HTML
 * page (CSS, JavaScript and a world map inside it, nothing from the
 * network). The server renders the map and the tables of datacenters,
 * probes and pools from the current snapshot, so the page reads without
 * JavaScript; the script then polls GET /v1/status twice a second and
 * updates states, verdicts, RTTs and report ages in place. The page is
 * read-only and as public as /v1/status. Main thread (the API's loop). */
#ifndef GSLBD_NET_STATUS_PAGE_H
#define GSLBD_NET_STATUS_PAGE_H

struct http_request;

/* Reply to req with the page (200, text/html), or its headers for HEAD. */
void status_page_serve(struct http_request *req);

#endif
