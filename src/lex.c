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

/* The characters of Chinese numerals, and 第 and 其, all of them 3-byte UTF-8,
 * by a perfect hash of their bytes: NUMERAL_SLOT sends the 30 keys below to
 * distinct slots of 64 (a clash would show as an -Woverride-init warning), so
 * one load and one compare tell any character apart. The key is the three
 * bytes read as a little-endian number (never 0: empty slots match nothing). */
#define UTF8_KEY3(c) \
    ((0xE0u | (uint32_t)(c) >> 12) | (0x80u | ((uint32_t)(c) >> 6 & 0x3F)) << 8 | (0x80u | ((uint32_t)(c) & 0x3F)) << 16)
#define NUMERAL_SLOT(key) ((uint32_t)((key) * UINT32_C(0x2EDD27F7)) >> 26)
enum { NUMERAL_NONE = -1, NUMERAL_DI = -2 /* 第 其: start a marker, no numeral */ };
typedef struct numeral_char {
    uint32_t key;        /* UTF8_KEY3 of the character */
    int16_t value;       /* 0-9, 10, 100 or NUMERAL_DI */
    bool starts_marker;  /* 1-9, 10, 第 and 其 (a numeral cannot start with 零 or 百) */
} numeral_char;
#define NUMERAL(c, v) \
    [NUMERAL_SLOT(UTF8_KEY3(c))] = {UTF8_KEY3(c), (v), (v) == NUMERAL_DI || ((v) >= 1 && (v) <= 10)}
static const numeral_char numeral_chars[64] = {
    NUMERAL(0x96F6, 0), NUMERAL(0x3007, 0),                        /* 零 〇 */
    NUMERAL(0x4E00, 1), NUMERAL(0x58F9, 1), NUMERAL(0x5F0C, 1),    /* 一 壹 弌 */
    NUMERAL(0x4E8C, 2), NUMERAL(0x8D30, 2), NUMERAL(0x8CB3, 2),    /* 二 贰 貳 */
    NUMERAL(0x4E09, 3), NUMERAL(0x53C1, 3), NUMERAL(0x53C3, 3),    /* 三 叁 參 */
    NUMERAL(0x56DB, 4), NUMERAL(0x8086, 4),                        /* 四 肆 */
    NUMERAL(0x4E94, 5), NUMERAL(0x4F0D, 5),                        /* 五 伍 */
    NUMERAL(0x516D, 6), NUMERAL(0x9678, 6), NUMERAL(0x9646, 6),    /* 六 陸 陆 */
    NUMERAL(0x4E03, 7), NUMERAL(0x67D2, 7),                        /* 七 柒 */
    NUMERAL(0x516B, 8), NUMERAL(0x634C, 8),                        /* 八 捌 */
    NUMERAL(0x4E5D, 9), NUMERAL(0x7396, 9),                        /* 九 玖 */
    NUMERAL(0x5341, 10), NUMERAL(0x62FE, 10),                      /* 十 拾 */
    NUMERAL(0x767E, 100), NUMERAL(0x4F70, 100),                    /* 百 佰 */
    NUMERAL(0x7B2C, NUMERAL_DI), NUMERAL(0x5176, NUMERAL_DI),      /* 第 其 */
};

static const numeral_char *numeral_of_key(uint32_t key)
{
    const numeral_char *e = &numeral_chars[NUMERAL_SLOT(key)];
    return e->key == key ? e : NULL;
}

/* The key of the 3-byte character at s[0..3). */
static inline uint32_t key3_of_bytes(const unsigned char *s)
{
    return (uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16;
}

/* The same, when s[3] may be read too: one load. */
static inline uint32_t key3_of_word(const unsigned char *s)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint32_t w;
    memcpy(&w, s, 4);
    return w & 0xFFFFFF;
#else
    return key3_of_bytes(s);
#endif
}

static const numeral_char *numeral_char_of(uint32_t c)
{
    return c >= 0x800 && c <= 0xFFFF ? numeral_of_key(UTF8_KEY3(c)) : NULL;
}

