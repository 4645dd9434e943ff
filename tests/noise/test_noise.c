/* Tests of the noise stage (src/clean.c, src/rules.c, data/noise-rules.json,
 * data/censored.tsv). Run as: test_noise GROUP, with GROUP one of
 * kinds seeds censored clean rules layouts threads.
 *
 * They look only at what the noise stage produces: st_doc_removed,
 * st_doc_censored, st_doc_is_traditional and st_doc_source. */
#define _GNU_SOURCE /* memmem */
#include <speechtree.h>

#include <dirent.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ustring.h>
#include <unicode/utrans.h>

#include "rules.h" /* st_to_simplified, st_rules_doc_cleanup */

#ifndef NOISE_SEEDS
#define NOISE_SEEDS "fixtures/seeds"
#endif
#ifndef NOISE_CLEAN
#define NOISE_CLEAN "tests/noise/clean"
#endif
#ifndef NOISE_TMP
#define NOISE_TMP "."
#endif

static int failures;
static const char *const seed_names_for_layouts[] = {"000_6c0f177aaca1afe4.txt", "001_bed1cf96018be3ef.txt",
                                                     "002_36651b71203e1f41.txt", "003_74a5a433bfd60360.txt",
                                                     "004_2a6d75f4afb75138.txt"};
static const char *current = "";

#define CHECK(cond, ...)                                                         \
    do {                                                                         \
        if (!(cond)) {                                                           \
            failures++;                                                          \
            fprintf(stderr, "FAIL %s (%s:%d): ", current, __FILE__, __LINE__);  \
            fprintf(stderr, __VA_ARGS__);                                        \
            fputc('\n', stderr);                                                 \
        }                                                                        \
    } while (0)

/* st_doc_free, after closing the document's transliterator (which
 * st_doc_free does itself once it calls st_rules_doc_cleanup; twice is fine) */
static void doc_free(st_doc *d)
{
    st_rules_doc_cleanup(d);
    st_doc_free(d);
}

static st_doc *parse_with(const char *text, size_t len, const st_rules *rules, int keep_noise)
{
    st_options o;
    st_options_init(&o);
    o.rules = rules;
    o.keep_noise = keep_noise;
    st_error e;
    st_doc *d = st_parse(text, len, &o, &e);
    CHECK(d != NULL, "st_parse failed: %s", e.message);
    return d;
}

static st_doc *parse(const char *text) { return parse_with(text, strlen(text), NULL, 0); }

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(b);
        return NULL;
    }
    fclose(f);
    b[n] = 0;
    *len = (size_t)n;
    return b;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        CHECK(0, "cannot write %s", path);
        return;
    }
    fputs(text, f);
    fclose(f);
}

static bool str_eq(st_str s, const char *lit) { return s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0; }

static void print_removed(const st_doc *d)
{
    for (size_t i = 0; i < st_doc_removed_count(d); i++) {
        st_removed r = st_doc_removed(d, i);
        fprintf(stderr, "    removed[%zu] %s \"%.*s\"\n", i, r.rule, (int)r.text.len, r.text.ptr);
    }
}

/* The removed spans are sorted, do not overlap, and hold what they say. */
static void check_invariants(const st_doc *d)
{
    st_str src = st_doc_source(d);
    size_t prev_end = 0;
    for (size_t i = 0; i < st_doc_removed_count(d); i++) {
        st_removed r = st_doc_removed(d, i);
        size_t start = (size_t)(r.text.ptr - src.ptr);
        CHECK(start >= prev_end, "removed[%zu] overlaps or is out of order", i);
        CHECK(r.text.len > 0, "removed[%zu] is empty", i);
        CHECK(r.rule && *r.rule, "removed[%zu] has no rule", i);
        CHECK(!memchr(r.text.ptr, '\n', r.text.len), "removed[%zu] takes a line break", i);
        prev_end = start + r.text.len;
    }
    size_t prev = 0;
    for (size_t i = 0; i < st_doc_censored_count(d); i++) {
        st_censored c = st_doc_censored(d, i);
        size_t start = (size_t)(c.word.ptr - src.ptr);
        CHECK(start >= prev, "censored[%zu] out of order", i);
        prev = start + c.word.len;
        for (size_t k = 0; k < st_doc_removed_count(d); k++) {
            st_removed r = st_doc_removed(d, k);
            CHECK(c.word.ptr + c.word.len <= r.text.ptr || c.word.ptr >= r.text.ptr + r.text.len,
                  "censored[%zu] lies inside removed[%zu]", i, k);
        }
    }
}

/* Parses head + body + tail and expects exactly the listed removals:
 * rule, text, rule, text, …, NULL. */
static const char HEAD[] = "党支部书记个人对照检查材料\n"
                           "根据组织安排，我认真学习了会议指定的学习材料，深入查摆了自身存在的问题，现将有关情况报告如下。\n";
static const char TAIL[] = "以上发言，请同志们批评指正。\n";

static void expect_removed_text(const char *name, const char *text, ...)
{
    current = name;
    st_doc *d = parse(text);
    if (!d) return;
    check_invariants(d);
    va_list ap;
    va_start(ap, text);
    size_t i = 0;
    bool ok = true;
    for (;;) {
        const char *rule = va_arg(ap, const char *);
        if (!rule) break;
        const char *want = va_arg(ap, const char *);
        if (i >= st_doc_removed_count(d)) {
            CHECK(0, "missing removal %zu: %s \"%s\"", i, rule, want);
            ok = false;
            i++;
            continue;
        }
        st_removed r = st_doc_removed(d, i);
        if (strcmp(r.rule, rule) != 0 || !str_eq(r.text, want)) {
            CHECK(0, "removal %zu: want %s \"%s\", got %s \"%.*s\"", i, rule, want, r.rule, (int)r.text.len,
                  r.text.ptr);
            ok = false;
        }
        i++;
    }
    va_end(ap);
    if (i != st_doc_removed_count(d)) {
        CHECK(0, "want %zu removals, got %zu", i, st_doc_removed_count(d));
        ok = false;
    }
    if (!ok) print_removed(d);
    doc_free(d);
}

