/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_xlsx: libFuzzer target for base/xlsx_read, the reader every .xlsx import goes
 * through: arbitrary bytes as a workbook, with small caps so that a zip bomb or a huge
 * sheet ends in RC_TOOLARGE quickly instead of exhausting the fuzzer's memory. The
 * corpus (tests/fuzz/corpus/xlsx) starts from a workbook libxlsxwriter wrote.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/xlsx_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    struct xlsx_limits lim = {.max_part = 8u << 20, .max_rows = 10000, .max_cols = 64};
    struct buf out;
    buf_init(&out, 4u << 20);
    struct err e;
    err_clear(&e);
    if (xlsx_to_csv(data, n, &lim, &out, &e) == RC_OK)
        (void)buf_len(&out);
    buf_cleanup(&out);
    return 0;
}
