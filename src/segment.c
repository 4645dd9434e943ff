#include "internal.h"
int st_segment(st_doc *doc) { (void)doc; return 0; }
