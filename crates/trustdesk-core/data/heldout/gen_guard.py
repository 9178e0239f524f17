#!/usr/bin/env python3
"""Generate the held-out guard set (guard_pos.jsonl, guard_neg.jsonl).

Deterministic (fixed seed). The secrets are random test material made here,
never real keys. Needs `pip install mnemonic base58`.
Each line: {"text", "expect": [{"kind","action"}], "secret": [...], "note"}.
"""
import hashlib, json, random
import base58
from mnemonic import Mnemonic

R = random.Random(20261125)
LANGS = ["english", "chinese_simplified", "chinese_traditional"]
M = {l: Mnemonic(l) for l in LANGS}


def phrase(lang, n):
    ent = bytes(R.getrandbits(8) for _ in range(n * 4 // 3))
    return M[lang].to_mnemonic(ent).split(" ")


def bad_phrase(lang, n):
    w = phrase(lang, n)
    wl = M[lang].wordlist
    while True:
        cand = w[:-1] + [R.choice(wl)]
        if not M[lang].check(" ".join(cand)):
            return cand


def b58c(payload):
    return base58.b58encode_check(payload).decode()


def wif(testnet=False, compressed=True):
    k = bytes(R.getrandbits(8) for _ in range(32))
    return b58c(bytes([0xEF if testnet else 0x80]) + k + (b"\x01" if compressed else b""))


XVER = {"xprv": "0488ade4", "yprv": "049d7878", "zprv": "04b2430c", "tprv": "04358394"}


def xprv(kind):
    depth = R.choice([0, 3])
    fp = bytes(4) if depth == 0 else bytes(R.getrandbits(8) for _ in range(4))
    child = bytes(4) if depth == 0 else (0x80000000 + R.randrange(3)).to_bytes(4, "big")
    cc = bytes(R.getrandbits(8) for _ in range(32))
    k = bytes(R.getrandbits(8) for _ in range(32))
    s = b58c(bytes.fromhex(XVER[kind]) + bytes([depth]) + fp + child + cc + b"\x00" + k)
    assert s.startswith(kind), s
    return s


def hex64():
    return "".join(R.choice("0123456789abcdef") for _ in range(64))


def luhn_ok(d):
    s = 0
    for i, c in enumerate(reversed(d)):
        x = int(c)
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        s += x
    return s % 10 == 0


def card(prefix, n):
    while True:
        body = prefix + "".join(R.choice("0123456789") for _ in range(n - len(prefix) - 1))
        for c in "0123456789":
            if luhn_ok(body + c):
                return body + c


def not_luhn(n, first="123456789"):
    while True:
        d = R.choice(first) + "".join(R.choice("0123456789") for _ in range(n - 1))
        if not luhn_ok(d):
            return d


def groups(d, sizes, sep):
    out, i = [], 0
    for s in sizes:
        out.append(d[i:i + s]); i += s
    return sep.join(out)


pos, neg = [], []


def P(text, kind, action="redact", secret=None, note=""):
    pos.append({"text": text, "expect": [{"kind": kind, "action": action}],
                "secret": secret or [], "note": note})


def N(text, note=""):
    neg.append({"text": text, "expect": [], "note": note})


def mixcase(ws):
    return [w.upper() if R.random() < 0.3 else (w.capitalize() if R.random() < 0.3 else w) for w in ws]


# ---- seed phrases: every language x length, varied formats
for lang in LANGS:
    zh = lang != "english"
    for n in (12, 15, 18, 21, 24):
        w = phrase(lang, n)
        P(" ".join(w), "seed_phrase", secret=[w[0] + " " + w[1]] if not zh else [" ".join(w[:2])],
          note=f"{lang} {n} inline")
    # numbered
    w = phrase(lang, 12)
    P(" ".join(f"{i+1}.{x}" for i, x in enumerate(w)), "seed_phrase", note=f"{lang} numbered 1.w",
      secret=[f"1.{w[0]}"])
    w = phrase(lang, 24)
    P("助记词如下 " + " ".join(f"{i+1}. {x}" for i, x in enumerate(w)) if zh else
      "here are my words " + " ".join(f"{i+1}) {x}" for i, x in enumerate(w)),
      "seed_phrase", note=f"{lang} numbered 24", secret=[w[5]] if not zh else [])
    # comma
    w = phrase(lang, 12)
    P(", ".join(w), "seed_phrase", note=f"{lang} comma", secret=[w[0] + ", " + w[1]])
    w = phrase(lang, 18)
    P(("，" if zh else ",").join(w), "seed_phrase", note=f"{lang} comma no space 18",
      secret=[("，" if zh else ",").join(w[:2])])
    # escaped newline (a multi-line paste arriving on one stdin line)
    w = phrase(lang, 12)
    P("\\n".join(w), "seed_phrase", note=f"{lang} literal \\n separated", secret=[w[3] + "\\n" + w[4]])
    w = phrase(lang, 15)
    P(("my seed: " if not zh else "我的助记词：") + "\\r\\n".join(w), "seed_phrase",
      note=f"{lang} literal \\r\\n separated", secret=[w[3] + "\\r\\n" + w[4]])
    # in a sentence
    w = phrase(lang, 12)
    if zh:
        P("客服你好，我的助记词是 " + " ".join(w) + " 帮我看看钱包里的币去哪了", "seed_phrase",
          note=f"{lang} sentence spaced", secret=[" ".join(w[2:5])])
        w = phrase(lang, 12)
        P("".join(w), "seed_phrase", note=f"{lang} packed 12", secret=["".join(w[3:7])])
        w = phrase(lang, 24)
        P("助记词" + "".join(w) + "，请帮我恢复", "seed_phrase", note=f"{lang} packed 24 after 助记词",
          secret=["".join(w[10:14])])
        w = phrase(lang, 12)
        P("這是我的助記詞：" + "  ".join(w), "seed_phrase", note=f"{lang} double spaces",
          secret=["  ".join(w[:2])])
    else:
        P("hi support my recovery phrase is " + " ".join(w) + " pls check why my wallet is empty",
          "seed_phrase", note="en sentence", secret=[" ".join(w[2:5])])
        w = phrase(lang, 12)
        P("  ".join(mixcase(w)) + "   ", "seed_phrase", note="en mixed case extra spaces",
          secret=[])
        w = phrase(lang, 24)
        P(" ".join(x.upper() for x in w), "seed_phrase", note="en upper 24", secret=[w[7].upper()])
        w = phrase(lang, 12)
        P("seed phrase:\t" + "\t".join(w), "seed_phrase", note="en tab separated", secret=[w[1]])
        w = phrase(lang, 12)
        P(" - ".join(w), "seed_phrase", note="en dash separated", secret=[w[1] + " - " + w[2]])
    # bad checksum -> warn
    for n in (12, 24):
        w = bad_phrase(lang, n)
        P((" " if not zh else " ").join(w), "seed_phrase", action="warn", note=f"{lang} {n} bad checksum")

# ---- WIF
for tn, comp in ((False, True), (False, False), (True, True)):
    k = wif(tn, comp)
    P(k, "private_key", secret=[k], note=f"wif testnet={tn} comp={comp}")
k = wif(); P(f"my private key is {k} can you import it", "private_key", secret=[k], note="wif sentence")
k = wif(False, False); P(f"私钥：{k}", "private_key", secret=[k], note="wif zh")
# ---- extended keys
for kind in XVER:
    k = xprv(kind)
    P(f"{kind} from electrum: {k}", "extended_private_key", secret=[k], note=kind)
k = xprv("xprv"); P(k, "extended_private_key", secret=[k], note="bare xprv")
k = xprv("zprv"); P(f"这是我的主私钥{k}，能帮我导入吗", "extended_private_key", secret=[k], note="zprv zh glued")
# ---- 64 hex with key context
for t in ("private key: {}", "my private key is 0x{}", "私钥 {}", "here is the key {} for my metamask",
          "privkey={}", "密钥是{}", "{} this is my private key", "exported secret key {}"):
    h = hex64()
    P(t.format(h), "private_key", secret=[h], note="hex key: " + t)
# ---- cards
cards = [("4", 16, [4, 4, 4, 4]), ("51", 16, [4, 4, 4, 4]), ("2221", 16, [4, 4, 4, 4]),
         ("37", 15, [4, 6, 5]), ("6011", 16, [4, 4, 4, 4]), ("62", 19, [4, 4, 4, 4, 3]),
         ("4", 13, [4, 4, 5]), ("35", 16, [4, 4, 4, 4]), ("62", 17, [4, 4, 4, 5]), ("5", 18, [4, 4, 4, 6])]
tmpl = ["my card number is {}", "卡号 {}", "{}", "visa {} exp 12/28", "银行卡{}扣款失败",
        "card: {} cvv 123", "please refund to {}", "信用卡号是{}", "{} is my debit card", "mastercard {}"]
for i, (pre, n, g) in enumerate(cards):
    d = card(pre, n)
    sep = [" ", "-", ""][i % 3]
    txt = groups(d, g, sep) if sep else d
    P(tmpl[i].format(txt), "card_number", secret=[d[-8:]] if not sep else [txt[-9:]], note=f"card {pre} {n}")
# ---- OTP
for t, c in (("my 2FA code is {}", "482913"), ("谷歌验证码 {}", "730194"), ("验证码是{}", "5821"),
             ("authenticator says {}", "55039182"), ("2FA: {}", "119 384"), ("google auth code {}", "004712"),
             ("短信验证码：{}", "66302"), ("{} 是我的谷歌验证码", "381920"), ("verification code {} pls hurry", "9120"),
             ("otp {}", "772614"), ("動態碼 {}", "840317"), ("here is the code from my authenticator app: {}", "603158")):
    P(t.format(c), "otp_code", secret=[c], note="otp " + t)
# ---- passwords
for t, p in (("my password is {}", "Hunter2!xq"), ("密码是{}", "abc12345zz"), ("pwd: {}", "Qwerty#2024"),
             ("password: {} and email is bob at mail", "S3cure_Pass"), ("登录密码是 {}", "Zz8812aa"),
             ("my login password was {} before the reset", "tr0ub4dor&3"), ("密碼：{}", "Kk99887766"),
             ("pass: {}", "letmein!42"), ("资金密码 {}", "Ff123456"), ("password = {}", "p@ssW0rd99")):
    P(t.format(p), "password", secret=[p], note="pwd " + t)

# ---- negatives
for _ in range(4):
    N("0x" + hex64(), "evm tx hash")
for t in ("txid: {}", "交易哈希 {} 还没到账", "tx hash {} shows success", "hash: {}", "{}",
          "my withdrawal txid {} please check", "区块链浏览器上查到 {}"):
    N(t.format(hex64()), "txid " + t)


def btc_addr():
    return b58c(bytes([R.choice([0, 5])]) + bytes(R.getrandbits(8) for _ in range(20)))


def tron_addr():
    return b58c(b"\x41" + bytes(R.getrandbits(8) for _ in range(20)))


def eth_addr():
    return "0x" + "".join(R.choice("0123456789abcdef") for _ in range(40))


for t in ("send to {}", "我的充值地址是{}", "{}", "withdraw address {} correct?"):
    N(t.format(btc_addr()), "btc addr")
    N(t.format(tron_addr()), "tron addr")
    N(t.format(eth_addr()), "eth addr")
N("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq 这个地址对吗", "bech32")
for t in ("order {} not filled", "订单号{}", "{}", "my uid is {}", "ref {}", "提币单号 {}", "order id: {}"):
    N(t.format(not_luhn(R.choice([12, 14, 16, 19]), "3456")), "order id fails luhn")
for p in ("+86 138 1234 5678", "13812345678", "call me at +1 415-555-0132", "手机号 13912345678 收不到短信",
          "my phone 0917 555 1234", "+44 7700 900123"):
    N(p, "phone")
for a in ("withdrew 2500 USDT yesterday", "提了 5000 U 还没到", "balance 1,234,567.89 USDT", "充值 0.05123 BTC",
          "fee was 12.5 usdt on 2024-11-05", "I lost 15000 dollars", "价格 62345.12 成交了 0.3 BTC",
          "验证码收到了，提币 5000 USDT 还没到", "i set up 2FA in 2021 and never had issues",
          "谷歌验证码错误，试了 3 次", "my password reset was on 2024-11-20", "order 12345678 2fa enabled"):
    N(a, "amount/number")
for s in ("I want to buy a new phone and then move all my bitcoin to a safe cold wallet, what is the best option",
          "Please check the order history, the price was wrong and the market moved fast, I lost a lot of money",
          "abandon hope? no, just wondering about the exchange fee for a small trade tomorrow",
          "can you help me find the right network to withdraw my token, the address looks correct",
          "my brother forgot his password again lol, what is the recovery process for a family account",
          "the word list has 2048 words like abandon ability able about above absent absorb",
          "seed phrase question: should I write all twelve words on paper or steel",
          "I never shared my seed phrase or private key with anyone, is my wallet safe",
          "private key vs public key, what is the difference",
          "we are a small company and want to open an account for our team to trade crypto",
          "you can find the code on github, the key point is the api limit",
          "my password is too weak, how do I change it",
          "what is a 2FA code and where do I get it",
          "I'm stuck, the deposit is pending and the wallet shows zero balance, the team said wait"):
    N(s, "english prose")
for s in ("我昨天在你们平台充值了一笔钱但是到现在还没有到账",
          "网络选择错误导致资产丢失怎么办",
          "请问提币到其他交易所需要多长时间才能到账",
          "你们的客服工作时间是几点到几点",
          "我的谷歌验证器丢了，怎么重置二次验证",
          "助记词应该怎么保存才安全，可以拍照吗",
          "合约爆仓了，强平价格明显不对，我要投诉",
          "为什么我的实名认证一直不通过，照片很清楚",
          "大家好我是新手，想问一下现货和合约有什么区别",
          "我不会把助记词告诉任何人，放心吧",
          "這個平台的手續費是多少，提幣到錢包要多久",
          "我 想 问 一 下 提 币 为 什 么 一 直 没 到 账",
          "今天行情不好，大饼跌了很多，我的单子都被止损了，心态崩了",
          "客服你好，我的账户登录不上了，提示密码错误，但我确定密码是对的"):
    N(s, "chinese prose")

for s in ("error code 10012 when I try to withdraw", "邀请码 A8K2M1 填不上", "block height 871234 confirmed",
          "UID: 48213377 验证码一直收不到", "my 2FA code isn't working since 10 am",
          "verification code never arrives, waited 15 minutes", "promo code 2024 not valid",
          "2FA reset request #5567 still pending", "the SMS code expired after 60 seconds",
          "password: forgot it, that's why I'm writing"):
    N(s, "context without secret")

with open("guard_pos.jsonl", "w") as f:
    for x in pos:
        f.write(json.dumps(x, ensure_ascii=False) + "\n")
with open("guard_neg.jsonl", "w") as f:
    for x in neg:
        f.write(json.dumps(x, ensure_ascii=False) + "\n")
print(len(pos), "positives", len(neg), "negatives")
