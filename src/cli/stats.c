/* STUB */
#include "cli.h"
int cmd_stats(int argc, char **argv) { (void)argc; (void)argv; fputs("speechtree: stats: not implemented yet\n", stderr); return 2; }
