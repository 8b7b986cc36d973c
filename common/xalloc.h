/* Allocation that cannot fail: on out-of-memory these log and abort, so
 * callers skip NULL checks. Any thread. Not for the per-query path, which
 * does not allocate at all. */
#ifndef GSLBD_COMMON_XALLOC_H
#define GSLBD_COMMON_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
/* Resize to count * size bytes, checking the multiplication. */
void *xreallocarray(void *ptr, size_t count, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t len);
/* printf into a new string; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
