/* Lex markers: find every enumeration-marker candidate in the clean text.
 *
 * A candidate is a marker (一、 （一） 1. （1） ① 第一， 一是 一要 一则 …) at
 * the start of a paragraph, or inside one right after sentence punctuation
 * (。；：！？ or their ASCII forms), or — for the ordinal leads 一是/第一，
 * only — after a comma. Whether a candidate really is a marker is decided
 * by the parser from the sequence (一 then 二), not here. */
#include "internal.h"

/* See internal.h. Plain: ASCII letters (not digits or punctuation), stray
 * continuation bytes and F8-FF (U+FFFD), 2-byte characters from U+00C0 (C3-DF),
 * 3-byte ones with leads E1 and E4-EE (U+1000-1FFF, U+4000-EFFF: Han text),
 * 4-byte ones with leads F1-F7. Not plain: C0, C1, E0 and F0 can decode to ASCII
 * (overlong forms), C2 holds U+00A0, E2 the general punctuation and quotes, E3
 * 、。〇「」 and the ideographic space, EF the fullwidth forms and U+FEFF. */
const unsigned char st_plain_len[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 10 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 20 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 30 */
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 40 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, /* 50 */
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 60 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, /* 70 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 80 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 90 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* A0 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* B0 */
    0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* C0 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* D0 */
    0, 3, 0, 0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, /* E0 */
    0, 4, 4, 4, 4, 4, 4, 4, 1, 1, 1, 1, 1, 1, 1, 1, /* F0 */
};

/* Chinese digits; those of 1-9 are listed again in han_marker_low6 */
static int cn_digit(uint32_t c)
{
    switch (c) {
    case 0x96F6: case 0x3007: return 0;          /* 零 〇 */
    case 0x4E00: case 0x58F9: case 0x5F0C: return 1; /* 一 壹 弌 */
    case 0x4E8C: case 0x8D30: case 0x8CB3: return 2; /* 二 贰 貳 */
    case 0x4E09: case 0x53C1: case 0x53C3: return 3; /* 三 叁 參 */
    case 0x56DB: case 0x8086: return 4;          /* 四 肆 */
    case 0x4E94: case 0x4F0D: return 5;          /* 五 伍 */
    case 0x516D: case 0x9678: case 0x9646: return 6; /* 六 陸 陆 */
    case 0x4E03: case 0x67D2: return 7;          /* 七 柒 */
    case 0x516B: case 0x634C: return 8;          /* 八 捌 */
    case 0x4E5D: case 0x7396: return 9;          /* 九 玖 */
    default: return -1;
    }
}

static bool cn_ten(uint32_t c) { return c == 0x5341 || c == 0x62FE; } /* 十 拾 (also in han_marker_low6) */
static bool cn_hundred(uint32_t c) { return c == 0x767E || c == 0x4F70; } /* 百 佰 */

/* Parse a Chinese numeral (1..999) at s; returns bytes used, 0 if none. */
static size_t cn_numeral(const char *s, size_t len, int *value)
{
    size_t i = 0, n;
    int total = 0, cur = -1, chars = 0;
    bool zero_seen = false;
    while (i < len && chars < 6) {
        uint32_t c = st_utf8_next(s + i, len - i, &n);
        int d = cn_digit(c);
        if (d > 0) {
            if (cur >= 0) return 0; /* 一一: two digits in a row is a word, not a numeral */
            cur = d;
        } else if (d == 0) {
            if (total == 0 || zero_seen) return 0;
            zero_seen = true;
        } else if (cn_ten(c)) {
            if (total % 100 >= 10 && total >= 10) return 0;
            total += (cur >= 0 ? cur : 1) * 10;
            cur = -1;
        } else if (cn_hundred(c)) {
            if (total != 0 || cur < 0) return 0;
            total += cur * 100;
            cur = -1;
        } else {
            break;
        }
        i += n;
        chars++;
    }
    if (cur >= 0) total += cur;
    if (i == 0 || total <= 0) return 0;
    *value = total;
    return i;
}

static int ascii_or_wide_digit(uint32_t c)
{
    if (c >= '0' && c <= '9') return (int)(c - '0');
    if (c >= 0xFF10 && c <= 0xFF19) return (int)(c - 0xFF10);
    return -1;
}