static char *wrap_body(const char *body)
{
    size_t n = strlen(HEAD) + strlen(body) + strlen(TAIL) + 1;
    char *t = malloc(n);
    snprintf(t, n, "%s%s%s", HEAD, body, TAIL);
    return t;
}

#define EXPECT_BODY(name, body, ...)                      \
    do {                                                  \
        char *t_ = wrap_body(body);                       \
        expect_removed_text(name, t_, __VA_ARGS__, NULL); \
        free(t_);                                         \
    } while (0)

/* ---- one test per kind of noise ---- */

static void test_kinds(void)
{
    EXPECT_BODY("paywall-tag",
                "一、存在的问题##paidbegin##\n在理论学习方面还有差距，学得不深、悟得不透。\n##paidend##\n",
                "paywall-tag", "##paidbegin##", "paywall-tag", "##paidend##");
    EXPECT_BODY("paywall-tag mid-sentence", "出现了不少长期滞留##paidbegin##的问题。\n", "paywall-tag",
                "##paidbegin##");
    EXPECT_BODY("template-tag", "二、原因分析{{title}}\n<p>思想认识不到位。</p>&nbsp;\n", "template-tag",
                "{{title}}", "template-tag", "<p>", "template-tag", "</p>", "template-tag", "&nbsp;");
    EXPECT_BODY("bracket-ad", "以解决问题的实效保证主题教育的成效。 【更多公文素材，微信：dadawk01】\n",
                "bracket-ad", "【更多公文素材，微信：dadawk01】");
    EXPECT_BODY("bracket-ad ascii", "对照检查还不够深入。[扫码关注公众号，获取更多范文]\n", "bracket-ad",
                "[扫码关注公众号，获取更多范文]");
    EXPECT_BODY("collection-header", "【第2篇】党员领导干部对照检查材料\n篇三：个人发言提纲\n",
                "collection-header", "【第2篇】", "collection-header", "篇三：");
    EXPECT_BODY("promotion",
                "酷乐文行整理，其他任何途径获取的资料均不完整，获得完整版资料咨询唯一指定QQ206157060\n"
                "一、存在的问题\n"
                "更多公文素材，微信：dadawk01\n"
                "关注公众号“公文宝库”，回复“对照”获取更多范文\n"
                "开通VIP会员即可免费下载全部资料\n"
                "现在订阅立享成立以来所有权益和资料\n"
                "会员群：123456  免费QQ群：654321\n"
                "二、原因分析\n",
                "promotion", "酷乐文行整理，其他任何途径获取的资料均不完整，获得完整版资料咨询唯一指定QQ206157060",
                "promotion", "更多公文素材，微信：dadawk01", "promotion", "关注公众号“公文宝库”，回复“对照”获取更多范文",
                "promotion", "开通VIP会员即可免费下载全部资料", "promotion", "现在订阅立享成立以来所有权益和资料",
                "promotion", "会员群：123456  免费QQ群：654321");
    EXPECT_BODY("promotion keeps a sentence before it",
                "理论学习方面还有较大差距。获取完整版请加微信：abc12345\n", "promotion",
                "获取完整版请加微信：abc12345");
    EXPECT_BODY("distribution-notice",
                "仅供学习 禁止外传 用后删除\n【会员资料仅供内部交流使用，严禁外传及用于商业用途，违者后果自负】\n"
                "有关数据仅供参考，以统计部门公布的为准。\n",
                "distribution-notice", "仅供学习 禁止外传 用后删除", "distribution-notice",
                "【会员资料仅供内部交流使用，严禁外传及用于商业用途，违者后果自负】");
    expect_removed_text("site-signature",
                        "酷乐文行\n个人对照检查发言材料\n下面，我代表班子作对照检查，请同志们批评指正。\n"
                        "一、存在的问题\n理论学习不够深入，调查研究不够经常。\n以上对照检查，请批评指正。\n酷乐文行\n",
                        "site-signature", "酷乐文行", "site-signature", "酷乐文行", NULL);
    expect_removed_text("site-footer",
                        "个人对照检查发言材料\n下面，我作个人对照检查。\n一、存在的问题\n理论学习不够深入。\n"
                        "以上对照检查，敬请同志们批评指正、提出宝贵意见。\n"
                        "酷乐文行整理，获得完整版资料咨询唯一指定QQ206157060\n自建平台、实时分享\n"
                        "根据实际需求和形式任务不断迭代\n【打击倒卖活动】\n现在订阅立享所有权益和资料\n",
                        "promotion", "酷乐文行整理，获得完整版资料咨询唯一指定QQ206157060", "site-footer",
                        "自建平台、实时分享", "site-footer", "根据实际需求和形式任务不断迭代", "site-footer",
                        "【打击倒卖活动】", "promotion", "现在订阅立享所有权益和资料", NULL);
    EXPECT_BODY("watermark",
                "存在着向党中央看齐不够主动的问题，稿子铺整理，与上级领导的精神状态相比还有差距。\n"
                "落实了上级改善民生的“规定动作”、稿子铺整理，“硬性政策”，群众的生产生活条件得到了改善。\n",
                "watermark", "稿子铺整理，", "watermark", "稿子铺整理，");
    EXPECT_BODY("watermark before a full stop",
                "学得不深，第一范文网整理。悟得不透，第一范文网整理。用得不活。\n", "watermark",
                "，第一范文网整理", "watermark", "，第一范文网整理");
    EXPECT_BODY("watermark needs two", "学得不深，稿子铺整理，悟得不透。\n", NULL);
    EXPECT_BODY("watermark inside sentences",
                "（一）理论学习稿子铺整理不够深入。\n（二）遇到矛盾问题稿子铺整理有畏难情绪。开拓稿子铺整理创新的办法不多。\n",
                "watermark", "稿子铺整理", "watermark", "稿子铺整理", "watermark", "稿子铺整理");
    EXPECT_BODY("no watermark in speech words",
                "资料要认真整理归档，台账要认真整理规范，笔记要认真整理成册，意见建议要分类整理。"
                "建好数据库，用好数据库，管好数据库。推进一网通办，推进一网通办，推进一网通办。\n",
                NULL);
    expect_removed_text("duplicate-title",
                        "对照党章党规找差距研讨发言材料\n对照党章党规找差距研讨发言材料\n"
                        "近日，根据主题教育安排，我想谈以下几点看法。\n一、坚持领导带头学。\n"
                        "对照党章党规找差距研讨发言材料\n",
                        "duplicate-title", "对照党章党规找差距研讨发言材料", "duplicate-title",
                        "对照党章党规找差距研讨发言材料", NULL);
    EXPECT_BODY("page-header",
                "一、存在的问题\n第3页共10页\n理论学习不够深入。\n第 4 页 / 共 10 页\n- 12 -\n"
                "调查研究不够经常，第5页共10页对基层情况掌握不全面。\n",
                "page-header", "第3页共10页", "page-header", "第 4 页 / 共 10 页", "page-header", "- 12 -",
                "page-header", "第5页共10页");
    expect_removed_text("breadcrumb",
                        "当前位置：首页 > 范文 > 心得体会\n首页 | 范文 | 公文 | 讲话 | 心得\n首页 » 范文大全 » 对照检查\n"
                        "个人对照检查材料\n按照要求，我认真查摆了问题。\n一、存在的问题\n理论学习不够深入。\n",
                        "breadcrumb", "当前位置：首页 > 范文 > 心得体会", "breadcrumb",
                        "首页 | 范文 | 公文 | 讲话 | 心得", "breadcrumb", "首页 » 范文大全 » 对照检查", NULL);
    expect_removed_text("table-of-contents",
                        "个人对照检查材料\n目录\n一、存在的问题……1\n二、原因分析……2\n三、整改措施……3\n"
                        "按照会议要求，我认真查摆了自身存在的问题，现报告如下。\n"
                        "一、存在的问题\n理论学习不够深入，调查研究不够经常。\n"
                        "二、原因分析\n思想上放松了要求。\n三、整改措施\n坚持不懈加强理论武装。\n",
                        "table-of-contents", "目录", "table-of-contents", "一、存在的问题……1", "table-of-contents",
                        "二、原因分析……2", "table-of-contents", "三、整改措施……3", NULL);
    expect_removed_text("table-of-contents caption with spaces",
                        "个人对照检查材料\n目　　录\n一、存在的问题……1\n二、原因分析……2\n三、整改措施……3\n"
                        "按照会议要求，我认真查摆了自身存在的问题，现报告如下。\n"
                        "一、存在的问题\n理论学习不够深入。\n二、原因分析\n思想上放松了要求。\n三、整改措施\n加强学习。\n",
                        "table-of-contents", "目　　录", "table-of-contents", "一、存在的问题……1", "table-of-contents",
                        "二、原因分析……2", "table-of-contents", "三、整改措施……3", NULL);
    expect_removed_text("site-chrome",
                        "发布时间：2023-10-12 来源：网友投稿 浏览次数：1356\n【字体：大 中 小】【打印】【关闭】\n"
                        "（本文共计3862字，下载后可编辑）\n个人对照检查材料\n收藏 点赞 分享 举报\n"
                        "按照要求，我认真查摆了问题。时间：2023年1月5日，地点：会议室，我作了发言。\n"
                        "一、存在的问题\n理论学习不够深入，可编辑的材料看得多。\n"
                        "以上发言，请同志们批评指正。\n（本文共3页，当前仅显示1页，剩余内容需下载后查看）\n"
                        "上一篇：党支部书记对照检查材料\n下一篇：组织生活会发言提纲\n相关推荐\n"
                        "版权所有 某某范文网 京ICP备12345678号\n",
                        "site-chrome", "发布时间：2023-10-12 来源：网友投稿 浏览次数：1356", "site-chrome",
                        "【字体：大 中 小】【打印】【关闭】", "site-chrome", "（本文共计3862字，下载后可编辑）", "site-chrome",
                        "收藏 点赞 分享 举报", "site-chrome", "（本文共3页，当前仅显示1页，剩余内容需下载后查看）",
                        "site-chrome", "上一篇：党支部书记对照检查材料", "site-chrome", "下一篇：组织生活会发言提纲",
                        "site-chrome", "相关推荐", "site-chrome", "版权所有 某某范文网 京ICP备12345678号", NULL);
    expect_removed_text("no table of contents without the headings again",
                        "个人对照检查材料\n一、学习方面\n二、作风方面\n三、纪律方面\n"
                        "按照会议要求，我认真查摆了自身存在的问题，在学习、作风、纪律上都有差距。\n",
                        NULL);
    expect_removed_text("pinyin-annotation",
                        "對(duì)照(zhào)檢(jiǎn)查(chá)材料\n我們恪（kè）守紀律規矩，對（dui4）照黨章黨規。\n",
                        "pinyin-annotation", "(duì)", "pinyin-annotation", "(zhào)", "pinyin-annotation",
                        "(jiǎn)", "pinyin-annotation", "(chá)", "pinyin-annotation", "（kè）", NULL);
    expect_removed_text("pinyin with tone digits needs three",
                        "對(dui4)照檢查材料\n我們認真查擺問題(wen4)。\n規格(A4)紙、咖啡(café)都不是拼音。\n", NULL);
    expect_removed_text("pinyin with tone digits",
                        "對(dui4)照(zhao4)檢(jian3)查材料\n", "pinyin-annotation", "(dui4)", "pinyin-annotation",
                        "(zhao4)", "pinyin-annotation", "(jian3)", NULL);
    EXPECT_BODY("url-ad",
                "网址：www.fanwen123.com\nhttp://www.example.com/fanwen/123.html\n"
                "我们通过区政府门户网站www.example.gov.cn公开政务信息。\n",
                "url-ad", "网址：www.fanwen123.com", "url-ad", "http://www.example.com/fanwen/123.html");

    /* all at once, as a 范文 site serves it */
    expect_removed_text("combined site page",
                        "当前位置：首页 > 范文大全 > 对照检查材料\n第一范文网\n"
                        "【第1篇】2023年度民主生活会个人对照检查材料\n2023年度民主生活会个人对照检查材料\n"
                        "目录\n一、存在的问题\n二、原因分析\n三、整改措施\n"
                        "根据会议安排，我认真对照检查，现报告如下。\n一、存在的问题\n"
                        "（一）理论学习方面。学得不深，第一范文网原创，悟得不透，有时以干代学，第一范文网原创，学用脱节。\n"
                        "第2页共5页\n（二）担当作为方面。面对矛盾有畏难情绪。【更多范文，请关注微信公众号：fanwen123】\n"
                        "二、原因分析\n理想信念有所淡化，宗旨意识有所弱化。\n三、整改措施\n加强理论学习，增强宗旨意识。\n"
                        "以上发言，请批评指正。\n本文来源：第一范文网\n第一范文网\nwww.diyifanwen.com\n版权所有 侵权必究\n",
                        "breadcrumb", "当前位置：首页 > 范文大全 > 对照检查材料", "site-signature", "第一范文网",
                        "collection-header", "【第1篇】", "duplicate-title", "2023年度民主生活会个人对照检查材料",
                        "table-of-contents", "目录", "table-of-contents", "一、存在的问题", "table-of-contents",
                        "二、原因分析", "table-of-contents", "三、整改措施", "watermark", "第一范文网原创，", "watermark",
                        "第一范文网原创，", "page-header", "第2页共5页", "bracket-ad",
                        "【更多范文，请关注微信公众号：fanwen123】", "promotion", "本文来源：第一范文网", "site-signature",
                        "第一范文网", "url-ad", "www.diyifanwen.com", "distribution-notice", "版权所有 侵权必究", NULL);

    /* traditional script */
    current = "traditional";
    st_doc *d = parse("我們這個會議對問題的檢查很重要。\n");
    if (d) {
        CHECK(st_doc_is_traditional(d), "traditional text not detected");
        size_t n;
        const char *s = st_to_simplified(d, "對照檢查發言材料", strlen("對照檢查發言材料"), &n);
        CHECK(n == strlen("对照检查发言材料") && memcmp(s, "对照检查发言材料", n) == 0,
              "st_to_simplified gave \"%.*s\"", (int)n, s);
        doc_free(d);
    }
    d = parse("我们这个会议对问题的检查很重要。\n");
    if (d) {
        CHECK(!st_doc_is_traditional(d), "simplified text taken for traditional");
        doc_free(d);
    }
}

