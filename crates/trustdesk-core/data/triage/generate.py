#!/usr/bin/env python3
"""Builds examples.tsv from the hand-written files plus slot-filled templates.

Run from this directory: python3 generate.py
Deterministic (fixed seed). Columns of examples.tsv:
text, category, language, priority, urgent, group
`group` keys the held-out split: every sentence made from one template shares
the template's group, so a template is either entirely in training or
entirely held out (a held-out sentence never differs from a training one only
by its slot values).
"""
import random

rng = random.Random(20261124)
FLAGS = {"U": "urgent", "H": "high", "N": "normal", "L": "low"}

COINS = ["USDT", "BTC", "ETH", "USDC", "SOL", "TRX", "BNB", "DOGE", "XRP", "LTC"]
NETS = ["TRC20", "ERC20", "BEP20", "Arbitrum", "Polygon", "Solana", "BSC"]
NUM = ["100", "500", "1000", "2000", "3万", "5000", "0.5", "12", "800", "2.3"]
NUM_EN = ["100", "500", "1,000", "2000", "30k", "5000", "0.5", "12", "800", "2.3"]
HOURS_ZH = ["两个小时", "半天", "一天", "三个小时", "40分钟", "两天", "一晚上"]
HOURS_EN = ["2 hours", "half a day", "a day", "3 hours", "40 minutes", "two days", "all night"]
EXCH = ["币安", "火币", "OKX", "Bybit", "Gate", "Coinbase", "imToken", "TP钱包"]
EXCH_EN = ["Binance", "OKX", "Coinbase", "Kraken", "Bybit", "MetaMask", "Trust Wallet", "my ledger"]
HW = ["ledger", "trezor", "Ledger Nano X", "硬件钱包", "冷钱包", "keystone"]
HW_EN = ["ledger", "trezor", "Ledger Nano S", "hardware wallet", "cold wallet", "keystone"]
PRE_ZH = ["", "", "", "你好，", "您好 ", "请问", "客服你好，", "在吗 ", "急！", "hi "]
POST_ZH = ["", "", "", "？", "。", "，谢谢", " 怎么办", "，麻烦看下", "!!", " 急"]
PRE_EN = ["", "", "", "hi, ", "Hello, ", "hey ", "Hi team, ", "pls help ", "good morning, "]
POST_EN = ["", "", "", "?", ".", " thanks", " please help", " asap", "!!", " what do i do"]

T = {}  # (lang, cat, flag) -> list of templates
def add(lang, cat, flag, *tpls):
    T.setdefault((lang, cat, flag), []).extend(tpls)

# ---------- zh ----------
add("zh", "account", "N",
    "{coin}都在账户里，但是登录不了了，一直提示密码错误",
    "新注册的账号收不到{what}验证码",
    "实名认证第{n}次被拒了，原因是{reason}",
    "想把绑定的{what}换成新的，旧的{what}已经不用了",
    "{hours}了KYC还在审核中",
    "登录时提示{err}，进不去账户",
    "密码忘了，找回密码的时候{what}验证码收不到")
add("zh", "account", "L",
    "请问{doc}可以用来做实名认证吗")
add("zh", "transfer", "L",
    "没有完成KYC的话每天能提多少{coin}")
add("zh", "trading", "N",
    "{coin}/USDT 的限价单挂了{hours}都没成交",
    "合约{lev}倍开多，止损设在{num}，价格到了没触发",
    "P2P买{coin}已经付款{hours}了，商家还不放币",
    "为什么{coin}永续合约的资金费率这么高",
    "现货市价买{coin}滑点太大",
    "{coin}合约平仓失败，一直提示{err}",
    "网格机器人跑{coin}，怎么修改区间")
add("zh", "trading", "H",
    "{coin}合约被强平了，爆仓价和我算的不一样，要求赔偿",
    "OTC卖{coin}，对方付款后又申诉说没付，钱被冻了")
