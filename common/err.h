/* Error codes and messages shared by every module.
 *
 * Fallible calls return 0 or a negative GSLB_E* code and, where a caller
 * needs to tell a person what went wrong, fill a struct gslb_err with one
 * line ("file:line:col: message" for input errors). Any thread. */
#ifndef GSLBD_COMMON_ERR_H
#define GSLBD_COMMON_ERR_H

#include <errno.h>
#include <stddef.h>

#define GSLB_OK 0
#define GSLB_EINVAL (-EINVAL)  /* bad argument or value */
#define GSLB_ENOENT (-ENOENT)  /* no such file, name or entry */
#define GSLB_EIO (-EIO)        /* read or write failed */
#define GSLB_ENOSPC (-ENOSPC)  /* output buffer too small */
#define GSLB_ERANGE (-ERANGE)  /* value out of range */
#define GSLB_EPARSE (-1001)    /* syntax or semantic error in input */
#define GSLB_EEXIST (-EEXIST)  /* duplicate or conflicting definition */
#define GSLB_ECONFLICT (-1002) /* changed meanwhile by someone else (a stale revision) */
#define GSLB_EUNAVAIL (-1003)  /* a remote store cannot be reached: nothing was done */

/* One human-readable error line. */
struct gslb_err {
	char msg[1024]; /* NUL-terminated message, empty when no error */
};

/* Set err->msg (err may be NULL). Returns GSLB_EPARSE so that callers can
 * write "return gslb_err_set(err, ...)"; use gslb_err_setc() for another code. */
int gslb_err_set(struct gslb_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Same, returning code. */
int gslb_err_setc(struct gslb_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the message already in err with "prefix: ". */
void gslb_err_prefix(struct gslb_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