/* ---- the seeds ---- */

/* The source with the removed spans cut out. */
static char *kept_text(const st_doc *d)
{
    st_str src = st_doc_source(d);
    char *out = malloc(src.len + 1);
    size_t o = 0, pos = 0;
    for (size_t i = 0; i < st_doc_removed_count(d); i++) {
        st_removed r = st_doc_removed(d, i);
        size_t start = (size_t)(r.text.ptr - src.ptr);
        memcpy(out + o, src.ptr + pos, start - pos);
        o += start - pos;
        pos = start + r.text.len;
    }
    memcpy(out + o, src.ptr + pos, src.len - pos);
    o += src.len - pos;
    out[o] = 0;
    return out;
}

static st_doc *parse_seed(const char *name, int keep_noise)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", NOISE_SEEDS, name);
    size_t len;
    char *text = read_file(path, &len);
    CHECK(text != NULL, "cannot read %s", path);
    if (!text) return NULL;
    st_doc *d = parse_with(text, len, NULL, keep_noise);
    free(text);
    if (d) check_invariants(d);
    return d;
}

static void expect_seed(const char *name, ...)
{
    current = name;
    st_doc *d = parse_seed(name, 0);
    if (!d) return;
    va_list ap;
    va_start(ap, name);
    size_t i = 0;
    bool ok = true;
    for (;;) {
        const char *rule = va_arg(ap, const char *);
        if (!rule) break;
        const char *want = va_arg(ap, const char *);
        if (i < st_doc_removed_count(d)) {
            st_removed r = st_doc_removed(d, i);
            /* a line removal may take trailing blanks of the line */
            size_t l = r.text.len;
            while (l && (r.text.ptr[l - 1] == ' ')) l--;
            st_str t = {r.text.ptr, l};
            if (strcmp(r.rule, rule) != 0 || !str_eq(t, want)) {
                CHECK(0, "removal %zu: want %s \"%s\", got %s \"%.*s\"", i, rule, want, r.rule,
                      (int)r.text.len, r.text.ptr);
                ok = false;
            }
        }
        i++;
    }
    va_end(ap);
    if (i != st_doc_removed_count(d)) {
        CHECK(0, "want %zu removals, got %zu", i, st_doc_removed_count(d));
        ok = false;
    }
    if (!ok) print_removed(d);
    /* no removal holds a real sentence */
    for (size_t k = 0; k < st_doc_removed_count(d); k++) {
        st_removed r = st_doc_removed(d, k);
        CHECK(!memmem(r.text.ptr, r.text.len, "。", 3), "removed[%zu] holds a sentence: %.*s", k,
              (int)r.text.len, r.text.ptr);
        CHECK(r.place.end - r.place.start <= 100, "removed[%zu] is too long", k);
    }
    doc_free(d);
}