add("zh", "trading", "L",
    "{coin}现货交易手续费是多少",
    "合约最多能开几倍杠杆")
add("zh", "transfer", "N",
    "从{exch}提{num}个{coin}到你们这，走{net}，{hours}了还没到账",
    "{coin}提币到{exch}，显示已完成但是没收到",
    "{net}充值{coin}一直在确认中",
    "提{coin}卡在审核中{hours}了",
    "{coin}充值记录里没有，链上hash查得到",
    "{coin} {net}提币一直没到账",
    "我的{coin}提币{hours}还在处理中",
    "充了{num}{coin}没到帐")
add("zh", "transfer", "H",
    "{coin}充值的时候选错网络了，用{net}转到了{net2}地址",
    "充{coin}忘记填memo了，已经过去{hours}",
    "{coin}提币地址填错了，钱转到别人那了，能追回吗",
    "充值{coin}的标签tag没填，币没有到账")
add("zh", "transfer", "L",
    "{coin}走{net}提币手续费多少",
    "{coin}最少充值多少才能到账")
add("zh", "security", "U",
    "账户被盗了，{num}个{coin}被人提走了，赶紧冻结",
    "我没有操作，账户里的{coin}被转到了陌生地址",
    "有人冒充客服让我转{coin}到安全账户，我已经转了{num}",
    "收到{coin}提币成功通知，不是我本人操作，快冻结",
    "号被盗了 谷歌验证器和邮箱都被改了",
    "请马上冻结我的账户，{reason2}",
    "我的助记词泄露了，{hw}里的{coin}正在被转走")
add("zh", "security", "H",
    "谷歌验证器{lost}，登录不了",
    "收到{chan}消息说账户有风险，让我点链接，是钓鱼吗",
    "有人在{chan}上冒充你们的客服",
    "登录记录里有{place}的登录，不是我",
    "{chan}上有人说能帮我找回被骗的{coin}，要先交手续费")
add("zh", "storage", "L",
    "{hw}怎么备份助记词",
    "平台的{coin}是放在冷钱包还是热钱包",
    "长期持有{coin}，放交易所还是{hw}更安全",
    "{hw}和软件钱包有什么区别")
add("zh", "storage", "N",
    "{hw}恢复之后{coin}余额显示为0",
    "换了新手机，{hw}里的钱包怎么恢复",
    "{hw}连不上电脑，里面还有{coin}")
add("zh", "compliance", "L",
    "在{country}买卖{coin}需要交税吗",
    "{country}的用户可以用你们平台吗",
    "怎么导出{year}年的交易记录报税",
    "你们在{country}有牌照吗")
add("zh", "compliance", "N",
    "账户被要求提供资金来源证明，{num}{coin}是我自己挖的",
    "因为{country}的监管规定我的账户被限制了",
    "提{coin}被合规审核拒绝了，需要补什么材料")

# ---------- en ----------
add("en", "account", "N",
    "can't log in, it says {err_en}",
    "verification code for {what_en} never arrives when I sign up",
    "KYC rejected for the {n_en} time, reason: {reason_en}",
    "I need to change my {what_en}, the old one is gone",
    "identity verification pending for {hours_en}",
    "forgot my password and the reset {what_en} code doesn't come")
add("en", "account", "L",
    "can I use my {doc_en} for KYC")
add("en", "transfer", "L",
    "what's the daily {coin} withdrawal limit without KYC")
add("en", "trading", "N",
    "{coin}/USDT limit order open for {hours_en} and not filled",
    "{lev}x long on {coin}, stop loss at {num_en} did not trigger",
    "paid for {coin} on P2P {hours_en} ago, seller still hasn't released",
    "why is the {coin} perpetual funding rate so high",
    "huge slippage on my {coin} market buy",
    "can't close my {coin} futures position, it says {err_en}",
    "how do I change the price range of my {coin} grid bot")
add("en", "trading", "H",
    "my {coin} futures got liquidated at a price that never traded, I want compensation",
    "OTC buyer of my {coin} opened an appeal claiming they paid, funds are locked")
