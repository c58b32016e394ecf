// Signing a user in at the deployment's Cognito user pool, and keeping them signed in.
//
// The page learns from GET /v1/ui-config whether this deployment signs in with Cognito (its
// region, user pool, public app client and address); without it the sign-in form takes an API
// key. It talks to Cognito's JSON API (POST <endpoint>, X-Amz-Target
// AWSCognitoIdentityProviderService.<Action>), the only address besides the API that the
// page's Content-Security-Policy lets it connect to.
//
// Where the tokens are kept: the ID and access tokens (an hour each) only in this module's
// memory; the refresh token (30 days) in the tab's sessionStorage, so that a reload keeps the
// user signed in while another tab, another window or a closed tab does not. Script injected
// into the page could read either (none can be: the page runs only its own files, with no
// inline script, and builds its HTML from text, never from markup), so the refresh token is
// made useless by signing out (GlobalSignOut revokes every refresh token of the user) and it
// never reaches the API, which gets the ID token only.
//
// The session is refreshed with REFRESH_TOKEN_AUTH five minutes before the ID token expires
// (its lifetime counted from when the page received it, so a wrong clock on the computer does
// not matter), and before any request once the token is that close to its end (a computer
// that slept past the timer).

const REFRESH_STORAGE = "stratigos.cognito.refresh";
const USER_STORAGE = "stratigos.cognito.user";
const REFRESH_MARGIN_MS = 5 * 60 * 1000;
const TARGET = "AWSCognitoIdentityProviderService.";

let config = null; // the user pool of GET /v1/ui-config, or null (API keys)
let tokens = null; // { idToken, accessToken, expiresAt (page's clock, ms) }
let refreshing = null; // the refresh in flight, shared by every request that needs it
let timer = null;
let onExpired = () => {};

/** An error answer of Cognito: its `__type` (e.g. NotAuthorizedException) and message. */
export class CognitoError extends Error {
  constructor(type, message) {
    super(message);
    this.name = "CognitoError";
    this.type = type;
  }
}

/** Load the deployment's sign-in settings once (GET /v1/ui-config): the user pool, or null. */
export async function loadSignInConfig(fetchJson) {
  const answer = await fetchJson("/v1/ui-config");
  config = (answer && answer.cognito) || null;
  return config;
}

/** The user pool the page signs in at (after `loadSignInConfig`), or null: API keys. */
export function cognitoConfig() {
  return config;
}

/** Call one action of Cognito's API with `body` (the client id added where it belongs);
 * resolves to the answer, throws CognitoError (or TypeError when Cognito cannot be reached). */
export async function cognito(action, body) {
  const response = await fetch(config.endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": TARGET + action },
    body: JSON.stringify(body),
    credentials: "omit",
    referrerPolicy: "no-referrer",
  });
  const text = await response.text();
  let answer = {};
  try {
    answer = text ? JSON.parse(text) : {};
  } catch {
    answer = {};
  }
  if (!response.ok) {
    const type = String(answer.__type || answer.code || `HTTP ${response.status}`).split("#").pop();
    throw new CognitoError(type, answer.message || answer.Message || `Cognito answered ${response.status}`);
  }
  return answer;
}

/** The ID token to send to the API (`Authorization: Bearer`), or null when not signed in. */
export function idToken() {
  return tokens ? tokens.idToken : null;
}

/** Who is signed in (the e-mail or user name typed at sign-in), or null. */
export function signedInUser() {
  return tokens ? sessionStorage.getItem(USER_STORAGE) : null;
}

/** Register what happens when the session cannot be kept (its refresh token was revoked or
 * has expired): the sign-in form comes back with `message`. */
export function setSessionExpiredHandler(handler) {
  onExpired = handler;
}

function schedule() {
  clearTimeout(timer);
  if (!tokens) return;
  const wait = Math.max(0, tokens.expiresAt - REFRESH_MARGIN_MS - Date.now());
  timer = setTimeout(() => {
    refresh().catch(() => {});
  }, wait);
}

/** Keep an AuthenticationResult of Cognito: the ID and access tokens in memory, the refresh
 * token (when it has one: a refresh answer has none) in sessionStorage. */
export function keepSession(result, username = null) {
  tokens = {
    idToken: result.IdToken,
    accessToken: result.AccessToken,
    expiresAt: Date.now() + Number(result.ExpiresIn || 3600) * 1000,
  };
  if (result.RefreshToken) sessionStorage.setItem(REFRESH_STORAGE, result.RefreshToken);
  if (username) sessionStorage.setItem(USER_STORAGE, username);
  schedule();
}

/** Forget the session in this tab (tokens, refresh token, timer); Cognito is not told. */
export function forgetSession() {
  tokens = null;
  refreshing = null;
  clearTimeout(timer);
  sessionStorage.removeItem(REFRESH_STORAGE);
  sessionStorage.removeItem(USER_STORAGE);
}

/** New ID and access tokens from the refresh token (REFRESH_TOKEN_AUTH); one at a time. When
 * Cognito refuses it (revoked: signed out elsewhere; expired), the session is forgotten and
 * the sign-in form comes back. Resolves to whether the page is signed in. */
export function refresh() {
  if (refreshing) return refreshing;
  const refreshToken = sessionStorage.getItem(REFRESH_STORAGE);
  if (!config || !refreshToken) return Promise.resolve(false);
  refreshing = cognito("InitiateAuth", {
    AuthFlow: "REFRESH_TOKEN_AUTH",
    ClientId: config.client_id,
    AuthParameters: { REFRESH_TOKEN: refreshToken },
  })
    .then((answer) => {
      keepSession(answer.AuthenticationResult);
      return true;
    })
    .catch((err) => {
      if (!(err instanceof CognitoError)) throw err; // offline: keep the session, try again later
      const hadSession = tokens !== null;
      forgetSession();
      if (hadSession) onExpired(`your session has ended (${err.message})`);
      return false;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/** Before a request to the API: refresh the tokens first when they are about to expire. */
export async function freshSession() {
  if (tokens && Date.now() >= tokens.expiresAt - REFRESH_MARGIN_MS) await refresh();
}

/** At page load: sign in again from the tab's refresh token, if it has one. */
export async function restoreSession() {
  if (!config || tokens || !sessionStorage.getItem(REFRESH_STORAGE)) return false;
  try {
    return await refresh();
  } catch {
    return false; // Cognito unreachable: the sign-in form says so when used
  }
}

/** Sign out everywhere: GlobalSignOut revokes the user's refresh tokens (on every device) and
 * access tokens; this tab forgets its session even when Cognito cannot be reached (returns
 * that error's text then, else null). */
export async function signOutEverywhere() {
  const accessToken = tokens && tokens.accessToken;
  forgetSession();
  if (!config || !accessToken) return null;
  try {
    await cognito("GlobalSignOut", { AccessToken: accessToken });
    return null;
  } catch (err) {
    return err.message || String(err);
  }
}