static void test_seeds(void)
{
    expect_seed("000_6c0f177aaca1afe4.txt", "duplicate-title", "对照党章党规找差距研讨发言材料", "paywall-tag",
                "##paidbegin##", "bracket-ad", "【更多公文素材，微信：dadawk01】", "paywall-tag", "##paidend##",
                NULL);
    expect_seed("001_bed1cf96018be3ef.txt", "distribution-notice", "仅供学习 禁止外传 用后删除", "site-signature",
                "酷乐文行", "distribution-notice", "【会员资料仅供内部交流使用，严禁外传及用于商业用途，违者后果自负】",
                "promotion", "酷乐文行整理，其他任何途径获取的资料均不完整，获得完整版资料咨询唯一指定QQ206157060",
                "promotion", "酷乐文行整理，其他任何途径获取的资料均不完整，获得完整版资料咨询唯一指定QQ206157060",
                "site-signature", "酷乐文行", "site-footer", "自建平台、实时分享", "site-footer",
                "根据实际需求和形式任务不断迭代", "promotion", "现在订阅立享成立以来所有权益和资料", "site-footer",
                "【打击倒卖活动】", "site-footer", "举报倒卖会员资料的人，举报成功免费赠送一年会员材料！", "promotion",
                "会员群：                      免费QQ群：", NULL);
    expect_seed("002_36651b71203e1f41.txt", "watermark", "稿子铺整理，", "paywall-tag", "##paidbegin##",
                "watermark", "稿子铺整理，", "watermark", "稿子铺整理，", "watermark", "稿子铺整理，", "paywall-tag",
                "##paidend##", NULL);
    expect_seed("003_74a5a433bfd60360.txt", NULL);
    expect_seed("004_2a6d75f4afb75138.txt", NULL);

    /* the sentences around the watermark read on */
    current = "002 watermark";
    st_doc *d = parse_seed("002_36651b71203e1f41.txt", 0);
    if (d) {
        char *kept = kept_text(d);
        CHECK(!strstr(kept, "稿子铺"), "稿子铺整理 is still there");
        CHECK(strstr(kept, "不够经常、不够主动的问题，与上级领导的精神状态相比") != NULL, "sentence 1 broken");
        CHECK(strstr(kept, "上级改善民生的“规定动作”、“硬性政策”，群众的生产生活条件") != NULL,
              "sentence 2 broken");
        CHECK(strstr(kept, "老老实实、认认真真、一丝不苟地读原著") != NULL, "sentence 3 broken");
        CHECK(strstr(kept, "出现了不少长期滞留的问题") != NULL, "paywall tag mid-sentence not cut cleanly");
        free(kept);
        doc_free(d);
    }
    /* keep_noise removes nothing */
    current = "keep_noise";
    d = parse_seed("001_bed1cf96018be3ef.txt", 1);
    if (d) {
        CHECK(st_doc_removed_count(d) == 0, "keep_noise removed %zu spans", st_doc_removed_count(d));
        doc_free(d);
    }
}