add("en", "trading", "L",
    "what are the spot trading fees for {coin}",
    "what is the max leverage on {coin} futures")
add("en", "transfer", "N",
    "sent {num_en} {coin} from {exch_en} via {net} {hours_en} ago, still not credited",
    "{coin} withdrawal to {exch_en} shows completed but not received",
    "{coin} deposit on {net} stuck at confirming",
    "{coin} withdrawal under review for {hours_en}",
    "my {coin} deposit is not in the history but the tx hash is on chain",
    "{coin} {net} withdrawal still not arrived",
    "deposited {num_en} {coin}, not showing up")
add("en", "transfer", "H",
    "I picked the wrong network for my {coin} deposit, sent on {net} to a {net2} address",
    "forgot the memo on my {coin} deposit {hours_en} ago",
    "wrong {coin} withdrawal address, funds went to a stranger, can you reverse it",
    "{coin} deposit without the destination tag, not credited")
add("en", "transfer", "L",
    "how much is the {coin} {net} withdrawal fee",
    "minimum {coin} deposit amount?")
add("en", "security", "U",
    "account hacked, {num_en} {coin} withdrawn, freeze it now",
    "{coin} left my account to an address I don't know, I didn't do it",
    "a fake support agent told me to send {coin} to a safe account and I sent {num_en}",
    "got a {coin} withdrawal confirmation I didn't make, freeze my account",
    "someone changed my 2fa and email, my account is stolen",
    "lock my account immediately, {reason2_en}",
    "my seed phrase leaked and the {coin} in my {hw_en} is being moved")
add("en", "security", "H",
    "my google authenticator is {lost_en}, can't log in",
    "got a {chan_en} message saying my account is at risk with a link, is it phishing",
    "someone on {chan_en} is pretending to be your support",
    "login from {place_en} in my history, that wasn't me",
    "someone on {chan_en} says they can recover my scammed {coin} for a fee")
add("en", "storage", "L",
    "how do I back up the seed phrase of my {hw_en}",
    "do you keep {coin} in cold or hot wallets",
    "holding {coin} long term, exchange or {hw_en}?",
    "{hw_en} vs software wallet, what's the difference")
add("en", "storage", "N",
    "restored my {hw_en} and the {coin} balance is zero",
    "new phone, how do I recover the wallet from my {hw_en}",
    "my {hw_en} won't connect and it still holds {coin}")
add("en", "compliance", "L",
    "do I pay tax on {coin} gains in {country_en}",
    "can users in {country_en} use the exchange",
    "how to export my {year} trades for tax",
    "are you licensed in {country_en}")
add("en", "compliance", "N",
    "you asked for source of funds, the {num_en} {coin} came from mining",
    "my account got restricted because of {country_en} regulations",
    "my {coin} withdrawal was rejected by compliance, what documents do you need")

# Emergencies built from cue families (who / what happened / to what / when),
# so the learned urgent score sees many combinations, plus near misses that
# share the vocabulary but are not emergencies.
add("zh", "security", "U",
    "{when_zh}{who_zh}{acted_zh}我的{asset_zh}",
    "我的{asset_zh}{when_zh}{lost_zh}，{deny_zh}",
    "{deny_zh}，但是账户里{when_zh}多了一笔{money_op_zh}记录",
    "{imp_zh}让我{hand_zh}，我照做了，现在{asset_zh}{lost_zh}",
    "{urg_zh}{freeze_zh}，{reason3_zh}")
add("zh", "security", "H",
    "{imp_zh}联系我，让我{hand_zh}，我没理，这是真的吗",
    "怎么防止{asset_zh}{lost_zh}",
    "如果{who_zh}{acted_zh}我的{asset_zh}，应该怎么办")
