/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_json: libFuzzer target for the request-body path: jsonx_parse (UTF-8 and
 * depth pre-scan, then Jansson) and the typed getters on whatever it accepts.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/jsonx.h"
#include "base/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    json_t *j;
    struct err e;
    if (jsonx_parse((const char *)data, n, JSONX_MAX_DEPTH, &j, &e) != RC_OK)
        return 0;
    const char *s;
    int64_t i;
    bool b;
    static const char *const allowed[] = {"a", "name", NULL};
    (void)jsonx_get_str(j, "name", false, 64, &s, &e);
    (void)jsonx_get_int(j, "a", false, -5, 5, &i, &e);
    (void)jsonx_get_bool(j, "b", false, &b, &e);
    (void)jsonx_only(j, allowed, &e);
    char *c = jsonx_canonical(j);
    xfree(c);
    json_decref(j);
    return 0;
}
