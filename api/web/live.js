// Following a run's events live, whatever the network lets through: Server-Sent Events first,
// then a WebSocket, then long polling, each resuming after the last event received, so no event
// is lost or shown twice.
//
// A transport that fails twice in a row without delivering anything (refused, cut, a proxy that
// holds the stream: no byte, not even the server's keep-alive, for `SILENT_MS`) gives way to the
// next one; one that delivered and then dropped is simply reconnected. Long polling, the last,
// keeps trying (waiting a little longer each time, up to `MAX_BACKOFF_MS`) until `MAX_POLL_FAILURES`
// failures in a row. An answer of the API that retrying cannot change (401, 403, 404, 422) ends
// the following at once and is thrown.

import { api, apiUrl, authHeaders, errorText, streamEvents } from "./api.js";

const ATTEMPTS_PER_TRANSPORT = 2;
const SILENT_MS = 45_000; // the server sends a keep-alive comment after 15 s of silence
const POLL_WAIT_SECONDS = 20;
const MAX_POLL_FAILURES = 6;
// The first wait before a transport is tried again: 500 ms, or what the page set before this
// module loaded (`window.stratigosLiveBackoffMs`: the browser tests, which break transports on
// purpose, set a few ms so that falling back does not wait the seconds a real network needs).
const FIRST_BACKOFF_MS = Number(globalThis.stratigosLiveBackoffMs) > 0 ? Number(globalThis.stratigosLiveBackoffMs) : 500;
const MAX_BACKOFF_MS = 8_000;

/** Whether `err` (an ApiError, a WebSocket refusal) will not change by asking again. */
function final(err) {
  const status = err && err.status;
  return Boolean(status) && status < 500 && status !== 408 && status !== 429;
}

function pause(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    if (signal) signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/** An error of a WebSocket closed by the server with one of the API's codes (4401, 4404,
 * 4429): `status` is the HTTP status it stands for. */
class ClosedError extends Error {
  constructor(code, message) {
    super(message || `the WebSocket was closed (${code})`);
    this.status = code >= 4000 && code < 5000 ? code - 4000 : 0;
  }
}

/** One SSE connection from `after`; resolves to the end's data ({status, more}) or null when
 * the stream stopped without one. */
async function viaSse(base, after, deliver, signal) {
  const attempt = new AbortController();
  const stop = () => attempt.abort();
  signal.addEventListener("abort", stop, { once: true });
  let watchdog = null;
  const quiet = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(stop, SILENT_MS);
  };
  let ended = null;
  try {
    quiet();
    await streamEvents(`${base}/events?after=${after()}`, {
      signal: attempt.signal,
      onBytes: quiet,
      onEvent: ({ event, data }) => {
        if (event === "end") ended = data || {};
        else if (data && typeof data === "object") deliver(data.seq, data);
      },
    });
  } finally {
    clearTimeout(watchdog);
    signal.removeEventListener("abort", stop);
  }
  return ended;
}

/** One WebSocket from `after` (authenticated by its first message, as browsers cannot set its
 * headers); resolves to the end ({status}) or null when it closed without one. */
function viaWebSocket(base, after, deliver, signal) {
  return new Promise((resolve, reject) => {
    const url = new URL(apiUrl(`${base}/ws?after=${after()}`));
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    let socket;
    try {
      socket = new WebSocket(url);
    } catch (err) {
      reject(err);
      return;
    }
    let ended = null;
    let refusal = null;
    const stop = () => socket.close();
    signal.addEventListener("abort", stop, { once: true });
    socket.addEventListener("open", () => {
      const credential = authHeaders();
      const token = (credential.authorization || "").replace(/^Bearer /, "");
      socket.send(JSON.stringify(token ? { type: "auth", token } : { type: "auth", api_key: credential["x-api-key"] }));
    });
    socket.addEventListener("message", (message) => {
      let data = null;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      if (data.type === "event") deliver(data.seq, data.event);
      else if (data.type === "end") ended = { status: data.status };
      else if (data.type === "error") refusal = data.error || {};
    });
    socket.addEventListener("close", (event) => {
      signal.removeEventListener("abort", stop);
      if (ended || signal.aborted) resolve(ended);
      else if (event.code >= 4000) reject(new ClosedError(event.code, refusal && refusal.message));
      else if (refusal) reject(new ClosedError(0, refusal.message));
      else reject(new Error(`the WebSocket closed (${event.code})`));
    });
  });
}

/** One long poll from `after`; resolves to the end ({status}) when the run is over, else null. */
async function viaPolling(base, after, deliver, signal) {
  const page = await api(`${base}/events?after=${after()}&wait=${POLL_WAIT_SECONDS}`, { signal });
  for (const event of page.events || []) deliver(event.seq, event);
  return page.done ? { status: page.status } : null;
}

const TRANSPORTS = { sse: viaSse, websocket: viaWebSocket, polling: viaPolling };

/** Follow the events of `base` (`/v1/optimizations/<id>`, `/v1/deployments/<id>`) after `after`
 * until the run ends: `onEvent(event)` gets each event once, in order of its `seq`;
 * `onTransport(name)` is told each transport as it starts ("sse", "websocket", "polling").
 * `websocket: false` where the API has no WebSocket route. Resolves to the end's data
 * ({status}), or null when aborted; throws what cannot be retried, or when every transport
 * failed. */
export async function followEvents(base, { after = 0, signal, onEvent, onTransport = () => {}, websocket = true }) {
  let last = after;
  const deliver = (seq, event) => {
    if (!Number.isFinite(seq) || seq <= last) return; // already shown (a reconnect's overlap)
    last = seq;
    onEvent(event);
  };
  const order = websocket ? ["sse", "websocket", "polling"] : ["sse", "polling"];
  let lastError = null;
  for (const name of order) {
    const polling = name === "polling";
    let failures = 0;
    let backoff = FIRST_BACKOFF_MS;
    onTransport(name);
    while (!signal.aborted && failures < (polling ? MAX_POLL_FAILURES : ATTEMPTS_PER_TRANSPORT)) {
      const before = last;
      let answered = false;
      try {
        const ended = await TRANSPORTS[name](base, () => last, deliver, signal);
        if (signal.aborted) return null;
        if (ended && !ended.more) return ended;
        answered = true;
      } catch (err) {
        if (signal.aborted) return null;
        if (final(err)) throw err;
        lastError = err;
      }
      const progressed = last > before;
      if (progressed || (answered && polling)) {
        failures = 0;
        backoff = FIRST_BACKOFF_MS;
        if (progressed) continue; // reconnect at once: it was working
      } else {
        failures += 1;
      }
      await pause(backoff, signal);
      backoff = Math.min(2 * backoff, MAX_BACKOFF_MS);
    }
  }
  if (signal.aborted) return null;
  const why = lastError ? errorText(lastError) : "the server closed every connection";
  throw new Error(`Live updates stopped (${why}): reload the page to follow it again.`);
}