/* Arabic number of 1..6 digits, no leading zero; returns bytes used. */
static size_t arabic_numeral(const char *s, size_t len, int *value)
{
    size_t i = 0, n;
    long v = 0;
    int digits = 0;
    while (i < len) {
        uint32_t c = st_utf8_next(s + i, len - i, &n);
        int d = ascii_or_wide_digit(c);
        if (d < 0) break;
        if (digits == 0 && d == 0) return 0;
        if (++digits > 6) return 0;
        v = v * 10 + d;
        i += n;
    }
    if (!digits) return 0;
    *value = (int)v;
    return i;
}

static uint32_t peek(const char *s, size_t len, size_t at, size_t *n)
{
    if (at >= len) { *n = 0; return 0; }
    return st_utf8_next(s + at, len - at, n);
}

/* A word after 一是/一要 that shows the numeral is a quantity, not an ordinal:
 * 一是一 (idiom), 一要个… */
static bool lead_blocked_by(uint32_t c)
{
    return cn_digit(c) >= 0 || cn_ten(c) || c == 0x4E2A /* 个 */ || c == 0x6B21 /* 次 */;
}

/* A numeral followed by one of these counts or dates something (二、三季度,
 * 一、二年级): the numeral before the 、 belongs to the same enumeration of
 * numbers, not to a marker. */
static bool counted_after(const char *s, size_t len)
{
    static const char *const units[] = {"季度", "月", "年", "日", "号", "届", "级", "批", "期", "类",
                                        "个", "次", "项", "条", "名", "等", "、"};
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
        size_t n = strlen(units[i]);
        if (len >= n && memcmp(s, units[i], n) == 0) return true;
    }
    return false;
}

#define LOW6_BIT(c) (UINT64_C(1) << ((c) & 63))
/* The Han characters that can start a marker (第, cn_digit 1-9, cn_ten), by
 * their low six bits: a first filter that lets about a third of all Han
 * characters through to the exact test. */
static const uint64_t han_marker_low6 =
    LOW6_BIT(0x7B2C) | LOW6_BIT(0x5341) | LOW6_BIT(0x62FE) |                         /* 第 十 拾 */
    LOW6_BIT(0x4E00) | LOW6_BIT(0x58F9) | LOW6_BIT(0x5F0C) | LOW6_BIT(0x4E8C) |      /* 一 壹 弌 二 */
    LOW6_BIT(0x8D30) | LOW6_BIT(0x8CB3) | LOW6_BIT(0x4E09) | LOW6_BIT(0x53C1) |      /* 贰 貳 三 叁 */
    LOW6_BIT(0x53C3) | LOW6_BIT(0x56DB) | LOW6_BIT(0x8086) | LOW6_BIT(0x4E94) |      /* 參 四 肆 五 */
    LOW6_BIT(0x4F0D) | LOW6_BIT(0x516D) | LOW6_BIT(0x9678) | LOW6_BIT(0x9646) |      /* 伍 六 陸 陆 */
    LOW6_BIT(0x4E03) | LOW6_BIT(0x67D2) | LOW6_BIT(0x516B) | LOW6_BIT(0x634C) |      /* 七 柒 八 捌 */
    LOW6_BIT(0x4E5D) | LOW6_BIT(0x7396);                                             /* 九 玖 */

/* Can a marker start with c? Most places the lexer tries are not markers: this
 * turns them down before any numeral is parsed. A numeral cannot start with a
 * zero (零 〇 0 ０) or with 百. */
static bool may_start_marker(uint32_t c)
{
    if (c < 0x80) return c == '(' || (c >= '1' && c <= '9');
    if (c >= 0xFF08) return c == 0xFF08 || (c >= 0xFF11 && c <= 0xFF19); /* （ １-９ */
    if (c >= 0x4E00)
        return (han_marker_low6 >> (c & 63) & 1) && (c == 0x7B2C /* 第 */ || cn_digit(c) > 0 || cn_ten(c));
    return (c >= 0x2460 && c <= 0x2487) || (c >= 0x2776 && c <= 0x2793) ||
           (c >= 0x3251 && c <= 0x325F) || (c >= 0x32B1 && c <= 0x32BF);
}

