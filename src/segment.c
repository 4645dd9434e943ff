/* Segment: build the clean text (source minus removed noise), one paragraph
 * per line, with hard-wrapped lines joined back and a flattened one-line
 * speech split at its whitespace gaps. Keeps a map from clean offsets back
 * to source offsets so every field can report its place. */
#include "internal.h"

#include <stdlib.h>

typedef struct line_info {
    size_t start, end;   /* content, trimmed, in src */
    size_t removed_i;    /* first removed span that may overlap the line */
    bool kept;           /* some non-space character is kept (not removed) */
    /* Kept non-space characters. Only needed when the speech may be flattened
     * (a few lines), so only counted then (kept_chars); 0 until then. */
    size_t chars;
    uint32_t last, last2; /* last two kept non-space characters (last2 before last) */
    size_t raw_chars;     /* characters before noise removal: the width it was wrapped at */
    bool vanished;       /* emptied by noise removal: as if it were not there */
    bool blank;
} line_info;

/* Lead byte of a character in U+4000-9FFF (Han text): never a space nor
 * other punctuation the segmenter looks for. */
static inline bool is_han_lead(unsigned char c)
{
    return (unsigned)(c - 0xE4) <= 0xE9 - 0xE4;
}

/* Start of the character that ends at s[end-1], at start or after it: as
 * st_utf8_char_start, but a 3-byte character (Han text and CJK punctuation:
 * a lead E0-EF three bytes back, which in valid UTF-8 starts the character
 * that ends there) is decided at once. */
static inline size_t char_start_before(const char *s, size_t start, size_t end)
{
    if (end - start >= 3 && ((unsigned char)s[end - 3] & 0xF0) == 0xE0) return end - 3;
    return st_utf8_char_start(s, start, end);
}

/* The first space character in s[from,end): its offset (end when there is
 * none), and its length in *len. Han characters are stepped over whole;
 * any other byte may be tested, as no space starts with a continuation byte. */
static size_t find_space(const char *s, size_t from, size_t end, size_t *len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = from;
    while (i < end) {
        if (is_han_lead(u[i])) {
            i += 3;
            continue;
        }
        size_t n = st_space_len(s + i, end - i);
        if (n) {
            *len = n;
            return i;
        }
        i++;
    }
    *len = 0;
    return end;
}

/* Space characters in s[start,end). */
static size_t spaces_in(const char *s, size_t start, size_t end)
{
    size_t spaces = 0, n;
    for (size_t i = find_space(s, start, end, &n); i < end; i = find_space(s, i + n, end, &n)) spaces++;
    return spaces;
}

typedef struct builder {
    st_doc *doc;
    size_t removed_i; /* next removed span that may overlap */
} builder;

static void map_push(st_doc *doc, size_t clean_start, size_t src_start, size_t len)
{
    if (!len) return;
    if (doc->map_count) {
        st_map_seg *last = &doc->map[doc->map_count - 1];
        if (last->clean_start + last->len == clean_start && last->src_start + last->len == src_start) {
            last->len += len;
            return;
        }
    }
    st_map_seg *m = ST_PUSH(doc->map, doc->map_count, doc->map_cap);
    m->clean_start = clean_start;
    m->src_start = src_start;
    m->len = len;
}

/* Walks the parts of src[start,end) that no removed span covers, in order. */
typedef struct kept_walk {
    const st_removed_span *removed;
    size_t removed_count;
    size_t r; /* next removed span that may overlap */
    size_t pos, end;
} kept_walk;

/* Starts a walk; first moves *removed_i past the spans that end before start. */
static kept_walk kept_walk_start(const st_doc *doc, size_t *removed_i, size_t start, size_t end)
{
    while (*removed_i < doc->removed_count && doc->removed[*removed_i].end <= start) (*removed_i)++;
    kept_walk w = {doc->removed, doc->removed_count, *removed_i, start, end};
    return w;
}

