// The console talks only to the public /v1 API, like any other client.
import { language } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body?.error || {};
  }
}

export class Api {
  constructor(token) { this.token = token; }

  async request(method, path, body) {
    const response = await fetch(path, {
      method,
      // a refusal comes back in the language the reader chose here, not the browser's
      headers: {
        "Content-Type": "application/json",
        "Accept-Language": language(),
        ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  get(path) { return this.request("GET", path); }
  post(path, body) { return this.request("POST", path, body ?? {}); }

  // A file the API serves behind the token (a time sheet's CSV or spreadsheet): fetched with the
  // Authorization header, which a bare link cannot carry, and handed back as a Blob to save.
  async blob(path) {
    const response = await fetch(path, {
      headers: { "Accept-Language": language(), ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}) },
    });
    if (!response.ok) {
      const text = await response.text();
      let data = null;
      try { data = text ? JSON.parse(text) : null; } catch { /* not JSON: said by its status */ }
      throw new ApiError(response.status, data);
    }
    return response.blob();
  }
}

// Save a Blob as a file named `name`: a download from an object URL, a navigation the pages'
// Content Security Policy does not restrict (no script, frame or fetch of blob: is involved; the
// phone's browser test downloads under the enforced policy), the URL released once clicked.
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// A socket that says hello with the last seq it saw and reconnects with back-off: the server
// then sends every later event once, so nothing is lost and, with the seq check, nothing repeats.
export class LiveSocket {
  constructor({ path, token, lastSeq, onEvent, onState, onMessage = () => {} }) {
    Object.assign(this, { path, token, lastSeq, onEvent, onState, onMessage });
    this.delay = 500;
    this.closed = false;
    this.live = false;
    this.open();
  }

  // Send when the server has welcomed us; false means "not now" (the caller keeps it queued).
  send(message) {
    if (!this.live || this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  // The phone lost the network: stop trying until it is back (then resume from lastSeq).
  pause() { this.paused = true; this.live = false; this.ws?.close(); this.onState("offline"); }

  resume() { if (!this.paused) return; this.paused = false; this.delay = 500; this.open(); }

  open() {
    if (this.paused || this.closed) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}${this.path}`);
    this.ws = ws;
    // A browser sets no Accept-Language on a WebSocket: the hello says the page's language, in
    // which the server says this socket's refusals (read again at each reconnection).
    ws.onopen = () => ws.send(JSON.stringify({ type: "hello", token: this.token, last_seq: this.lastSeq, lang: language() }));
    ws.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (data.type === "welcome") { this.delay = 500; this.live = true; this.onState("live"); this.onMessage(data); return; }
      if (data.type !== "event") { this.onMessage(data); return; }
      if (data.seq <= this.lastSeq) return;
      this.lastSeq = data.seq;
      this.onEvent(data, performance.now());
    };
    ws.onclose = () => {
      this.live = false;
      if (this.closed || this.paused || ws !== this.ws) return;
      this.onState("reconnecting");
      setTimeout(() => this.open(), this.delay);
      this.delay = Math.min(this.delay * 2, 10000);
    };
  }

  close() { this.closed = true; this.ws?.close(); }
}
