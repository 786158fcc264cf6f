// Verify a Dataspike webhook (X-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256>).
// Node's standard library only. Pass the RAW request body as a Buffer, before any JSON parsing
// (with Express: express.raw({ type: 'application/json' })): re-serialized JSON has other
// bytes, and its signature will not match.
const crypto = require('crypto');

const TOLERANCE_S = 300; // Dataspike does not document one; 300 s is the industry default.

// Returns the index of the secret that matched (0: the current one; 1: the old one while
// rotating). Throws an Error with the reason when the delivery must be rejected (answer 400).
function verifyDataspike(rawBody, header, secrets, now = Math.floor(Date.now() / 1000), tolerance = TOLERANCE_S) {
  let t = null;
  const sigs = [];
  for (const item of String(header || '').split(',')) {
    const at = item.indexOf('=');
    const name = at < 0 ? '' : item.slice(0, at).trim();
    const value = at < 0 ? '' : item.slice(at + 1).trim();
    if (at < 0 || value === '') throw new Error('malformed signature header');
    if (name === 't') {
      if (t !== null) throw new Error('duplicate t');
      if (!/^[0-9]{1,10}$/.test(value)) throw new Error('t is not a Unix time');
      t = Number(value);
    } else if (name === 'v1') {
      sigs.push(value);
    } // Other schemes (v0, ...) are ignored, never used instead.
  }
  if (t === null || sigs.length === 0) throw new Error('signature header needs t and v1');
  if (Math.abs(now - t) > tolerance) throw new Error('timestamp outside the tolerance (replayed or clock skew)');
  const signed = Buffer.concat([Buffer.from(`${t}.`), rawBody]);
  for (let i = 0; i < secrets.length; i++) {
    const hex = secrets[i].startsWith('whsec_') ? secrets[i].slice(6) : secrets[i];
    const expected = crypto.createHmac('sha256', Buffer.from(hex, 'hex')).update(signed).digest();
    for (const sig of sigs) {
      if (!/^[0-9a-fA-F]{64}$/.test(sig)) continue;
      // Whole 32-byte digests, compared in constant time: an empty or short v1 never passes.
      if (crypto.timingSafeEqual(Buffer.from(sig, 'hex'), expected)) return i;
    }
  }
  throw new Error('no secret matches the signature');
}

module.exports = { verifyDataspike };