/* The next kept part [*from, *to), never empty; false when there is none. */
static bool kept_walk_next(kept_walk *w, size_t *from, size_t *to)
{
    while (w->pos < w->end) {
        size_t stop = w->end;
        if (w->r < w->removed_count && w->removed[w->r].start < w->end) {
            const st_removed_span *r = &w->removed[w->r];
            if (r->start <= w->pos) {
                if (r->end > w->pos) w->pos = r->end;
                w->r++;
                continue;
            }
            stop = r->start;
        }
        *from = w->pos;
        *to = w->pos = stop;
        return true;
    }
    return false;
}

/* Copy src[start,end) minus removed spans into the clean text. */
static void emit_range(builder *b, size_t start, size_t end)
{
    st_doc *doc = b->doc;
    kept_walk w = kept_walk_start(doc, &b->removed_i, start, end);
    size_t from, to;
    while (kept_walk_next(&w, &from, &to)) {
        map_push(doc, doc->text_len, from, to - from);
        memcpy(doc->text + doc->text_len, doc->src + from, to - from);
        doc->text_len += to - from;
    }
}

static void end_paragraph(st_doc *doc, size_t *para_start)
{
    size_t s = *para_start, e = doc->text_len;
    /* trim spaces left at the edges by removed noise */
    size_t n;
    while (s < e && (n = st_space_len(doc->text + s, e - s)) != 0) s += n;
    while (e > s) {
        size_t c = char_start_before(doc->text, 0, e);
        if (c < s || st_space_len(doc->text + c, e - c) != e - c) break;
        e = c;
    }
    if (e > s) {
        st_para *p = ST_PUSH(doc->paras, doc->para_count, doc->para_cap);
        p->start = s;
        p->end = e;
        doc->text[doc->text_len++] = '\n';
    } else {
        doc->text_len = *para_start; /* drop an empty paragraph */
        while (doc->map_count && doc->map[doc->map_count - 1].clean_start >= doc->text_len) doc->map_count--;
        if (doc->map_count) {
            st_map_seg *last = &doc->map[doc->map_count - 1];
            if (last->clean_start + last->len > doc->text_len) last->len = doc->text_len - last->clean_start;
        }
    }
    *para_start = doc->text_len;
}

/* Kept non-space characters of line l. */
static size_t kept_chars(const st_doc *doc, const line_info *l)
{
    size_t ri = l->removed_i, chars = 0, from, to;
    kept_walk w = kept_walk_start(doc, &ri, l->start, l->end);
    while (kept_walk_next(&w, &from, &to))
        chars += st_utf8_count(doc->src + from, to - from) - spaces_in(doc->src, from, to);
    return chars;
}

/* The last two non-space characters of src[start,end), read backwards from
 * its end: sets *last (and *last2 before it) and returns how many were found
 * (0-2). */
static size_t last_two_chars(const char *src, size_t start, size_t end, uint32_t *last, uint32_t *last2)
{
    size_t found = 0, n;
    while (end > start && found < 2) {
        size_t c = char_start_before(src, start, end);
        if (st_space_len(src + c, end - c) != end - c) {
            *(found ? last2 : last) = st_utf8_next(src + c, end - c, &n);
            found++;
        }
        end = c;
    }
    return found;
}

/* Sets l->kept, l->last and l->last2 (the last two kept non-space characters,
 * 0 when missing) from the kept parts of the line, without counting. */
static void find_last_kept(const st_doc *doc, line_info *l)
{
    size_t ri = l->removed_i, from, to;
    kept_walk w = kept_walk_start(doc, &ri, l->start, l->end);
    l->kept = false;
    l->last = l->last2 = 0;
    while (kept_walk_next(&w, &from, &to)) {
        uint32_t last = 0, last2 = 0;
        size_t found = last_two_chars(doc->src, from, to, &last, &last2);
        if (found == 2) {
            l->last2 = last2;
            l->last = last;
        } else if (found == 1) {
            l->last2 = l->last;
            l->last = last;
        }
        if (found) l->kept = true;
    }
}

