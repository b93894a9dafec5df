/*
 * The baseline for bench/webhooks: the least a webhook receiver can do on libmicrohttpd.
 * Same daemon shape as the service (internal epoll thread, pool of 2 workers), reads the
 * body, checks X-Hub-Signature-256 with one-shot HMAC-SHA256 and CRYPTO_memcmp, answers 202.
 * No storage, no JSON, no routing. Build: cc -O2 hmac_server.c -lmicrohttpd -lcrypto
 * Usage: hmac_server PORT SECRET
 */
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *secret;

struct req { char *buf; size_t len, cap; };

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
    (void)cls; (void)c; (void)toe;
    struct req *r = *con_cls;
    if (r) { free(r->buf); free(r); }
    *con_cls = NULL;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *text) {
    struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                 const char *version, const char *data, size_t *size, void **con_cls) {
    (void)cls; (void)url; (void)method; (void)version;
    struct req *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        *con_cls = r;
        return MHD_YES;
    }
    if (*size) {
        if (r->len + *size > r->cap) {
            r->cap = (r->len + *size) * 2;
            r->buf = realloc(r->buf, r->cap);
        }
        memcpy(r->buf + r->len, data, *size);
        r->len += *size;
        *size = 0;
        return MHD_YES;
    }
    const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Hub-Signature-256");
    unsigned char mac[32];
    unsigned int maclen = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)r->buf, r->len, mac, &maclen);
    char expected[7 + 64 + 1] = "sha256=";
    for (int i = 0; i < 32; i++) sprintf(expected + 7 + 2 * i, "%02x", mac[i]);
    if (!sig || strlen(sig) != 71 || CRYPTO_memcmp(sig, expected, 71) != 0)
        return reply(c, 401, "{\"error\":\"invalid_signature\"}");
    return reply(c, 202, "{\"status\":\"accepted\"}");
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s PORT SECRET\n", argv[0]); return 2; }
    secret = argv[2];
    sigset_t set;
    sigemptyset(&set); sigaddset(&set, SIGINT); sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, (uint16_t)atoi(argv[1]),
        NULL, NULL, access_cb, NULL,
        MHD_OPTION_THREAD_POOL_SIZE, 2u,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_CONNECTION_TIMEOUT, 30u,
        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
        MHD_OPTION_END);
    if (!d) { fprintf(stderr, "cannot start\n"); return 1; }
    printf("listening port=%s\n", argv[1]);
    fflush(stdout);
    int sig;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    return 0;
}
