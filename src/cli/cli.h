#ifndef ST_CLI_H
#define ST_CLI_H
#include <stdio.h>
#include "speechtree.h"
int cmd_parse(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_outline(int argc, char **argv);
int cmd_stats(int argc, char **argv);
/* read a whole file ("-" is stdin) into a malloc'ed buffer; 0 or errno */
int cli_read_file(const char *path, char **data, size_t *len);
#endif