/* ---- censored words and redactions ---- */

static size_t count_censored(const st_doc *d, const char *word, const char *expansion)
{
    size_t n = 0;
    for (size_t i = 0; i < st_doc_censored_count(d); i++) {
        st_censored c = st_doc_censored(d, i);
        if (!str_eq(c.word, word)) continue;
        if (expansion ? (c.expansion && strcmp(c.expansion, expansion) == 0) : c.expansion == NULL) n++;
    }
    return n;
}

static void test_censored(void)
{
    current = "seed 003";
    st_doc *d = parse_seed("003_74a5a433bfd60360.txt", 0);
    if (d) {
        CHECK(count_censored(d, "mzshh", "民主生活会") == 10, "mzshh: %zu", count_censored(d, "mzshh", "民主生活会"));
        CHECK(count_censored(d, "xjp", "习近平") == 26, "xjp: %zu", count_censored(d, "xjp", "习近平"));
        CHECK(count_censored(d, "xjp", NULL) == 0, "xjp without expansion");
        CHECK(count_censored(d, "xxx", NULL) > 0 && count_censored(d, "xx", NULL) > 0, "redactions missing");
        /* xjpxx = xjp + xx; xjpxxx = xjp + xxx */
        st_str src = st_doc_source(d);
        const char *p = strstr(src.ptr, "xjpxx思想不到");
        const char *q = strstr(src.ptr, "xjpxxx思想");
        bool split_xx = false, split_xxx = false;
        for (size_t i = 0; i + 1 < st_doc_censored_count(d); i++) {
            st_censored a = st_doc_censored(d, i), b = st_doc_censored(d, i + 1);
            if (p && a.word.ptr == p && str_eq(a.word, "xjp") && b.word.ptr == p + 3 && str_eq(b.word, "xx") &&
                !b.expansion)
                split_xx = true;
            if (q && a.word.ptr == q && str_eq(a.word, "xjp") && b.word.ptr == q + 3 && str_eq(b.word, "xxx") &&
                !b.expansion)
                split_xxx = true;
        }
        CHECK(p && split_xx, "xjpxx not split into xjp + xx");
        CHECK(q && split_xxx, "xjpxxx not split into xjp + xxx");
        st_censored c = st_doc_censored(d, 0);
        CHECK(c.place.line >= 1 && c.place.column >= 1, "censored place not set");
        doc_free(d);
    }
    current = "seed 004";
    d = parse_seed("004_2a6d75f4afb75138.txt", 0);
    if (d) {
        CHECK(count_censored(d, "zuzhi", "组织") == 9, "zuzhi: %zu", count_censored(d, "zuzhi", "组织"));
        CHECK(count_censored(d, "XX", NULL) == 7, "XX: %zu", count_censored(d, "XX", NULL));
        doc_free(d);
    }
    current = "redactions";
    d = parse("202X年，××同志在20**年度考核中被评为优秀，落实“X+X+X”部署，联系人：____。\n"
              "Excel表格和APP都不是审查词，3x4也不是，www.example.com也不是。\n");
    if (d) {
        CHECK(count_censored(d, "202X", NULL) == 1, "202X");
        CHECK(count_censored(d, "20**", NULL) == 1, "20**");
        CHECK(count_censored(d, "××", NULL) == 1, "××");
        CHECK(count_censored(d, "X", NULL) == 3, "X: %zu", count_censored(d, "X", NULL));
        CHECK(count_censored(d, "____", NULL) == 1, "____");
        CHECK(st_doc_censored_count(d) == 7, "want 7 censored, got %zu", st_doc_censored_count(d));
        doc_free(d);
    }
    current = "censored words are never removed, and not reported inside noise";
    d = parse("党组书记专题mzshh个人对照检查发言\n【mzshh资料，微信：abc12345】按照xjp总书记的要求。\n");
    if (d) {
        CHECK(st_doc_censored_count(d) == 2, "want 2 censored, got %zu", st_doc_censored_count(d));
        for (size_t i = 0; i < st_doc_removed_count(d); i++) {
            st_removed r = st_doc_removed(d, i);
            CHECK(!memmem(r.text.ptr, r.text.len, "xjp", 3), "xjp removed");
        }
        doc_free(d);
    }
    current = "keep_noise still finds censored words";
    d = parse_seed("003_74a5a433bfd60360.txt", 1);
    if (d) {
        CHECK(count_censored(d, "mzshh", "民主生活会") == 10, "mzshh with keep_noise");
        doc_free(d);
    }
}

