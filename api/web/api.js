// Talking to the Stratigos API: the API key or the Cognito session (auth.js), JSON requests,
// readable errors, and Server-Sent Events read with fetch() (EventSource cannot send the
// x-api-key header).

import { forgetSession, freshSession, idToken } from "./auth.js";

const KEY_STORAGE = "stratigos.apiKey";

let onUnauthenticated = () => {};

/** Register what happens when the API answers 401 (the sign-in form comes back). */
export function setUnauthenticatedHandler(handler) {
  onUnauthenticated = handler;
}

/** The credential the page is signed in with: the Cognito session's ID token, else the key. */
export function getKey() {
  return idToken() || sessionStorage.getItem(KEY_STORAGE);
}

/** Keep an API key (or a pasted token); `null` forgets it and the Cognito session. */
export function setKey(key) {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else {
    sessionStorage.removeItem(KEY_STORAGE);
    forgetSession();
  }
}

/** Take the key from a `#key=...` address fragment (as `stratigos serve` prints it), store it,
 * and remove it from the address bar. Returns true when a key was found. */
export function takeKeyFromFragment() {
  const hash = window.location.hash;
  if (!hash.startsWith("#key=") && !hash.includes("&key=")) return false;
  const params = new URLSearchParams(hash.slice(1));
  const key = params.get("key");
  if (!key) return false;
  setKey(key);
  params.delete("key");
  const rest = params.toString();
  const route = rest.startsWith("/") ? `#${decodeURIComponent(rest)}` : "#/start";
  history.replaceState(null, "", window.location.pathname + window.location.search + route);
  return true;
}

/** An error answer of the API: `{"error": {"code", "message", "details"}}`. */
export class ApiError extends Error {
  constructor(status, code, message, details = []) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** A readable text for any error: the API's message and its field details. */
export function errorText(err) {
  if (err instanceof ApiError) {
    const details = (err.details || [])
      .filter((d) => d && (d.field || d.problem))
      .map((d) => (d.field ? `${d.field}: ${d.problem}` : d.problem));
    const unique = details.filter((d) => !err.message.includes(d));
    return unique.length ? `${err.message} (${unique.join("; ")})` : err.message;
  }
  if (err && err.name === "AbortError") return "Cancelled.";
  if (err instanceof TypeError) return `The server cannot be reached: ${err.message}`;
  return String((err && err.message) || err);
}

/** The ApiError of an error answer: its `{"error": ...}` body when it has one (`text` is the
 * body as text), else the status. */
function apiErrorOf(status, statusText, text) {
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  const error = body && body.error;
  if (error && typeof error.message === "string") {
    return new ApiError(status, error.code || "ERROR", error.message, error.details || []);
  }
  return new ApiError(status, "HTTP_" + status, `The server answered ${status} ${statusText || ""}`.trim());
}

async function toApiError(response) {
  let text = "";
  try {
    text = await response.text();
  } catch {
    text = "";
  }
  return apiErrorOf(response.status, response.statusText, text);
}

/** The headers that carry the signed-in credential: the one place a credential becomes a
 * request's authentication (a sign-in of another kind changes this function and `getKey`). */
export function authHeaders() {
  const token = idToken(); // the Cognito session's
  if (token) return { authorization: `Bearer ${token}` };
  const key = getKey();
  // a JWT (an ID token of the deployment's Cognito user pool, pasted) goes as a bearer token
  if (key && /^eyJ[\w-]*\.[\w-]+\.[\w-]*$/.test(key)) return { authorization: `Bearer ${key}` };
  return key ? { "x-api-key": key } : {};
}

function headers(extra = {}, json = false) {
  const result = { ...extra, ...authHeaders() };
  if (json) result["content-type"] = "application/json";
  return result;
}

/** The URL of an API path, relative to the page, so the UI also works under a path prefix
 * (e.g. an API Gateway stage, `https://.../prod/`). */
export function apiUrl(path) {
  return new URL(path.replace(/^\//, ""), document.baseURI).toString();
}

async function send(path, { method = "GET", body, headers: extra = {}, signal, signInOn401 = true } = {}) {
  await freshSession(); // a Cognito session about to expire is refreshed first
  const response = await fetch(apiUrl(path), {
    method,
    // a FormData body (a file upload) sets its own multipart content type
    headers: headers(extra, body !== undefined && !(body instanceof FormData)),
    body: body === undefined || body instanceof FormData ? body : JSON.stringify(body),
    signal,
  });
  if (!response.ok) {
    const err = await toApiError(response);
    // the first 401 of a page signs out and says why; those of its other requests, answered
    // after it, find the key gone and leave that message
    if (response.status === 401 && signInOn401 && getKey()) {
      setKey(null);
      onUnauthenticated(err.message);
    }
    throw err;
  }
  return response;
}

/** A JSON request to the API; resolves to the parsed body (null for 204), throws ApiError. A 401
 * brings the sign-in form back, unless `signInOn401: false` (a background read whose failure
 * the page can do without). */
export async function api(path, options = {}) {
  const response = await send(path, options);
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  return type.includes("json") ? response.json() : response.text();
}

/** POST a FormData body (a file upload) with XMLHttpRequest, because fetch() reports no upload
 * progress. `onProgress(loaded, total)` gets the bytes sent so far (total: the whole body) and
 * `onSent()` is called once the body is sent (the server is then processing it). Resolves to
 * the parsed JSON answer; rejects with ApiError (a 401 brings back the sign-in form), or a
 * TypeError when the server cannot be reached. `signal` (an AbortSignal) aborts the upload. */
export async function uploadWithProgress(path, form, { onProgress = () => {}, onSent = () => {}, signal } = {}) {
  await freshSession(); // a Cognito session about to expire is refreshed first
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", apiUrl(path));
    for (const [name, value] of Object.entries(headers())) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total);
    });
    xhr.upload.addEventListener("load", () => onSent());
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(xhr.responseText ? JSON.parse(xhr.responseText) : null);
        } catch (err) {
          reject(err);
        }
        return;
      }
      const err = apiErrorOf(xhr.status, xhr.statusText, xhr.responseText);
      if (xhr.status === 401 && getKey()) {
        setKey(null);
        onUnauthenticated(err.message);
      }
      reject(err);
    });
    xhr.addEventListener("error", () => reject(new TypeError("the upload failed (network error)")));
    xhr.addEventListener("abort", () => reject(new DOMException("The upload was cancelled.", "AbortError")));
    if (signal) {
      if (signal.aborted) {
        reject(new DOMException("The upload was cancelled.", "AbortError"));
        return;
      }
      signal.addEventListener("abort", () => xhr.abort(), { once: true });
    }
    xhr.send(form);
  });
}

