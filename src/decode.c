/* STUB: replaced by the real decoder (ICU). UTF-8 only, line ends normalised. */
#include "internal.h"
#include <stdlib.h>
int st_decode(st_doc *doc, const char *data, size_t len, const st_options *opt, st_error *err)
{
    (void)opt; (void)err;
    size_t i = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) i = 3;
    doc->src = malloc(len - i + 1);
    size_t o = 0;
    for (; i < len; i++) {
        if (data[i] == '\r') { doc->src[o++] = '\n'; if (i + 1 < len && data[i + 1] == '\n') i++; }
        else doc->src[o++] = data[i];
    }
    doc->src[o] = 0;
    doc->src_len = o;
    doc->encoding = "UTF-8";
    doc->encoding_source = "default";
    doc->confidence = 100;
    return 0;
}