/* ---- clean speeches lose nothing ---- */

static char *wrap_text(const char *t, size_t width);
static char *flatten_text(const char *t);
static char *to_traditional(const char *t);

static void test_clean(void)
{
    DIR *dir = opendir(NOISE_CLEAN);
    CHECK(dir != NULL, "cannot open %s", NOISE_CLEAN);
    if (!dir) return;
    size_t files = 0;
    struct dirent *e;
    static char names[64][256];
    while ((e = readdir(dir)) && files < 64) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".txt") != 0) continue;
        snprintf(names[files++], sizeof names[0], "%s", e->d_name);
    }
    closedir(dir);
    CHECK(files >= 5, "only %zu clean speeches", files);
    for (size_t i = 0; i < files; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", NOISE_CLEAN, names[i]);
        current = names[i];
        size_t len;
        char *text = read_file(path, &len);
        CHECK(text != NULL, "cannot read %s", path);
        if (!text) continue;
        st_doc *d = parse_with(text, len, NULL, 0);
        free(text);
        if (!d) continue;
        check_invariants(d);
        CHECK(st_doc_removed_count(d) == 0, "%zu spans removed from a clean speech", st_doc_removed_count(d));
        if (st_doc_removed_count(d)) print_removed(d);
        bool trad = strstr(names[i], "traditional") != NULL;
        CHECK(st_doc_is_traditional(d) == trad, "traditional is %d", st_doc_is_traditional(d));
        doc_free(d);
        /* nor do their messy copies (a copy already wrapped is not wrapped
         * again: that breaks its lines in two, and no rule can tell) */
        text = read_file(path, &len);
        bool wrapped = strstr(names[i], "wrapped") != NULL;
        char *copies[5] = {wrapped ? NULL : wrap_text(text, 18), wrapped ? NULL : wrap_text(text, 27),
                           wrapped ? NULL : wrap_text(text, 40), flatten_text(text),
                           trad ? NULL : to_traditional(text)};
        static const char *const what[5] = {"wrapped at 18", "wrapped at 27", "wrapped at 40", "flattened",
                                            "traditional"};
        for (int v = 0; v < 5; v++) {
            if (!copies[v]) continue;
            st_doc *c = parse(copies[v]);
            if (c) {
                CHECK(st_doc_removed_count(c) == 0, "%s: %zu spans removed", what[v], st_doc_removed_count(c));
                if (st_doc_removed_count(c)) print_removed(c);
                doc_free(c);
            }
            free(copies[v]);
        }
        free(text);
    }
}

/* ---- rule files ---- */

