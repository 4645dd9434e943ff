/* STUB CLI: parse only; the full CLI replaces this. */
#include "cli.h"
#include <stdlib.h>
#include <string.h>
int cmd_parse(int argc, char **argv)
{
    const char *in = NULL, *out = NULL; unsigned flags = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--pretty")) flags |= ST_JSON_PRETTY;
        else if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
        else in = argv[i];
    }
    if (!in) { fputs("usage: speechtree parse FILE [-o OUT] [--pretty]\n", stderr); return 2; }
    char *data; size_t len;
    if (cli_read_file(in, &data, &len)) { fprintf(stderr, "speechtree: %s: cannot read\n", in); return 1; }
    st_error err; st_options opt; st_options_init(&opt); opt.source_name = in;
    st_doc *doc = st_parse(data, len, &opt, &err);
    free(data);
    if (!doc) { fprintf(stderr, "speechtree: %s: %s\n", in, err.message); return 1; }
    size_t n; char *json = st_render_json(doc, flags, &n);
    FILE *f = out ? fopen(out, "wb") : stdout;
    fwrite(json, 1, n, f); fputc('\n', f);
    if (out) fclose(f);
    free(json); st_doc_free(doc);
    return 0;
}
int main(int argc, char **argv)
{
    if (argc < 2) { fputs("usage: speechtree parse FILE\n", stderr); return 2; }
    if (!strcmp(argv[1], "parse")) return cmd_parse(argc - 1, argv + 1);
    if (!strcmp(argv[1], "batch")) return cmd_batch(argc - 1, argv + 1);
    if (!strcmp(argv[1], "outline")) return cmd_outline(argc - 1, argv + 1);
    if (!strcmp(argv[1], "stats")) return cmd_stats(argc - 1, argv + 1);
    fputs("usage: speechtree parse FILE\n", stderr); return 2;
}
