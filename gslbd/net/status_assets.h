/* The status page's CSS, JavaScript and land outline (SVG), embedded at
 * build time from gslbd/net/status_page.css, status_page.js and
 * status_land.svg by gslbd/net/embed.awk into status_assets.c. */
#ifndef GSLBD_NET_STATUS_ASSETS_H
#define GSLBD_NET_STATUS_ASSETS_H

extern const char status_page_css[];
extern const char status_page_js[];
extern const char status_land_svg[];

#endif