static void test_rules(void)
{
    current = "default rules";
    const st_rules *def = st_rules_default();
    CHECK(def != NULL && def == st_rules_default(), "st_rules_default");
    CHECK(st_rules_noise_count(def) > 20, "only %zu noise rules", st_rules_noise_count(def));
    st_rules_free((st_rules *)def); /* a no-op for the defaults */

    current = "extra rule file";
    char rules_path[1024], dict_path[1024];
    snprintf(rules_path, sizeof rules_path, "%s/extra-rules.json", NOISE_TMP);
    snprintf(dict_path, sizeof dict_path, "%s/extra-dict.tsv", NOISE_TMP);
    write_file(rules_path, "[\n  {\"name\": \"test-slogan\", \"scope\": \"line\", \"pattern\": \"^本站口号[：:]\",\n"
                           "   \"doc\": \"a test rule\"},\n"
                           "  {\"name\": \"test-inline\", \"scope\": \"inline\", \"pattern\": \"〔广告\\\\d+〕\",\n"
                           "   \"requires\": [\"〔广告\"]}\n]\n");
    write_file(dict_path, "# test words\nsjzy\t书记专用\nMZSHH\t民主生活会（用户）\n");
    st_error err;
    st_rules *r = st_rules_new(rules_path, dict_path, &err);
    CHECK(r != NULL, "st_rules_new failed: %s", err.message);
    if (r) {
        CHECK(st_rules_noise_count(r) == st_rules_noise_count(def) + 2, "noise count %zu", st_rules_noise_count(r));
        const char *text = "个人对照检查材料\n本站口号：好材料尽在本站\n按照要求，我认真查摆了问题〔广告12〕，sjzy和mzshh都要写。\n";
        st_doc *d = parse_with(text, strlen(text), r, 0);
        if (d) {
            CHECK(st_doc_removed_count(d) == 2, "want 2 removals, got %zu", st_doc_removed_count(d));
            if (st_doc_removed_count(d) == 2) {
                st_removed a = st_doc_removed(d, 0), b = st_doc_removed(d, 1);
                CHECK(strcmp(a.rule, "test-slogan") == 0 && str_eq(a.text, "本站口号：好材料尽在本站"), "line rule");
                CHECK(strcmp(b.rule, "test-inline") == 0 && str_eq(b.text, "〔广告12〕"), "inline rule");
            }
            CHECK(count_censored(d, "sjzy", "书记专用") == 1, "extra dictionary word");
            CHECK(count_censored(d, "mzshh", "民主生活会（用户）") == 1, "a user word overrides a default");
            doc_free(d);
        }
        /* the defaults are untouched */
        d = parse_with(text, strlen(text), NULL, 0);
        if (d) {
            CHECK(st_doc_removed_count(d) == 0, "default rules picked up the extra rule");
            CHECK(count_censored(d, "mzshh", "民主生活会") == 1, "default dictionary changed");
            doc_free(d);
        }
        st_rules_free(r);
    }

    current = "malformed rule files";
    char bad[1024];
    snprintf(bad, sizeof bad, "%s/bad-json.json", NOISE_TMP);
    write_file(bad, "[\n  {\"name\": \"x\", \"scope\": \"line\", \"pattern\": \"a\"},\n  {\"name\": \n]\n");
    r = st_rules_new(bad, NULL, &err);
    CHECK(r == NULL && err.status == ST_ERR_RULES && strstr(err.message, "bad-json.json"),
          "invalid JSON: %s", err.message);
    st_rules_free(r);

    snprintf(bad, sizeof bad, "%s/bad-pattern.json", NOISE_TMP);
    write_file(bad, "[\n  {\"name\": \"fine\", \"scope\": \"line\", \"pattern\": \"a\"},\n"
                    "  {\"name\": \"broken-rule\", \"scope\": \"inline\", \"pattern\": \"(unclosed\"}\n]\n");
    r = st_rules_new(bad, NULL, &err);
    CHECK(r == NULL && err.status == ST_ERR_RULES && strstr(err.message, "bad-pattern.json") &&
              strstr(err.message, "broken-rule") && err.line == 3,
          "bad pattern: %s (line %zu)", err.message, err.line);
    st_rules_free(r);

    snprintf(bad, sizeof bad, "%s/bad-scope.json", NOISE_TMP);
    write_file(bad, "[{\"name\": \"s\", \"scope\": \"page\", \"pattern\": \"a\"}]\n");
    r = st_rules_new(bad, NULL, &err);
    CHECK(r == NULL && strstr(err.message, "bad-scope.json") && strstr(err.message, "scope"), "bad scope: %s",
          err.message);
    st_rules_free(r);

    snprintf(bad, sizeof bad, "%s/bad-dict.tsv", NOISE_TMP);
    write_file(bad, "# ok\nxjp\t习近平\nno tab here\n");
    r = st_rules_new(NULL, bad, &err);
    CHECK(r == NULL && err.status == ST_ERR_RULES && strstr(err.message, "bad-dict.tsv") && err.line == 3,
          "bad dictionary: %s (line %zu)", err.message, err.line);
    st_rules_free(r);

    r = st_rules_new(NOISE_TMP "/does-not-exist.json", NULL, &err);
    CHECK(r == NULL && strstr(err.message, "does-not-exist.json"), "missing file: %s", err.message);
    st_rules_free(r);
}

/* ---- the same noise in messy copies ---- */

/* The text that stays, without any white space. */
static char *kept_compact(const st_doc *d)
{
    char *k = kept_text(d);
    size_t o = 0;
    for (size_t i = 0; k[i];) {
        unsigned char c = (unsigned char)k[i];
        if (c == ' ' || c == '\n' || c == '\t' || c == '\r') { i++; continue; }
        if (!strncmp(k + i, "\xE3\x80\x80", 3)) { i += 3; continue; } /* U+3000 */
        if (!strncmp(k + i, "\xC2\xA0", 2)) { i += 2; continue; }     /* U+00A0 */
        k[o++] = k[i++];
    }
    k[o] = 0;
    return k;
}

/* Hard-wrapped every `width` characters, as copies from PDFs are. */
static char *wrap_text(const char *t, size_t width)
{
    size_t n = strlen(t);
    char *o = malloc(2 * n + 1);
    size_t k = 0, col = 0;
    for (size_t i = 0; i < n;) {
        if (t[i] == '\n') { o[k++] = t[i++]; col = 0; continue; }
        if (col == width) { o[k++] = '\n'; col = 0; }
        size_t m = 1;
        while (i + m < n && ((unsigned char)t[i + m] & 0xC0) == 0x80) m++;
        memcpy(o + k, t + i, m);
        k += m;
        i += m;
        col++;
    }
    o[k] = 0;
    return o;
}

/* All lines joined by a blank, as some copies are. */
static char *flatten_text(const char *t)
{
    size_t n = strlen(t), k = 0;
    char *o = malloc(n + 1);
    bool pending = false;
    for (size_t i = 0; i < n; i++) {
        if (t[i] == '\n') { pending = k > 0; continue; }
        if (pending) { o[k++] = ' '; pending = false; }
        o[k++] = t[i];
    }
    o[k] = 0;
    return o;
}

