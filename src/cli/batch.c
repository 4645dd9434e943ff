/* STUB */
#include "cli.h"
int cmd_batch(int argc, char **argv) { (void)argc; (void)argv; fputs("speechtree: batch: not implemented yet\n", stderr); return 2; }
