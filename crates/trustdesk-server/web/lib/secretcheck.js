// trustdesk: a quick look, in the browser, for text that looks like a
// secret (seed phrase, private key, password, 2FA code, card number), so the
// customer is warned before sending. Deliberately broad and cheap; the
// server's guard (checksums, word lists) is the real backstop and redacts
// whatever gets through.
function luhn(digits) {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

// Common words that are not in any BIP39 list: prose has them, seed
// phrases never do.
const PROSE = new Set(('the and for with from have this that what where when please help can not but ' +
  'are was were has had would could should your our their they them there here after before since ' +
  'why how who been does did into than then just also very').split(' '));

// 12+ short lowercase words in a row (optionally numbered) without prose
// words, or a run of CJK characters next to "mnemonic": the shapes of a
// BIP39 phrase.
function seedLike(text) {
  const words = text.toLowerCase().replace(/\b\d{1,2}[.)]/g, ' ').split(/[\s,;]+/).filter(Boolean);
  let run = 0;
  for (const w of words) {
    run = /^[a-z]{3,8}$/.test(w) && !PROSE.has(w) ? run + 1 : 0;
    if (run >= 12) return true;
  }
  return /(?:[\u4e00-\u9fff][\s,，]*){12,}/.test(text) && /助记词|mnemonic|seed|备份/i.test(text);
}

export function looksSecret(text) {
  if (!text) return null;
  if (seedLike(text)) return 'seed';
  if (/\b[xyzt]prv[1-9A-HJ-NP-Za-km-z]{100,}\b/.test(text)) return 'key';
  if (/\b[5KL][1-9A-HJ-NP-Za-km-z]{50,51}\b/.test(text)) return 'key';
  if (/\b(?:0x)?[0-9a-fA-F]{64}\b/.test(text) && /private|priv|secret|私钥|密钥/i.test(text)) return 'key';
  if (/(password|passwd|pwd|密码)\s*(is|:|：|是)\s*\S{4,}/i.test(text)) return 'password';
  if (/\b\d{6}\b/.test(text) && /2fa|authenticator|otp|验证码|谷歌验证/i.test(text)) return 'code';
  const cards = text.match(/\b(?:\d[ -]?){13,19}\b/g) || [];
  if (cards.some((c) => luhn(c.replace(/\D/g, '')))) return 'card';
  return null;
}
