#include "internal.h"
void st_classify(st_doc *doc) { (void)doc; }
