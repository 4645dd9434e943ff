/* STUB: replaced by the real noise stage. */
#include "internal.h"
int st_clean(st_doc *doc, const st_rules *rules, bool keep_noise) { (void)doc; (void)rules; (void)keep_noise; return 0; }