/** The raw response of an authenticated request (e.g. the HTML report), throws ApiError. */
export async function apiRaw(path, options = {}) {
  return send(path, options);
}

/** Open the HTML page at `path` (a report, with its own inline scripts) in a new tab: it needs
 * the credential, so it is fetched here and written into `static/report.html`, an empty page of
 * this origin served without the app's Content-Security-Policy (a blob: or about:blank tab
 * would inherit it, and the report's charts would not be drawn). Throws ApiError (the tab
 * opened for it is closed then). */
export async function openHtmlPage(path) {
  const tab = window.open(apiUrl("static/report.html"), "_blank");
  if (!tab) throw new Error("The browser blocked the new tab: allow pop-ups for this page to open the report.");
  try {
    const html = await (await send(path, {})).text();
    await new Promise((resolve, reject) => {
      const started = Date.now();
      const check = () => {
        let ready = false;
        try {
          ready = tab.location.pathname.endsWith("/report.html") && tab.document.readyState === "complete";
        } catch {
          ready = false; // still on its way
        }
        if (ready) resolve();
        else if (tab.closed || Date.now() - started > 30_000) reject(new Error("The report's tab did not open."));
        else setTimeout(check, 50);
      };
      check();
    });
    tab.document.open();
    tab.document.write(html);
    tab.document.close();
  } catch (err) {
    tab.close();
    throw err;
  }
}

/** Parse one SSE message block into {event, id, data} (data parsed as JSON when it is). */
function parseBlock(block) {
  let event = "message";
  let id = null;
  const data = [];
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event = value;
    else if (field === "id") id = value;
    else if (field === "data") data.push(value);
  }
  if (!data.length) return null;
  const text = data.join("\n");
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { event, id, data: parsed };
}

/** Stream Server-Sent Events from `path` (GET or POST with a JSON body), calling
 * `onEvent({event, id, data})` for each message (and `onBytes()` whenever bytes arrive, the
 * server's keep-alive comments included); resolves when the server closes the stream. */
export async function streamEvents(path, { method = "GET", body, signal, onEvent, onBytes = () => {} }) {
  const response = await send(path, {
    method,
    body,
    signal,
    headers: { accept: "text/event-stream" },
  });
  if (!response.body) throw new Error("this browser cannot read streamed responses");
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    onBytes();
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
    let cut = buffer.indexOf("\n\n");
    while (cut >= 0) {
      const message = parseBlock(buffer.slice(0, cut));
      buffer = buffer.slice(cut + 2);
      if (message) onEvent(message);
      cut = buffer.indexOf("\n\n");
    }
  }
  const last = parseBlock(buffer + decoder.decode());
  if (last) onEvent(last);
}