static char *to_traditional(const char *t)
{
    UErrorCode st = U_ZERO_ERROR;
    UChar id[32];
    u_uastrcpy(id, "Simplified-Traditional");
    UTransliterator *tr = utrans_openU(id, -1, UTRANS_FORWARD, NULL, 0, NULL, &st);
    if (U_FAILURE(st)) return NULL;
    int32_t cap = (int32_t)strlen(t) * 2 + 16, len = 0;
    UChar *u = malloc((size_t)cap * sizeof *u);
    u_strFromUTF8(u, cap, &len, t, -1, &st);
    int32_t limit = len;
    utrans_transUChars(tr, u, &len, cap, 0, &limit, &st);
    utrans_close(tr);
    char *o = malloc((size_t)len * 3 + 1);
    int32_t ol = 0;
    u_strToUTF8(o, len * 3 + 1, &ol, u, len, &st);
    free(u);
    if (U_FAILURE(st)) { free(o); return NULL; }
    return o;
}

static void test_layouts(void)
{
    for (int k = 0; k < 5; k++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", NOISE_SEEDS, seed_names_for_layouts[k]);
        size_t len;
        char *text = read_file(path, &len);
        current = seed_names_for_layouts[k];
        CHECK(text != NULL, "cannot read %s", path);
        if (!text) continue;
        st_doc *orig = parse(text);
        if (!orig) { free(text); continue; }
        char *want = kept_compact(orig);
        char *copies[5] = {wrap_text(text, 18), wrap_text(text, 27), wrap_text(text, 40), flatten_text(text),
                           to_traditional(text)};
        static const char *const names[5] = {"wrapped at 18", "wrapped at 27", "wrapped at 40", "flattened",
                                             "traditional"};
        for (int v = 0; v < 5; v++) {
            if (!copies[v]) { CHECK(0, "%s: no copy", names[v]); continue; }
            st_doc *d = parse(copies[v]);
            if (!d) continue;
            check_invariants(d);
            if (v < 4) {
                char *got = kept_compact(d);
                CHECK(strcmp(got, want) == 0, "%s: the text that stays differs from the original's", names[v]);
                if (strcmp(got, want) != 0) print_removed(d);
                free(got);
            } else {
                CHECK(st_doc_is_traditional(d), "%s: not detected", names[v]);
                bool same = st_doc_removed_count(d) == st_doc_removed_count(orig);
                for (size_t i = 0; same && i < st_doc_removed_count(d); i++)
                    same = strcmp(st_doc_removed(d, i).rule, st_doc_removed(orig, i).rule) == 0 &&
                           st_doc_removed(d, i).place.start == st_doc_removed(orig, i).place.start &&
                           st_doc_removed(d, i).place.end == st_doc_removed(orig, i).place.end;
                CHECK(same, "%s: other removals than in the original", names[v]);
                if (!same) print_removed(d);
            }
            doc_free(d);
            free(copies[v]);
        }
        free(want);
        doc_free(orig);
        free(text);
    }
}

/* ---- threads: one st_rules, many documents at once ---- */

static const char *const seed_names[] = {"000_6c0f177aaca1afe4.txt", "001_bed1cf96018be3ef.txt",
                                         "002_36651b71203e1f41.txt", "003_74a5a433bfd60360.txt",
                                         "004_2a6d75f4afb75138.txt"};
/* the five seeds and a traditional copy of 001 (which builds the
 * traditional table on first use, in whichever thread comes first) */
static char *seed_text[6];
static size_t seed_len[6];
static size_t seed_removed[6], seed_censored[6];

static void *thread_main(void *arg)
{
    size_t *bad = arg;
    for (int round = 0; round < 40; round++) {
        for (int k = 0; k < 6; k++) {
            st_doc *d = st_parse(seed_text[k], seed_len[k], NULL, NULL);
            if (!d || st_doc_removed_count(d) != seed_removed[k] || st_doc_censored_count(d) != seed_censored[k])
                (*bad)++;
            if (d) doc_free(d);
        }
    }
    return NULL;
}

static void test_threads(void)
{
    current = "threads";
    for (int k = 0; k < 6; k++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", NOISE_SEEDS, seed_names[k < 5 ? k : 1]);
        seed_text[k] = read_file(path, &seed_len[k]);
        CHECK(seed_text[k] != NULL, "cannot read %s", path);
        if (!seed_text[k]) return;
        if (k == 5) {
            char *t = to_traditional(seed_text[k]);
            free(seed_text[k]);
            seed_text[k] = t;
            if (!t) return;
            seed_len[k] = strlen(t);
            continue; /* the same removals as 001, checked by the layouts test */
        }
        st_doc *d = st_parse(seed_text[k], seed_len[k], NULL, NULL);
        CHECK(d != NULL, "parse %s", seed_names[k]);
        if (!d) return;
        seed_removed[k] = st_doc_removed_count(d);
        seed_censored[k] = st_doc_censored_count(d);
        doc_free(d);
    }
    seed_removed[5] = seed_removed[1];
    seed_censored[5] = seed_censored[1];
    enum { N = 4 };
    pthread_t t[N];
    size_t bad[N] = {0};
    for (int i = 0; i < N; i++) pthread_create(&t[i], NULL, thread_main, &bad[i]);
    for (int i = 0; i < N; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < N; i++) CHECK(bad[i] == 0, "thread %d saw %zu different results", i, bad[i]);
    for (int k = 0; k < 6; k++) free(seed_text[k]);
}

int main(int argc, char **argv)
{
    const char *group = argc > 1 ? argv[1] : "all";
    bool all = strcmp(group, "all") == 0;
    if (all || !strcmp(group, "kinds")) test_kinds();
    if (all || !strcmp(group, "seeds")) test_seeds();
    if (all || !strcmp(group, "censored")) test_censored();
    if (all || !strcmp(group, "clean")) test_clean();
    if (all || !strcmp(group, "rules")) test_rules();
    if (all || !strcmp(group, "layouts")) test_layouts();
    if (all || !strcmp(group, "threads")) test_threads();
    if (failures) fprintf(stderr, "%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