static bool line_touches_removed(const st_doc *doc, size_t ri, size_t start, size_t end)
{
    for (size_t r = ri; r < doc->removed_count && doc->removed[r].start <= end; r++)
        if (doc->removed[r].end >= start) return true;
    return false;
}

static bool ends_sentence(const line_info *l)
{
    uint32_t c = l->last;
    if (c == 0x201D || c == 0x300D || c == 0x300F || c == 0x2019) c = l->last2; /* 。” */
    return st_is_sentence_end(c) || c == 0x2026;
}

/* The last word of a speech title: 材料 发言 提纲 报告 … A first line ending so,
 * and shorter than the wrap width, is the whole title, even when it is nearly as
 * long as the wrapped lines. */
static bool ends_like_title(const line_info *l)
{
    static const uint32_t pairs[][2] = {
        {0x6750, 0x6599}, /* 材料 */ {0x53D1, 0x8A00}, /* 发言 */ {0x767C, 0x8A00}, /* 發言 */
        {0x63D0, 0x7EB2}, /* 提纲 */ {0x63D0, 0x7DB1}, /* 提綱 */ {0x62A5, 0x544A}, /* 报告 */
        {0x5831, 0x544A}, /* 報告 */ {0x8BB2, 0x8BDD}, /* 讲话 */ {0x8B1B, 0x8A71}, /* 講話 */
        {0x5256, 0x6790}, /* 剖析 */ {0x68C0, 0x67E5}, /* 检查 */ {0x6AA2, 0x67E5}, /* 檢查 */
        {0x6C47, 0x62A5}, /* 汇报 */ {0x4F53, 0x4F1A}, /* 体会 */ {0x8A00, 0x7A3F}, /* 言稿 */
    };
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++)
        if (l->last2 == pairs[i][0] && l->last == pairs[i][1]) return true;
    return false;
}

/* Hard-wrapped copies: most lines have (nearly) the same length, well below
 * a normal paragraph's. Returns that width, or 0 when the text is not wrapped. */
static bool ends_sentence(const line_info *l);

static size_t detect_wrap_width(const line_info *lines, size_t count)
{
    enum { MAXW = 120 };
    size_t hist[MAXW + 1] = {0};
    size_t nonblank = 0;
    for (size_t i = 0; i < count; i++) {
        if (lines[i].blank || lines[i].vanished) continue;
        nonblank++;
        if (lines[i].raw_chars <= MAXW) hist[lines[i].raw_chars]++;
    }
    if (nonblank < 6) return 0;
    size_t best_w = 0, best = 0;
    for (size_t w = 10; w <= MAXW; w++) {
        size_t c = hist[w] + hist[w - 1] + hist[w - 2];
        if (c > best || (c == best && w > best_w)) { best = c; best_w = w; }
    }
    if (nonblank < 8 || best * 10 < nonblank * 4 || best < 4) return 0;
    /* the widest length of the band is the wrap width */
    size_t w = best_w;
    while (w > best_w - 2 && hist[w] == 0) w--;
    /* a wrap breaks sentences: most full lines end mid-sentence and run on */
    size_t runs_on = 0;
    for (size_t i = 0; i + 1 < count; i++) {
        const line_info *l = &lines[i];
        if (l->blank || l->vanished || l->raw_chars + 2 < w || l->raw_chars > w) continue;
        if (!ends_sentence(l) && !lines[i + 1].blank) runs_on++;
    }
    return runs_on * 10 >= nonblank * 3 && runs_on >= 3 ? w : 0;
}

static bool starts_with_marker(const st_doc *doc, const line_info *l)
{
    st_style s;
    int o;
    return st_marker_at(doc->src + l->start, l->end - l->start, &s, &o) != 0;
}

/* A line that is only a marker (四、 or （一） alone, its heading on the next
 * line, as PDF copies break it): it goes on into the next line. */