/* 0-9, 10 or 100 for a numeral character, else NUMERAL_NONE */
static int numeral_value(uint32_t c)
{
    const numeral_char *e = numeral_char_of(c);
    return e && e->value != NUMERAL_DI ? e->value : NUMERAL_NONE;
}

/* A Han character (c >= 0x4E00) that can start a marker: 第, 其, 1-9, 10. */
static bool han_starts_marker(uint32_t c)
{
    const numeral_char *e = numeral_char_of(c);
    return e && e->starts_marker;
}

/* Parse a Chinese numeral (1..999) at s; returns bytes used, 0 if none. */
static size_t cn_numeral(const char *s, size_t len, int *value)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    int total = 0, cur = -1, chars = 0;
    bool zero_seen = false;
    /* numeral characters are all 3-byte ones (lead E0-EF) */
    while (len - i >= 3 && (u[i] & 0xF0) == 0xE0 && chars < 6) {
        const numeral_char *e = numeral_of_key(key3_of_bytes(u + i));
        int d = e ? e->value : NUMERAL_NONE;
        if (d >= 1 && d <= 9) {
            if (cur >= 0) return 0; /* 一一: two digits in a row is a word, not a numeral */
            cur = d;
        } else if (d == 0) {
            if (total == 0 || zero_seen) return 0;
            zero_seen = true;
        } else if (d == 10) {
            if (total % 100 >= 10 && total >= 10) return 0;
            total += (cur >= 0 ? cur : 1) * 10;
            cur = -1;
        } else if (d == 100) {
            if (total != 0 || cur < 0) return 0;
            total += cur * 100;
            cur = -1;
        } else {
            break;
        }
        i += 3;
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
    int d = numeral_value(c);
    return (d >= 0 && d <= 10) || c == 0x4E2A /* 个 */ || c == 0x6B21 /* 次 */;
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

/* Can a marker start with c? Most places the lexer tries are not markers: this
 * turns them down before any numeral is parsed. A numeral cannot start with a
 * zero (零 〇 0 ０) or with 百. */
static bool may_start_marker(uint32_t c)
{
    if (c < 0x80) return c == '(' || (c >= '1' && c <= '9');
    if (c >= 0xFF08) return c == 0xFF08 || (c >= 0xFF11 && c <= 0xFF19); /* （ １-９ */
    if (c >= 0x4E00) return han_starts_marker(c);
    return (c >= 0x2460 && c <= 0x2487) || (c >= 0x2776 && c <= 0x2793) ||
           (c >= 0x3251 && c <= 0x325F) || (c >= 0x32B1 && c <= 0x32BF);
}

/* 1.1 2.3: a section number of two parts, s[0..at) being "1." (first = 1).
 * 1.5倍, 3.5亿元, 2.3万名 are amounts: a unit after the number, a third
 * part, or parts too large for a section number. */
static size_t decimal_marker(const char *s, size_t len, size_t at, int first, st_style *style, int *ordinal)
{
    int v;
    size_t k = arabic_numeral(s + at, len - at, &v), m;
    if (!k || first > 30 || v > 50) return 0;
    size_t i = at + k;
    uint32_t c = peek(s, len, i, &m);
    if (c == '.' || c == 0xFF0E || c == 0x3001) { /* 1.1、 1.1. — but 1.1.1 is a third part */
        size_t m2;
        if (ascii_or_wide_digit(peek(s, len, i + m, &m2)) >= 0) return 0;
        i += m;
        c = peek(s, len, i, &m);
    }
    static const uint32_t units[] = {0x500D, 0x4EBF, 0x4E07, 0x5143, 0x4E2A, 0x7C73, 0x5343, 0x5428, 0x6B21, 0x4EBA,
                                     0x540D, 0x5206, 0x5C81, 0x5929, 0x5E74, 0x6708, 0x65E5, 0x7EA7, 0x9879, 0x4EF6,
                                     0x5BB6, 0x6237, 0x4EA9, 0x516C, 0x5E73, 0x65A4, 0x5C0F, 0x79D2, 0x5468, 0x500B,
                                     0x842C, 0x5104, 0x25, 0xFF05, 0x2030};
    /* 倍亿万元个米千吨次人 名分岁天年月日级项件 家户亩公平斤小秒周個 萬億 % ％ ‰ */
    for (size_t u = 0; u < sizeof units / sizeof *units; u++)
        if (c == units[u]) return 0;
    if (c < 0x80 && c != ' ' && c != '\t' && c != 0 && !(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z')) return 0;
    *style = ST_STYLE_NUM_DECIMAL;
    *ordinal = v;
    return i;
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

    /* 第一， 第二、 第三：, 其一， 其二： (the punctuation is part of the
     * marker) and 第一部分 */
    if (c == 0x7B2C || c == 0x5176) {
        bool qi = c == 0x5176;
        i = n;
        size_t k = cn_numeral(s + i, len - i, &v);
        if (!k || (qi && v > 10)) return 0;
        i += k;
        uint32_t p = peek(s, len, i, &m);
        if (p == 0xFF0C || p == 0x3001 || p == 0xFF1A || p == ',' || p == ':') {
            *style = qi ? ST_STYLE_QI : ST_STYLE_DI;
            *ordinal = v;
            return i + m;
        }
        if (!qi && len - i >= 6 && memcmp(s + i, "部分", 6) == 0) {
            i += 6;
            p = peek(s, len, i, &m);
            /* its own punctuation belongs to it; a word after it (第一部分是…,
             * 第一部分的…) makes it part of a sentence */
            if (p == 0xFF0C || p == 0x3001 || p == 0xFF1A || p == ',' || p == ':' || p == 0xFF0E) i += m;
            else if (p == 0x662F || p == 0x7684 || p == 0x4E3A || p == 0x4E2D || p == 0x5185 || p == 0x5305 ||
                     p == 0x4E3B || p == 0x5171 || p == 0x5C31 || p == 0x5C06 || p == 0x4ECE)
                return 0; /* 是 的 为 中 内 包 主 共 就 将 从 */
            *style = ST_STYLE_DI_PART;
            *ordinal = v;
            return i;
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
            if (ascii_or_wide_digit(after) >= 0) return decimal_marker(s, len, k + m, v, style, ordinal);
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

/* The fast scan of the lexer. Most of the time no marker can start at the
 * next character: no boundary is pending and the previous character is no
 * ASCII digit (a '.' after one is a decimal point). Call that state clean.
 * From it, only these characters lead anywhere, the stops: the boundary
 * punctuation (，、。；：！？．… and , ; : ! ? .), ASCII digits and, in a
 * flattened text, （ and ( (a glued heading). Any other character (Han text,
 * quotes, brackets, spaces) leaves the state clean and makes no lexeme, so
 * the scan steps over it; it only looks at the bytes that can start a stop:
 * ASCII below 0x40 and the lead bytes E2 (…), E3 (、。) and EF (fullwidth
 * forms). In valid UTF-8, which the clean text is, each of them starts a
 * character. */
typedef struct lex_stops {
    uint64_t ascii_punct; /* bits of the ASCII boundary punctuation, by byte */
    uint64_t ascii_other; /* bits of the other ASCII stops: digits, and ( when flattened */
    uint64_t fullwidth_punct; /* bits of EF BC 80+k: the fullwidth boundary punctuation */
    uint64_t fullwidth_other; /* bits of EF BC 80+k: （ when flattened */
} lex_stops;

#define BIT(k) (UINT64_C(1) << (k))

static lex_stops lex_stops_for(bool flattened)
{
    lex_stops st;
    st.ascii_punct = BIT(',') | BIT(';') | BIT(':') | BIT('!') | BIT('?') | BIT('.');
    st.ascii_other = (flattened ? BIT('(') : 0);
    for (int d = '0'; d <= '9'; d++) st.ascii_other |= BIT(d);
    /* ，！？；：． are U+FF0C FF01 FF1F FF1B FF1A FF0E, EF BC 8C ... */
    st.fullwidth_punct = BIT(0x0C) | BIT(0x01) | BIT(0x1F) | BIT(0x1B) | BIT(0x1A) | BIT(0x0E);
    st.fullwidth_other = flattened ? BIT(0x08) : 0; /* （ U+FF08 */
    return st;
}

enum stop { STOP_NONE, STOP_PUNCT, STOP_OTHER };

/* What the character at u[p] (a byte the scan flags) is to the clean state:
 * nothing (STOP_NONE), boundary punctuation (its code point and length in
 * *cp and *len), or another stop, left to the general path. */
static inline enum stop stop_at(const unsigned char *u, size_t p, size_t end, const lex_stops *st,
                                uint32_t *cp, size_t *len)
{
    unsigned b = u[p];
    if (b < 0x40) {
        *cp = b;
        *len = 1;
        return st->ascii_punct >> b & 1 ? STOP_PUNCT : st->ascii_other >> b & 1 ? STOP_OTHER : STOP_NONE;
    }
    if (end - p < 3) return STOP_OTHER; /* cut off: decoded by the general path */
    unsigned b1 = u[p + 1], b2 = u[p + 2];
    *len = 3;
    if (b == 0xEF) {
        if (b1 != 0xBC) return STOP_NONE;
        *cp = 0xFF00 + (b2 & 0x3F);
        return st->fullwidth_punct >> (b2 & 0x3F) & 1 ? STOP_PUNCT
             : st->fullwidth_other >> (b2 & 0x3F) & 1 ? STOP_OTHER : STOP_NONE;
    }
    if (b1 != 0x80) return STOP_NONE;
    if (b == 0xE3) { /* 、。 U+3001 U+3002 */
        *cp = 0x3000 + (b2 & 0x3F);
        return b2 == 0x81 || b2 == 0x82 ? STOP_PUNCT : STOP_NONE;
    }
    *cp = 0x2026; /* E2 80 A6 … */
    return b2 == 0xA6 ? STOP_PUNCT : STOP_NONE;
}

#ifdef __SSE2__
/* Bit k set when byte k of the 16 at s is one the scan looks at: below 0x40,
 * or E2, E3 (both are E2 once the low bit is cleared) or EF. */
static inline uint64_t flagged_bytes(const unsigned char *s)
{
    const __m128i x = _mm_loadu_si128((const __m128i *)s);
    const __m128i ascii = _mm_cmpeq_epi8(_mm_and_si128(x, _mm_set1_epi8((char)0xC0)), _mm_setzero_si128());
    const __m128i e2e3 = _mm_cmpeq_epi8(_mm_and_si128(x, _mm_set1_epi8((char)0xFE)), _mm_set1_epi8((char)0xE2));
    const __m128i ef = _mm_cmpeq_epi8(x, _mm_set1_epi8((char)0xEF));
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(ascii, _mm_or_si128(e2e3, ef)));
}
#endif

static inline bool flagged_byte(unsigned char b)
{
    return b < 0x40 || (b & 0xFE) == 0xE2 || b == 0xEF;
}

/* Flags of the bytes u[i..min(i+64, end)), bit k for u[i+k]: 64 bytes are
 * a few runs of Han text between punctuation marks. */
static inline uint64_t flags_from(const unsigned char *u, size_t i, size_t end)
{
#ifdef __SSE2__
    if (end - i >= 64)
        return flagged_bytes(u + i) | flagged_bytes(u + i + 16) << 16 | flagged_bytes(u + i + 32) << 32 |
               flagged_bytes(u + i + 48) << 48;
    if (end >= 16) {
        uint64_t bits = 0;
        size_t k = 0;
        for (; end - i - k >= 16; k += 16) bits |= flagged_bytes(u + i + k) << k;
        /* the rest: the last 16 bytes, shifted down */
        if (i + k < end) bits |= (flagged_bytes(u + end - 16) >> (16 - (end - i - k))) << k;
        return bits;
    }
#endif
    uint64_t bits = 0;
    for (size_t k = 0; k < 64 && i + k < end; k++) bits |= (uint64_t)flagged_byte(u[i + k]) << k;
    return bits;
}

/* From a clean state at i, step over everything up to the next place where
 * the general path must look: returns that offset (end when there is none)
 * and sets *prev to the character before it that matters (0: none).
 * Punctuation followed by a plain character that cannot start a marker
 * (most often Han text) is stepped over here too: after both the state is
 * clean again. The scan walks the flagged bytes one by one: the characters
 * it steps over have no other flagged byte (continuation bytes and the lead
 * bytes of plain characters never are), so it need not know where they end,
 * and a block may start inside a character. */
static size_t scan_clean(const unsigned char *u, size_t i, size_t end, const lex_stops *st, uint32_t *prev)
{
    const size_t pair_end = end > 6 ? end - 6 : 0; /* a stop before it has 6 more bytes, and 1 to spare */
    for (size_t base = i; base < end; base += 64) {
        for (uint64_t bits = flags_from(u, base, end); bits; bits &= bits - 1) {
            size_t p = base + (unsigned)__builtin_ctzll(bits), len;
            if (u[p] >= 0x80 && p < pair_end && (unsigned)(u[p + 3] - 0xE4) <= 0xE9 - 0xE4) {
                /* The most common stop: a 3-byte character (E2, E3, EF:
                 * punctuation or not) then Han text. Unless the Han character
                 * can start a marker, the state is clean after both, whatever
                 * the first one was. (Even （ in a flattened text: a glued
                 * （ followed by no numeral is no marker.) */
                const numeral_char *e = numeral_of_key(key3_of_word(u + p + 3));
                if (!e || !e->starts_marker) continue;
            }
            uint32_t cp;
            enum stop kind = stop_at(u, p, end, st, &cp, &len);
            if (kind == STOP_NONE) continue;
            if (kind == STOP_OTHER) {
                *prev = 0;
                return p;
            }
            /* boundary punctuation: may a marker start at the next character? */
            size_t q = p + len;
            if (q >= end) return end;
            size_t k = st_plain_len[u[q]];
            const numeral_char *e = k == 3 && end - q >= 3 ? numeral_of_key(key3_of_bytes(u + q)) : NULL;
            if (!k || k > end - q || (e && e->starts_marker)) {
                *prev = cp;
                return q;
            }
            /* a plain character that starts no marker (only Han ones can):
             * the state is clean after it */
        }
    }
    return end;
}

static void lex_paragraph(st_doc *doc, unsigned pi, const lex_stops *stops)
{
    const char *t = doc->text;
    size_t start = doc->paras[pi].start, end = doc->paras[pi].end;
    uint32_t prev = 0, prev2 = 0; /* previous two non-space code points; 0: a plain one */
    bool first = true;
    size_t i = start;
    while (i < end) {
        enum boundary boundary = BOUNDARY_START;
        if (!first) {
            boundary = boundary_after(prev, prev2);
            if (boundary == BOUNDARY_NONE && !(prev >= '0' && prev <= '9')) {
                /* clean: prev2 no longer matters (it is looked at only
                 * behind '.' for a digit and behind a quote for sentence
                 * punctuation, neither of which prev is) */
                i = scan_clean((const unsigned char *)t, i, end, stops, &prev);
                if (i >= end) break;
                prev2 = 0;
                boundary = boundary_after(prev, prev2);
            }
        }
        /* one character the fast scan left to this general path */
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
            st_style style = ST_STYLE_NONE; /* set by st_marker_at only when it finds one */
            int ord;
            size_t mlen = st_marker_at(t + i, end - i, &style, &ord);
            if (glued && style != ST_STYLE_CN_PAREN && style != ST_STYLE_NUM_PAREN) mlen = 0;
            /* 第一部分 and 1.1 head a line */
            if ((style == ST_STYLE_DI_PART || style == ST_STYLE_NUM_DECIMAL) && !first) mlen = 0;
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
    const lex_stops stops = lex_stops_for(doc->flattened);
    for (unsigned pi = 0; pi < doc->para_count; pi++) lex_paragraph(doc, pi, &stops);
    return 0;
}
