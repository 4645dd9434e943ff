/* Private to rules.c and clean.c: the compiled noise rules and the
 * dictionary of censored words. See docs/NOISE.md for the file formats. */
#ifndef ST_RULES_H
#define ST_RULES_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include "internal.h"

enum { ST_SCOPE_INLINE = 0, ST_SCOPE_LINE = 1 };

/* Longest line (in characters) a line rule may remove unless the rule says
 * otherwise: real paragraphs are longer, so a line rule can never eat one. */
#define ST_LINE_RULE_MAX_CHARS 100

struct st_noise_rule {
    char *name;        /* appears in the output as the "rule" of a removal */
    char *doc;
    char *pattern;
    int scope;         /* ST_SCOPE_INLINE or ST_SCOPE_LINE */
    size_t max_chars;  /* line rules: longest line they may remove */
    char **requires;   /* tried only on lines holding one of these */
    size_t requires_count;
    pcre2_code *code;
    bool jit;          /* code has JIT code: matched with pcre2_jit_match */
};

typedef struct st_dict_word {
    char *word;        /* lower case ASCII letters */
    size_t len;
    char *expansion;   /* UTF-8, NUL-terminated */
} st_dict_word;

/* Flags of the BMP code points, indexed by code point, so that the scan of
 * clean.c looks each 3-byte character (U+0800..U+FFFF: all of Chinese text)
 * up once; a character without flags is passed over. */
#define ST_CHAR_FLAGS 0x10000u
enum {
    ST_CF_TRAD = 1, /* exists only in traditional script */
    ST_CF_WHOLE = 2, /* the first character of a "requires" literal that the
                        pair filter (trig_pair) does not cover */
    ST_CF_SITE = 4,  /* 网 库 铺: may be part of a watermark's site name */
    ST_CF_TRIG = 8,  /* the first character of a "requires" literal */
    ST_CF_CREDIT = 16, /* 整 原 出 首 独: may start a credit word (整理 原创 …) */
    ST_CF_PUNCT = 32, /* （Ｘｘ＿＊: the scan has something to do */
    ST_CF_COMMA = 64, /* ，、 end a clause */
    ST_CF_STOP = 128  /* 。；：！？ end a clause */
};
/* Sets the script, watermark and punctuation flags, and the bits of the
 * simplified forms not used in traditional text (clean.c). */
void st_clean_fill_flags(uint8_t *flags, uint8_t *simp);

/* A "requires" literal of a rule, indexed by its first code point so that
 * the scan in clean.c finds all of them in its one pass over the text. */
typedef struct st_literal {
    const char *bytes; /* owned by the rule */
    size_t len;
    size_t first_len;  /* bytes of the first character, when they are its
                          UTF-8 form (so equal in the text); else 0 */
    uint32_t first;    /* first code point (BMP) */
    uint32_t rule;     /* index into rules */
} st_literal;

/* Where the literals with one first code point are in lits: a slot of an
 * open-addressing table (a power of two of them, at least twice as many as
 * there are first code points). */
typedef struct st_lit_slot {
    uint32_t first;
    uint32_t lo, hi;   /* lits[lo, hi); hi == 0 for an empty slot */
} st_lit_slot;

struct st_rules {
    st_noise_rule *rules;
    size_t rule_count, rule_cap;
    st_literal *lits;  /* sorted by first code point */
    size_t lit_count, lit_cap;
    st_lit_slot *lit_slots; /* by first code point; lit_slot_mask + 1 slots */
    size_t lit_slot_mask;
    uint8_t trig[8192]; /* bit per BMP code point: some literal starts with it */
    /* A filter that rules most places out before the literals are compared:
     * entry st_trig_pair_hash(first, b1, b2) is not 0 when a literal starts with
     * the code point first followed by the bytes b1 b2 (a literal with one
     * byte after its first character sets it for every b2). It says nothing
     * for a first code point with ST_CF_WHOLE (a literal that is that
     * character alone, or that is not in UTF-8 form). */
    uint8_t trig_pair[65536];
    uint8_t simp[8192]; /* bit per BMP code point: a simplified form not used in traditional text */
    uint8_t chars[ST_CHAR_FLAGS]; /* ST_CF_* flags of the BMP for the scan */
    st_dict_word *words;
    size_t word_count, word_cap;
    uint32_t *table;   /* open addressing: word index + 1, 0 when empty */
    size_t table_size; /* power of two */
    size_t max_word_len;
    uint64_t word_lens[26]; /* by first letter: bit l set when a word has length l */
};

/* The literals whose first code point is cp (some literal starts with it):
 * lits[*lo, return value). */
static inline size_t st_lits_of(const st_rules *r, uint32_t cp, size_t *lo)
{
    size_t h = (size_t)((cp * 0x9E3779B1u) >> 16) & r->lit_slot_mask;
    while (r->lit_slots[h].first != cp && r->lit_slots[h].hi) h = (h + 1) & r->lit_slot_mask;
    *lo = r->lit_slots[h].lo;
    return r->lit_slots[h].hi;
}

/* Bit b of a bit table. */
static inline bool st_bit(const uint8_t *bits, uint32_t b) { return (bits[b >> 3] >> (b & 7)) & 1; }

/* The entry of st_rules.trig_pair for the code point cp (BMP) followed by
 * the bytes b1 b2. */
static inline uint32_t st_trig_pair_hash(uint32_t cp, unsigned char b1, unsigned char b2)
{
    return (((cp << 16) | ((uint32_t)b2 << 8) | b1) * 0x9E3779B1u) >> 16;
}

/* The dictionary entry for a lower-case ASCII word, or NULL. */
const st_dict_word *st_dict_lookup(const st_rules *r, const char *lower, size_t len);

/* Number of rules implemented in C (clean.c), counted by st_rules_noise_count. */
#define ST_STRUCTURAL_RULES 6

/* Frees the per-document state of rules.c (the ICU transliterator used by
 * st_to_simplified). Called from st_doc_free. */
void st_rules_doc_cleanup(st_doc *doc);

#endif