static bool bare_marker_line(const st_doc *doc, const line_info *l)
{
    st_style s;
    int o;
    return l->raw_chars <= 8 && st_marker_at(doc->src + l->start, l->end - l->start, &s, &o) == l->end - l->start;
}

/* Does the line hold a punctuation mark that a title line would not
 * (sentence ends, commas, colons, semicolons, dashes; not 、, which lists the
 * slogans of a title: “学思想、强党性、重实践、建新功”)? */
static bool has_clause_punctuation(const st_doc *doc, const line_info *l)
{
    const char *s = doc->src + l->start;
    size_t len = l->end - l->start;
    for (size_t i = 0; i < len;) {
        size_t n;
        uint32_t c = st_utf8_next(s + i, len - i, &n);
        if (st_is_sentence_end(c) || c == 0xFF0C || c == ',' || c == 0xFF1A || c == ':' || c == 0xFF1B ||
            c == ';' || c == 0x2014 || c == 0x2026)
            return true;
        i += n;
    }
    return false;
}

/* A title set on two lines (市委常委班子2022年度民主生活会 / 对照检查材料):
 * two short lines without punctuation, the first not ending like a title and
 * the second ending so (材料, 发言, 提纲 …) and not a marker line. A line that
 * follows a finished title (a subtitle ——在…上的发言, a date) stays apart. */
static bool title_goes_on(const st_doc *doc, const line_info *first, const line_info *second)
{
    /* a short line above the title is a site's (目录, 下载后可编辑, 收藏 分享) */
    enum { TITLE_LINE_MIN = 8, TITLE_LINE_MAX = 30 };
    static const char *const site_words[] = {"下载", "编辑", "收藏", "分享", "目录", "来源", "作者", "发布",
                                             "浏览", "首页", "位置", "点击", "阅读", "文档", "范文", "打印"};
    if (first->raw_chars < TITLE_LINE_MIN || first->raw_chars > TITLE_LINE_MAX) return false;
    for (size_t w = 0; w < sizeof site_words / sizeof *site_words; w++)
        if (st_contains_lit(doc->src + first->start, first->end - first->start, site_words[w])) return false;
    return second->raw_chars <= TITLE_LINE_MAX && ends_like_title(second) && !ends_like_title(first) && !ends_sentence(first) &&
           !starts_with_marker(doc, first) && !starts_with_marker(doc, second) &&
           !has_clause_punctuation(doc, first) && !has_clause_punctuation(doc, second);
}

/* Does the longest line hold several heading markers (一、 二、 （一） …)? Then
 * it is a whole speech flattened onto one line rather than a long paragraph. */
static bool holds_many_headings(const st_doc *doc, const line_info *lines, size_t count, size_t longest)
{
    for (size_t i = 0; i < count; i++) {
        if (lines[i].chars != longest) continue;
        const unsigned char *u = (const unsigned char *)doc->src;
        size_t found = 0, end = lines[i].end;
        for (size_t pos = lines[i].start; pos < end;) {
            /* 、 (E3 80 81), （ (EF BC 88) or (; tested on the bytes, Han
             * characters stepped over whole */
            if (is_han_lead(u[pos])) {
                pos += 3;
                continue;
            }
            bool comma = u[pos] == 0xE3 && end - pos >= 3 && u[pos + 1] == 0x80 && u[pos + 2] == 0x81;
            bool paren = u[pos] == '(' ||
                         (u[pos] == 0xEF && end - pos >= 3 && u[pos + 1] == 0xBC && u[pos + 2] == 0x88);
            if (comma || paren) {
                st_style style;
                int ord;
                size_t back = pos;
                if (comma && back >= lines[i].start + 3) back -= 3; /* one numeral before 、 */
                if (st_marker_at(doc->src + back, end - back, &style, &ord) &&
                    (style == ST_STYLE_CN_COMMA || style == ST_STYLE_CN_PAREN))
                    found++;
            }
            pos++;
        }
        return found >= 3;
    }
    return false;
}

