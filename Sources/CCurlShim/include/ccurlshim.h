#ifndef CCURLSHIM_H
#define CCURLSHIM_H
#include <curl/curl.h>

/* Non-variadic wrappers: Swift cannot call curl's variadic setopt/getinfo functions. */
CURLcode shim_easy_setopt_long(CURL *h, CURLoption o, long v);
CURLcode shim_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v);
CURLcode shim_easy_setopt_str(CURL *h, CURLoption o, const char *v);
CURLcode shim_easy_setopt_ptr(CURL *h, CURLoption o, void *v);
CURLcode shim_easy_setopt_write_cb(CURL *h, CURLoption o, curl_write_callback cb);
CURLcode shim_easy_getinfo_long(CURL *h, CURLINFO i, long *out);
CURLcode shim_easy_getinfo_double(CURL *h, CURLINFO i, double *out);
CURLcode shim_easy_getinfo_ptr(CURL *h, CURLINFO i, void **out);
CURLMcode shim_multi_setopt_long(CURLM *m, CURLMoption o, long v);

#endif