size_t st_marker_at(const char *s, size_t len, st_style *style, int *ordinal)
{
    size_t n, m, i;
    int v;
    uint32_t c = peek(s, len, 0, &n);
    if (!n || !may_start_marker(c)) return 0;

    /* circled and parenthesised single-character numbers */
    if (c >= 0x2460 && c <= 0x2473) { *style = ST_STYLE_CIRCLED; *ordinal = (int)(c - 0x2460 + 1); return n; }
    if (c >= 0x3251 && c <= 0x325F) { *style = ST_STYLE_CIRCLED; *ordinal = (int)(c - 0x3251 + 21); return n; }
    if (c >= 0x32B1 && c <= 0x32BF) { *style = ST_STYLE_CIRCLED; *ordinal = (int)(c - 0x32B1 + 36); return n; }
    if (c >= 0x2776 && c <= 0x277F) { *style = ST_STYLE_CIRCLED; *ordinal = (int)(c - 0x2776 + 1); return n; }
    if (c >= 0x2780 && c <= 0x2793) { *style = ST_STYLE_CIRCLED; *ordinal = (int)((c - 0x2780) % 10 + 1); return n; }
    if (c >= 0x2474 && c <= 0x2487) { *style = ST_STYLE_NUM_PAREN; *ordinal = (int)(c - 0x2474 + 1); return n; }

    /* （一） (一) （1） (1) */
    if (c == 0xFF08 || c == '(') {
        i = n;
        size_t k = cn_numeral(s + i, len - i, &v);
        st_style st = ST_STYLE_CN_PAREN;
        if (!k) {
            k = arabic_numeral(s + i, len - i, &v);
            st = ST_STYLE_NUM_PAREN;
        }
        if (!k) return 0;
        i += k;
        uint32_t close = peek(s, len, i, &m);
        if (close != 0xFF09 && close != ')') return 0;
        *style = st;
        *ordinal = v;
        return i + m;
    }

    /* 第一， 第二、 第三： */
    if (c == 0x7B2C) {
        i = n;
        size_t k = cn_numeral(s + i, len - i, &v);
        if (!k) return 0;
        i += k;
        uint32_t p = peek(s, len, i, &m);
        if (p == 0xFF0C || p == 0x3001 || p == 0xFF1A || p == ',' || p == ':') {
            *style = ST_STYLE_DI;
            *ordinal = v;
            return i + m;
        }
        return 0;
    }

    /* 一、 一． 一是 一要 一则 */
    size_t k = cn_numeral(s, len, &v);
    if (k) {
        uint32_t p = peek(s, len, k, &m);
        if (p == 0x3001) {
            int v2;
            size_t k2 = cn_numeral(s + k + m, len - k - m, &v2);
            if (k2 && counted_after(s + k + m + k2, len - k - m - k2)) return 0; /* 二、三季度 */
            *style = ST_STYLE_CN_COMMA; *ordinal = v; return k + m;
        }
        if (p == 0xFF0E) { *style = ST_STYLE_CN_COMMA; *ordinal = v; return k + m; }
        if (p == '.') {
            size_t m2;
            if (ascii_or_wide_digit(peek(s, len, k + m, &m2)) >= 0) return 0;
            *style = ST_STYLE_CN_COMMA; *ordinal = v; return k + m;
        }
        st_style lead = ST_STYLE_NONE;
        if (p == 0x662F) lead = ST_STYLE_LEAD_SHI;                     /* 是 */
        else if (p == 0x8981) lead = ST_STYLE_LEAD_YAO;                /* 要 */
        else if (p == 0x5219 || p == 0x5247) lead = ST_STYLE_LEAD_ZE;  /* 则 則 */
        if (lead != ST_STYLE_NONE) {
            size_t m2;
            if (lead_blocked_by(peek(s, len, k + m, &m2))) return 0;
            *style = lead; *ordinal = v; return k + m;
        }
        return 0;
    }

    /* 1. 1． 1、 1) 1） */
    k = arabic_numeral(s, len, &v);
    if (k) {
        uint32_t p = peek(s, len, k, &m);
        size_t m2;
        uint32_t after = peek(s, len, k + m, &m2);
        if (p == '.' || p == 0xFF0E) {
            if (ascii_or_wide_digit(after) >= 0) return 0; /* 1.5倍 */
            *style = ST_STYLE_NUM_DOT; *ordinal = v; return k + m;
        }
        if (p == 0x3001) {
            if (ascii_or_wide_digit(after) >= 0) return 0; /* 1、2、3 */
            *style = ST_STYLE_NUM_COMMA; *ordinal = v; return k + m;
        }
        if (p == ')' || p == 0xFF09) { *style = ST_STYLE_NUM_RPAREN; *ordinal = v; return k + m; }
    }
    return 0;
}