/* A flattened speech whose title runs straight into the preamble
 * (…对照检查材料按照要求，…): the end of the title, after the last word that
 * ends a speech title (材料 提纲 发言 讲话 …) in the first clause, or 0.
 * 报告/检查/汇报 are left out: 现将对照检查情况报告如下 is a preamble. */
static size_t flattened_title_end(const st_doc *doc, const line_info *l)
{
    static const uint32_t ends[][2] = {
        {0x6750, 0x6599}, /* 材料 */ {0x53D1, 0x8A00}, /* 发言 */ {0x767C, 0x8A00}, /* 發言 */
        {0x63D0, 0x7EB2}, /* 提纲 */ {0x63D0, 0x7DB1}, /* 提綱 */ {0x8BB2, 0x8BDD}, /* 讲话 */
        {0x8B1B, 0x8A71}, /* 講話 */ {0x8A00, 0x7A3F}, /* 言稿 */ {0x8BDD, 0x7A3F}, /* 话稿 */
    };
    /* what follows a title word that is not a title's end: 材料的, 发言如下, 发言中 */
    static const uint32_t not_after[] = {0x5982, 0x7684, 0x4E2D, 0x65F6, 0x4E0A, 0x548C, 0x53CA, 0x4E0E, 0x5DF2, 0x8981};
    /* a first clause that announces the report (现将…材料报告如下): words
     * of a preamble before the title word, or 如下 anywhere */
    static const uint32_t report_lead[][2] = {{0x73B0, 0x5C06}, /* 现将 */ {0x6309, 0x7167}, /* 按照 */
                                              {0x6839, 0x636E}, /* 根据 */};
    const char *s = doc->src;
    size_t split = 0, chars = 0;
    uint32_t prev = 0;
    for (size_t i = l->start; i < l->end && chars < 60;) {
        size_t n;
        uint32_t c = st_utf8_next(s + i, l->end - i, &n);
        if (st_is_space(c) || st_is_sentence_end(c) || c == 0xFF0C || c == ',' || c == 0x3001) break;
        if (prev == 0x5982 && c == 0x4E0B) return 0; /* 如下 */
        for (size_t k = 0; k < sizeof report_lead / sizeof *report_lead && !split; k++)
            if (prev == report_lead[k][0] && c == report_lead[k][1]) return 0;
        if (split == i)
            for (size_t k = 0; k < sizeof not_after / sizeof *not_after; k++)
                if (c == not_after[k]) split = 0;
        i += n;
        chars++;
        for (size_t k = 0; k < sizeof ends / sizeof *ends && chars >= 6; k++)
            if (prev == ends[k][0] && c == ends[k][1]) split = i;
        prev = c;
    }
    return split < l->end ? split : 0;
}

/* A flattened speech: the whole text on a line or two. Its paragraph breaks
 * survive as runs of spaces; split there. */
static void emit_flattened_line(builder *b, const line_info *l, size_t *para_start)
{
    st_doc *doc = b->doc;
    const char *src = doc->src;
    size_t from = l->start, seg = l->start, pos, n, m;
    uint32_t before = 0; /* the last non-space character */
    while ((pos = find_space(src, from, l->end, &n)) < l->end) {
        if (pos > from) { /* [from, pos) holds no space */
            size_t c = st_utf8_char_start(src, from, pos);
            before = st_utf8_next(src + c, pos - c, &m);
        }
        size_t gap_end = pos + n;
        while (gap_end < l->end && (n = st_space_len(src + gap_end, l->end - gap_end)) != 0) gap_end += n;
        uint32_t after = gap_end < l->end ? st_utf8_next(src + gap_end, l->end - gap_end, &m) : 0;
        /* a gap between two ASCII words is a word space, not a break */
        bool ascii_gap = before < 0x80 && after < 0x80 && before && after &&
                         !(before == '.' || before == ';' || before == '!' || before == '?');
        if (!ascii_gap && after) {
            emit_range(b, seg, pos);
            end_paragraph(doc, para_start);
            seg = gap_end;
        }
        from = gap_end;
    }
    emit_range(b, seg, l->end);
}

