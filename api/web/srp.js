// Cognito's Secure Remote Password sign-in (USER_SRP_AUTH), computed with the browser's BigInt
// and WebCrypto: the password never leaves the page, only a proof that the page knows it.
//
// Cognito's variant of SRP-6a (the one its SDKs implement): the 3072-bit group of RFC 5054
// (appendix A) with g = 2, SHA-256, k = H(N | g); numbers are hashed as their big-endian bytes
// with a leading zero byte when the high bit is set ("padded hex"). The password's secret is
// x = H(salt | H(poolName | userId | ":" | password)), where poolName is the user pool id after
// its "<region>_" and userId Cognito's USER_ID_FOR_SRP. From Cognito's SRP_B and SALT the page
// computes S = (B - k g^x)^(a + u x) mod N with u = H(A | B), derives a 16-byte key with HKDF
// (HMAC-SHA256, salt u, info "Caldera Derived Key"), and signs
// poolName | userId | SECRET_BLOCK (its bytes) | TIMESTAMP with HMAC-SHA256 under that key.

const N_HEX =
  "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
  "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
  "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
  "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
  "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
  "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
  "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C" +
  "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF";
const N = BigInt(`0x${N_HEX}`);
const G = 2n;
const INFO = "Caldera Derived Key";
const encoder = new TextEncoder();

/** (base ** exponent) mod modulus, for non-negative BigInts. */
export function modPow(base, exponent, modulus) {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

/** A non-negative BigInt as Cognito hashes it: even-length hex, with "00" in front when the
 * first digit is 8 or more (so the number reads as positive). */
export function padHex(value) {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  else if ("89abcdef".includes(hex[0])) hex = `00${hex}`;
  return hex;
}

function hexBytes(hex) {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

function bytesHex(bytes) {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

async function sha256Hex(bytes) {
  return bytesHex(await crypto.subtle.digest("SHA-256", bytes));
}

/** H(hex digits as bytes), as a 64-digit hex string. */
async function hexHash(hex) {
  return sha256Hex(hexBytes(hex));
}

async function hmac(keyBytes, messageBytes) {
  const key = await crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, messageBytes));
}

/** Bytes of base64 text, ignoring characters outside the base64 alphabet as MIME decoders do
 * (RFC 2045, 6.8). */
export function base64Bytes(text) {
  let clean = String(text).replace(/[^A-Za-z0-9+/]/g, "");
  if (clean.length % 4 === 1) clean = clean.slice(0, -1); // 6 bits: no whole byte
  const padded = clean + "=".repeat((4 - (clean.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

function base64(bytes) {
  return btoa(String.fromCharCode(...bytes));
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Cognito's TIMESTAMP: "Tue Nov 3 09:05:07 UTC 2026" (UTC; the day without a leading zero). */
export function cognitoTimestamp(date) {
  const two = (n) => String(n).padStart(2, "0");
  return (
    `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()} ` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} UTC ${date.getUTCFullYear()}`
  );
}

/** A new ephemeral secret `a` (1024 random bits) and its public value `A = g^a mod N`, sent as
 * SRP_A in hex (A is never 0 mod N: N is prime and g = 2). */
export function srpStart() {
  const a = BigInt(`0x${bytesHex(crypto.getRandomValues(new Uint8Array(128)))}`);
  const A = modPow(G, a, N);
  return { a, A, srpA: A.toString(16) };
}

/** The ChallengeResponses of Cognito's PASSWORD_VERIFIER challenge: `start` from `srpStart`,
 * `params` the challenge's ChallengeParameters (SALT, SRP_B, SECRET_BLOCK, USER_ID_FOR_SRP),
 * `poolId` the user pool's id, `now` the time to sign. Throws when Cognito's B is invalid. */
export async function passwordVerifier({ start, params, poolId, password, now = new Date() }) {
  const poolName = poolId.split("_")[1];
  const userId = params.USER_ID_FOR_SRP;
  const B = BigInt(`0x${params.SRP_B}`);
  if (B % N === 0n) throw new Error("the user pool sent an invalid SRP_B");
  const salt = BigInt(`0x${params.SALT}`);
  const k = BigInt(`0x${await hexHash(padHex(N) + padHex(G))}`);
  const u = BigInt(`0x${await hexHash(padHex(start.A) + padHex(B))}`);
  if (u === 0n) throw new Error("the user pool sent an invalid SRP_B");
  const identity = await sha256Hex(encoder.encode(`${poolName}${userId}:${password}`));
  const x = BigInt(`0x${await hexHash(padHex(salt) + identity)}`);
  const gx = modPow(G, x, N);
  const base = (((B - k * gx) % N) + N) % N;
  const S = modPow(base, start.a + u * x, N);
  const prk = await hmac(hexBytes(padHex(u)), hexBytes(padHex(S)));
  const key = (await hmac(prk, concat(encoder.encode(INFO), new Uint8Array([1])))).slice(0, 16);
  const timestamp = cognitoTimestamp(now);
  const message = concat(
    encoder.encode(poolName),
    encoder.encode(userId),
    base64Bytes(params.SECRET_BLOCK),
    encoder.encode(timestamp),
  );
  return {
    USERNAME: userId,
    PASSWORD_CLAIM_SECRET_BLOCK: params.SECRET_BLOCK,
    PASSWORD_CLAIM_SIGNATURE: base64(await hmac(key, message)),
    TIMESTAMP: timestamp,
  };
}
