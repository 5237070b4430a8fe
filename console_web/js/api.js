// The console talks only to the public /v1 API, like any other client.

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
      headers: { "Content-Type": "application/json", ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  get(path) { return this.request("GET", path); }
  post(path, body) { return this.request("POST", path, body ?? {}); }
}

// A socket that says hello with the last seq it saw and reconnects with back-off: the server
// then sends every later event once, so nothing is lost and, with the seq check, nothing repeats.
export class LiveSocket {
  constructor({ path, token, lastSeq, onEvent, onState }) {
    Object.assign(this, { path, token, lastSeq, onEvent, onState });
    this.delay = 500;
    this.closed = false;
    this.open();
  }

  open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}${this.path}`);
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: "hello", token: this.token, last_seq: this.lastSeq }));
    ws.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (data.type === "welcome") { this.delay = 500; this.onState("live"); return; }
      if (data.type !== "event" || data.seq <= this.lastSeq) return;
      this.lastSeq = data.seq;
      this.onEvent(data, performance.now());
    };
    ws.onclose = () => {
      if (this.closed) return;
      this.onState("reconnecting");
      setTimeout(() => this.open(), this.delay);
      this.delay = Math.min(this.delay * 2, 10000);
    };
  }

  close() { this.closed = true; this.ws?.close(); }
}
