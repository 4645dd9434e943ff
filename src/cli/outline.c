/* STUB */
#include "cli.h"
int cmd_outline(int argc, char **argv) { (void)argc; (void)argv; fputs("speechtree: outline: not implemented yet\n", stderr); return 2; }