int st_segment(st_doc *doc)
{
    /* clean text is never longer than src plus one \n per line */
    size_t count = doc->line_count; /* st_build_line_table makes at least one */
    if (count == 0) abort();
    doc->text = malloc(doc->src_len + count + 2);
    line_info *lines = malloc(count * sizeof *lines);
    if (!doc->text || !lines) abort();
    doc->text_len = 0;

    /* lines, trimmed; the lines and their raw character counts come from the
     * line table */
    const char *src = doc->src;
    size_t ri = 0, nonblank = 0;
    for (size_t i = 0; i < count; i++) {
        line_info *l = &lines[i];
        bool last_line = i + 1 == count;
        size_t s = doc->line_start[i];
        size_t e = last_line ? doc->src_len : doc->line_start[i + 1] - 1;
        size_t raw = (last_line ? doc->src_chars : doc->line_chars[i + 1] - 1) - doc->line_chars[i];
        size_t n;
        while (s < e && (n = st_space_len(src + s, e - s)) != 0) {
            s += n;
            raw--;
        }
        while (e > s) {
            size_t c = char_start_before(src, s, e);
            if (st_space_len(src + c, e - c) != e - c) break;
            e = c;
            raw--;
        }
        l->start = s;
        l->end = e;
        l->raw_chars = raw;
        while (ri < doc->removed_count && doc->removed[ri].end <= s) ri++;
        l->removed_i = ri;
        l->chars = 0;
        find_last_kept(doc, l);
        l->blank = !l->kept && !line_touches_removed(doc, ri, s, e);
        l->vanished = !l->kept && !l->blank;
        if (l->kept) nonblank++;
    }
    /* character counts only for a speech that may be flattened (a few lines) */
    size_t longest = 0;
    if (nonblank <= 5) {
        for (size_t i = 0; i < count; i++) {
            if (lines[i].kept) lines[i].chars = kept_chars(doc, &lines[i]);
            if (lines[i].chars > longest) longest = lines[i].chars;
        }
    }

    size_t wrap = detect_wrap_width(lines, count);
    bool flattened = nonblank > 0 && nonblank <= 5 && longest > 80 && holds_many_headings(doc, lines, count, longest);
    doc->flattened = flattened;

    builder b = {doc, 0};
    size_t para_start = 0;
    const line_info *prev = NULL; /* previous kept line of the current paragraph */
    const line_info *first_line = NULL;
    for (size_t i = 0; i < count; i++) {
        const line_info *l = &lines[i];
        if (l->vanished) continue;
        if (l->blank) {
            if (prev) end_paragraph(doc, &para_start);
            prev = NULL;
            continue;
        }
        bool join = false;
        if (!first_line) first_line = l;
        if (wrap && prev && prev->raw_chars + 3 >= wrap && !starts_with_marker(doc, l))
            join = !ends_sentence(prev) &&
                   !(prev == first_line && prev->raw_chars < wrap && ends_like_title(prev));
        if (prev == first_line && !join && l != first_line && prev->kept && l->kept && title_goes_on(doc, prev, l))
            join = true;
        if (prev && !join && prev->kept && l->kept && bare_marker_line(doc, prev) && !starts_with_marker(doc, l))
            join = true;
        if (prev && !join) end_paragraph(doc, &para_start);
        if (flattened && l->chars > 80) {
            line_info rest = *l;
            size_t title_end = l == first_line ? flattened_title_end(doc, l) : 0;
            if (title_end) { /* a title run into the preamble is a paragraph of its own */
                emit_range(&b, l->start, title_end);
                end_paragraph(doc, &para_start);
                rest.start = title_end;
            }
            emit_flattened_line(&b, &rest, &para_start);
        } else {
            emit_range(&b, l->start, l->end);
        }
        prev = l;
    }
    if (prev) end_paragraph(doc, &para_start);
    doc->text[doc->text_len] = 0;
    free(lines);
    return 0;
}