/* Punctuation after which an inline marker may start. */
static bool sentence_boundary(uint32_t c)
{
    return st_is_sentence_end(c) || c == 0x2026 /* … */;
}

enum boundary { BOUNDARY_NONE, BOUNDARY_START, BOUNDARY_SENTENCE, BOUNDARY_COMMA };

/* May an inline marker start after prev (prev2 before it), the previous two
 * non-space characters? One switch: this runs for every punctuation mark. */
static enum boundary boundary_after(uint32_t prev, uint32_t prev2)
{
    switch (prev) {
    /* sentence_boundary(): st_is_sentence_end and … */
    case 0x3002: case 0xFF01: case 0xFF1F: case 0xFF1B: case 0xFF1A: case 0xFF0E: /* 。！？；：． */
    case '!': case '?': case ';': case ':': case 0x2026: /* … */
        return BOUNDARY_SENTENCE;
    case '.': /* ASCII '.' between digits is a decimal point */
        return prev2 >= '0' && prev2 <= '9' ? BOUNDARY_NONE : BOUNDARY_SENTENCE;
    case 0xFF0C: case ',': case 0x3001: /* ，、 */
        return BOUNDARY_COMMA;
    case 0x201D: case 0x2019: case 0x300D: case 0x300F: case '"': case 0xFF02: /* closing quotes */
        /* a quote closing a sentence: 。” */
        return sentence_boundary(prev2) ? BOUNDARY_SENTENCE : BOUNDARY_NONE;
    default:
        return BOUNDARY_NONE;
    }
}

static void lex_paragraph(st_doc *doc, unsigned pi)
{
    const char *t = doc->text;
    size_t start = doc->paras[pi].start, end = doc->paras[pi].end;
    uint32_t prev = 0, prev2 = 0; /* previous two non-space code points; 0: a plain one */
    bool first = true;
    size_t i = start;
    while (i < end) {
        enum boundary boundary = first ? BOUNDARY_START : boundary_after(prev, prev2);
        if (boundary == BOUNDARY_NONE) {
            /* no marker can start here: step over plain characters without
             * decoding them; after them the previous character is a plain one
             * (which one does not matter: prev2 is only looked at behind
             * punctuation) */
            size_t j = st_skip_plain(t, i, end);
            if (j != i) {
                i = j;
                prev2 = prev = 0;
                if (i == end) break;
            }
        }
        size_t n;
        uint32_t c = st_utf8_next(t + i, end - i, &n);
        if (st_is_space(c)) { i += n; continue; }
        bool at_boundary = boundary != BOUNDARY_NONE;
        bool after_comma = boundary == BOUNDARY_COMMA;
        /* a flattened copy lost the line breaks before its （一） headings */
        bool glued = !at_boundary && doc->flattened && (c == 0xFF08 || c == '(');
        /* may_start_marker: most boundaries are not markers (st_marker_at
         * checks it too, but this saves the call) */
        if ((at_boundary || glued) && may_start_marker(c)) {
            st_style style;
            int ord;
            size_t mlen = st_marker_at(t + i, end - i, &style, &ord);
            if (glued && style != ST_STYLE_CN_PAREN && style != ST_STYLE_NUM_PAREN) mlen = 0;
            if (mlen && (!after_comma || st_style_is_lead(style))) {
                st_lexeme *lx = ST_PUSH(doc->lex, doc->lex_count, doc->lex_cap);
                lx->start = i;
                lx->end = i + mlen;
                lx->style = style;
                lx->ordinal = ord;
                lx->para = pi;
                lx->line_start = first;
                lx->after_comma = after_comma;
                /* continue after the marker: its own punctuation is no boundary */
                prev2 = 0;
                prev = 0;
                i += mlen;
                first = false;
                continue;
            }
        }
        first = false;
        prev2 = prev;
        prev = c;
        i += n;
    }
}

int st_lex(st_doc *doc)
{
    for (unsigned pi = 0; pi < doc->para_count; pi++) lex_paragraph(doc, pi);
    return 0;
}