add("en", "security", "U",
    "{when_en} {who_en} {acted_en} my {asset_en}",
    "my {asset_en} {lost_en2} {when_en}, {deny_en}",
    "{deny_en} but there's a new {money_op_en} on my account from {when_en}",
    "{imp_en} told me to {hand_en}, I did it and now my {asset_en} {lost_en2}",
    "{urg_en} {freeze_en}, {reason3_en}")
add("en", "security", "H",
    "{imp_en} asked me to {hand_en}, I ignored it, is that really you?",
    "how do I stop my {asset_en} from being stolen",
    "what should I do if {who_en} ever {acted_en} my {asset_en}")

SLOTS = {
    "coin": COINS, "net": NETS, "net2": NETS, "num": NUM, "num_en": NUM_EN,
    "hours": HOURS_ZH, "hours_en": HOURS_EN, "exch": EXCH, "exch_en": EXCH_EN,
    "hw": HW, "hw_en": HW_EN,
    "what": ["手机", "邮箱", "短信", "手机号"], "what_en": ["email", "phone", "SMS", "phone number"],
    "n": ["二", "三", "四", "五"], "n_en": ["second", "third", "4th", "fifth"],
    "reason": ["照片模糊", "信息不匹配", "证件不支持", "人脸识别失败"],
    "reason_en": ["blurry photo", "information mismatch", "unsupported document", "face check failed"],
    "err": ["网络错误", "账户已锁定", "系统繁忙", "设备异常"],
    "err_en": ["network error", "account locked", "system busy", "unknown device"],
    "doc": ["护照", "驾照", "港澳通行证", "居住证"], "doc_en": ["passport", "driver's license", "residence permit", "national id"],
    "lev": ["5", "10", "20", "50", "100"],
    "lost": ["丢了", "删了", "换手机没迁移", "验证码一直错误"],
    "lost_en": ["lost", "deleted", "gone after a phone reset", "giving wrong codes"],
    "chan": ["短信", "电报", "微信", "邮件", "推特"], "chan_en": ["SMS", "telegram", "WhatsApp", "email", "twitter"],
    "place": ["美国", "俄罗斯", "越南", "陌生地区"], "place_en": ["Russia", "Nigeria", "a country I never visited", "Vietnam"],
    "reason2": ["手机被偷了", "有人在登录我的账号", "我的密码泄露了，有陌生提币"],
    "reason2_en": ["my phone was stolen", "someone is logged in as me", "my password leaked and there is a withdrawal I didn't make"],
    "country": ["美国", "新加坡", "日本", "德国", "香港", "加拿大"],
    "country_en": ["the US", "Singapore", "Japan", "Germany", "Hong Kong", "Canada"],
    "year": ["2024", "2025"],
    "when_zh": ["刚才", "今天凌晨", "昨晚", "就在刚刚", "十分钟前", "半夜", ""],
    "who_zh": ["有人", "陌生人", "别人", "黑客", "不知道是谁"],
    "acted_zh": ["登录并提走了", "转走了", "盗走了", "卖光了", "动了", "清空了"],
    "asset_zh": ["USDT", "币", "资产", "钱包", "BTC", "账户余额", "ETH"],
    "lost_zh": ["全没了", "不见了", "被转走了", "少了一大半", "归零了", "被提光了"],
    "deny_zh": ["我没有操作过", "不是我本人操作", "我什么都没做", "我根本没提币", "我没授权过"],
    "money_op_zh": ["提币", "提现", "转账", "卖出", "划转"],
    "imp_zh": ["自称客服的人", "冒充官方的人", "电报上的假客服", "说是安全中心的人", "群里的假管理员"],
    "hand_zh": ["把币转到安全账户", "提供谷歌验证码", "告诉他助记词", "下载远程软件", "把验证码念给他"],
    "urg_zh": ["紧急！", "求助 ", "快！", "急急急 ", ""],
    "freeze_zh": ["请马上冻结我的账户", "帮我冻结账号", "立刻锁定我的账户", "冻结我的账户"],
    "reason3_zh": ["有人在提我的币", "手机丢了", "密码泄露了", "号被盗了", "我被骗了"],
    "when_en": ["just now", "last night", "an hour ago", "this morning", "overnight", "minutes ago"],
    "who_en": ["someone", "a hacker", "somebody", "a stranger", "some scammer"],
    "acted_en": ["logged in and withdrew", "drained", "stole", "emptied", "transferred out", "sold all"],
    "asset_en": ["USDT", "coins", "funds", "BTC", "balance", "ETH", "wallet"],
    "lost_en2": ["are gone", "disappeared", "got drained", "went to zero", "were sent out", "vanished"],
    "deny_en": ["I didn't do anything", "it wasn't me", "I never withdrew", "I did not authorize it", "none of it was me"],
    "money_op_en": ["withdrawal", "transfer", "sell order", "withdrawal request"],
    "imp_en": ["a fake support agent", "someone claiming to be your admin", "a guy posing as support on telegram", "a 'security team' caller", "an impostor on discord"],
    "hand_en": ["move my coins to a safe wallet", "share my 2fa code", "type my seed phrase", "install remote desktop", "read him the sms code"],
    "urg_en": ["URGENT:", "help!!", "please,", "asap", ""],
    "freeze_en": ["freeze my account", "lock my account now", "please freeze it", "block my account immediately"],
    "reason3_en": ["someone is withdrawing", "my phone was stolen", "my password leaked", "I've been hacked", "I got scammed"],
}

