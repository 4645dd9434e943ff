#!/usr/bin/env python3
"""Manual probe for superlinear time: parse each repeated pattern at 0.5 MB and
2 MB and flag a time ratio above 6 (linear is ~4).

    tests/hostile/scaling_probe.py build/speechtree

Not run in CI (timings); found the quadratic closing search of parse.c."""
import subprocess, time, sys
exe = sys.argv[1]
pats = {"yishang": "以上。", "comrades": "同志们。", "sentence-excl": "！", "ascii-dot": "a.", "ascii-dot-sp": "Hello. ", "colon": "：",
 "semicolon": "；", "heading-para": "存在的问题：\n", "heading-para-noNL": "存在的问题：", "title-like": "对照检查材料\n\n",
 "blank-lines": "\n\n\n一", "wrapped-prose": "我们要认真学习切实提高思想认识我们要\n", "paren-num": "（1）", "circled": "①",
 "censor-mix": "mzshhxjpzuzhi", "paid-pairs": "##paidbegin##内容##paidend##", "ad": "【更多公文素材，微信：abc】", "qq-line": "获得完整版资料咨询唯一指定QQ206157060\n",
 "quotes": "“”", "closing-quote-period": "。”", "num-comma": "1、", "inline-lead": "，一是", "cn-seq": "一、二、三、", "trad": "問題。"}
for name, p in pats.items():
    res = []
    for size in (500_000, 2_000_000):
        data = (p * (size // len(p.encode()) + 1)).encode()[:size]
        data = data.decode("utf-8", "ignore").encode()
        open("in.txt","wb").write(data)
        t=time.monotonic()
        try:
            r=subprocess.run([exe,"parse","in.txt","-o","out.json"],capture_output=True, timeout=30); rc=r.returncode
        except subprocess.TimeoutExpired:
            rc="TIMEOUT"
        res.append((time.monotonic()-t, rc))
    ratio = res[1][0]/max(res[0][0],1e-3)
    flag = "  <-- superlinear?" if (ratio > 6 and res[1][0] > 0.5) or res[1][1]=="TIMEOUT" else ""
    print(f"{name:22s} 0.5MB {res[0][0]:.2f}s  2MB {res[1][0]:.2f}s ratio {ratio:.1f} rc={res[1][1]}{flag}", flush=True)
