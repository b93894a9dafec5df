#include <microhttpd.h>

// `MHD_get_connection_info` is variadic, which Swift does not import: this wrapper passes no
// variadic argument (none of the info types the server asks for takes one).
static inline const union MHD_ConnectionInfo *ai_mhd_connection_info(
    struct MHD_Connection *connection, enum MHD_ConnectionInfoType type) {
    return MHD_get_connection_info(connection, type);
}