def fill(tpl):
    out = tpl
    for k, vals in SLOTS.items():
        key = "{" + k + "}"
        while key in out:
            out = out.replace(key, rng.choice(vals), 1)
    return out

def typo_en(s):
    # drop a vowel, swap two letters, lowercase, strip punctuation
    r = rng.random()
    if r < 0.25:
        s = s.lower()
    elif r < 0.4:
        s = "".join(c for c in s if c not in ".,?!'").lower()
    elif r < 0.5 and len(s) > 8:
        i = rng.randrange(1, len(s) - 2)
        if s[i].isalpha() and s[i + 1].isalpha():
            s = s[:i] + s[i + 1] + s[i] + s[i + 2:]
    return s

def noise_zh(s):
    r = rng.random()
    if r < 0.2:
        s = s.replace("，", " ").replace("。", "")
    elif r < 0.3:
        s = s.replace("到账", "到帐").replace("登录", "登陆")
    return s

rows = []
seen = set()

def emit(text, cat, lang, flag, group):
    text = " ".join(text.replace("\t", " ").split())
    if not text or text in seen:
        return
    seen.add(text)
    pri = FLAGS[flag]
    urgent = "true" if flag == "U" else "false"
    rows.append((text, cat, lang, pri, urgent, group))

for lang, fname in (("zh", "hand_zh.txt"), ("en", "hand_en.txt"), ("other", "hand_other.txt")):
    with open(fname, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cat, flag, text = line.split("\t", 2)
            emit(text, cat, lang, flag, "h:" + text)

PER_TEMPLATE = 6
for (lang, cat, flag), tpls in sorted(T.items()):
    for i, tpl in enumerate(tpls):
        group = f"t:{lang}:{cat}:{flag}:{i}"
        for _ in range(PER_TEMPLATE):
            if lang == "zh":
                s = rng.choice(PRE_ZH) + fill(tpl) + rng.choice(POST_ZH)
                s = noise_zh(s)
            else:
                s = rng.choice(PRE_EN) + fill(tpl) + rng.choice(POST_EN)
                s = typo_en(s)
            emit(s, cat, lang, flag, group)

with open("examples.tsv", "w", encoding="utf-8") as f:
    f.write("# text\tcategory\tlanguage\tpriority\turgent\tgroup  (generated by generate.py; edit the hand_*.txt files or the templates)\n")
    for r in rows:
        f.write("\t".join(r) + "\n")

from collections import Counter
print(len(rows), Counter((r[2]) for r in rows), Counter((r[2], r[1]) for r in rows))
