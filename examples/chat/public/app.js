// @ts-check
// The plinth chat page: no build step, no dependencies. Every piece of text
// that came from the network is put into the page with `textContent`, never
// as HTML.

/** Limits, the same as examples/chat/chat_endpoint.ts. */
const MAX_NICK_CHARS = 32;
const MAX_ROOM_CHARS = 64;
const MAX_TEXT_CHARS = 1000;
const MAX_FRAME_BYTES = 4 * 1024;
/** Reconnect backoff: exponential from BASE, capped, with jitter. */
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 15_000;
/** Keeps the connection under the server's 120 s idle timeout. */
const PING_INTERVAL_MS = 30_000;
/** Messages kept on screen. */
const MAX_LINES = 500;

const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const encoder = new TextEncoder();

/** @param {string} id */
function byId(id) {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} missing`);
  return element;
}

const ui = {
  join: byId("join"),
  joinForm: /** @type {HTMLFormElement} */ (byId("join-form")),
  nickInput: /** @type {HTMLInputElement} */ (byId("nick")),
  roomInput: /** @type {HTMLInputElement} */ (byId("room")),
  joinError: byId("join-error"),
  chat: byId("chat"),
  where: byId("where"),
  roomName: byId("room-name"),
  nickName: byId("nick-name"),
  leave: byId("leave"),
  status: byId("status"),
  members: byId("members"),
  memberCount: byId("member-count"),
  messages: byId("messages"),
  messageForm: /** @type {HTMLFormElement} */ (byId("message-form")),
  messageInput: /** @type {HTMLInputElement} */ (byId("message-input")),
  send: /** @type {HTMLButtonElement} */ (byId("send")),
  sendError: byId("send-error"),
};

/** @param {string} text */
const charCount = (text) => [...text].length;

/**
 * @param {string | null} raw
 * @param {number} max
 * @returns {string | null}
 */
function validName(raw, max) {
  if (raw === null) return null;
  const name = raw.trim();
  const length = charCount(name);
  if (length < 1 || length > max || FORBIDDEN.test(name)) return null;
  return name;
}

/** @typedef {{ nick: string, room: string }} Target */

/** The nick and room in the URL hash (`#room=lobby&nick=ada`), when both are valid. */
function targetFromHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  const nick = validName(params.get("nick"), MAX_NICK_CHARS);
  const room = validName(params.get("room"), MAX_ROOM_CHARS);
  if (nick === null || room === null || room.includes("/")) return null;
  return { nick, room };
}

/** @type {Target | null} */
let target = null;
/** @type {WebSocket | null} */
let socket = null;
let attempt = 0;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let retryTimer;
/** @type {ReturnType<typeof setInterval> | undefined} */
let pingTimer;
/** The version of the member list on screen: with several servers, an older list can arrive after a newer one. */
let membersVersion = -1;

/**
 * @param {"idle" | "connecting" | "open" | "waiting" | "closed"} state
 * @param {string} text
 */
function setStatus(state, text) {
  ui.status.dataset.state = state;
  ui.status.textContent = text;
}

function atBottom() {
  const list = ui.messages;
  return list.scrollHeight - list.scrollTop - list.clientHeight < 40;
}

/** @param {HTMLElement} item */
function appendLine(item) {
  const stick = atBottom();
  ui.messages.append(item);
  while (ui.messages.childElementCount > MAX_LINES) ui.messages.firstElementChild?.remove();
  if (stick) ui.messages.scrollTop = ui.messages.scrollHeight;
}

/** @param {string} iso */
function clock(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** @param {{ from: string, text: string, at: string }} message */
function messageLine(message) {
  const item = document.createElement("li");
  item.className = "message";
  item.dataset.type = "message";
  if (target !== null && message.from === target.nick) item.classList.add("mine");
  const from = document.createElement("span");
  from.className = "from";
  from.textContent = String(message.from);
  const time = document.createElement("time");
  time.dateTime = String(message.at);
  time.textContent = clock(String(message.at));
  from.append(time);
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = String(message.text);
  item.append(from, text);
  return item;
}

/**
 * @param {"event" | "error"} kind
 * @param {string} text
 */
function noteLine(kind, text) {
  const item = document.createElement("li");
  item.className = kind;
  item.dataset.type = kind;
  item.textContent = text;
  return item;
}

/** @param {string[]} members */
function showMembers(members) {
  const items = members.map((nick) => {
    const item = document.createElement("li");
    item.textContent = String(nick);
    if (target !== null && nick === target.nick) item.classList.add("me");
    return item;
  });
  ui.members.replaceChildren(...items);
  ui.memberCount.textContent = String(members.length);
}

/** @param {MessageEvent} event */
function onServerMessage(event) {
  /** @type {any} */
  let message;
  try {
    message = JSON.parse(String(event.data));
  } catch {
    return;
  }
  switch (message?.type) {
    case "history":
      // A (re)join: the server's history replaces what is on screen, and any member list is news.
      membersVersion = -1;
      ui.messages.replaceChildren(...message.messages.map(messageLine));
      ui.messages.append(noteLine("event", `you joined #${message.room}`));
      ui.messages.scrollTop = ui.messages.scrollHeight;
      break;
    case "message":
      appendLine(messageLine(message));
      break;
    case "join":
      if (target === null || message.nick !== target.nick) appendLine(noteLine("event", `${message.nick} joined`));
      break;
    case "leave":
      appendLine(noteLine("event", `${message.nick} left`));
      break;
    case "members":
      if (typeof message.version === "number") {
        if (message.version < membersVersion) break;
        membersVersion = message.version;
      }
      showMembers(message.members);
      break;
    case "error":
      appendLine(noteLine("error", `not sent: ${message.message}`));
      break;
  }
}

function connect() {
  if (target === null) return;
  clearTimeout(retryTimer);
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const url = `${scheme}//${location.host}/chat/${encodeURIComponent(target.room)}?nick=${
    encodeURIComponent(target.nick)
  }`;
  const ws = new WebSocket(url);
  socket = ws;
  setStatus("connecting", attempt === 0 ? "connecting…" : `reconnecting (attempt ${attempt + 1})…`);
  ws.onopen = () => {
    if (socket !== ws) return;
    attempt = 0;
    setStatus("open", "connected");
    ui.send.disabled = false;
    clearInterval(pingTimer);
    pingTimer = setInterval(() => {
      if (ws.readyState === WebSocket.OPEN) ws.send('{"type":"ping"}');
    }, PING_INTERVAL_MS);
  };
  ws.onmessage = (event) => {
    if (socket === ws) onServerMessage(event);
  };
  ws.onclose = (event) => {
    if (socket !== ws) return; // replaced on purpose
    socket = null;
    clearInterval(pingTimer);
    ui.send.disabled = true;
    if (event.code === 1009) appendLine(noteLine("error", "the last message was too big; reconnecting"));
    scheduleReconnect();
  };
}

/** Exponential backoff with a cap and "equal jitter": half fixed, half random. */
function scheduleReconnect() {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
  const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  attempt++;
  setStatus("waiting", `disconnected — retrying in ${Math.ceil(delay / 1000)} s`);
  retryTimer = setTimeout(connect, delay);
}

function disconnect() {
  clearTimeout(retryTimer);
  clearInterval(pingTimer);
  const ws = socket;
  socket = null;
  ws?.close(1000, "bye");
  attempt = 0;
}

/** Follows the URL hash: a valid nick and room joins, anything else shows the form. */
function route() {
  disconnect();
  target = targetFromHash();
  ui.members.replaceChildren();
  ui.memberCount.textContent = "0";
  ui.messages.replaceChildren();
  if (target === null) {
    const params = new URLSearchParams(location.hash.slice(1));
    ui.nickInput.value = params.get("nick") ?? ui.nickInput.value;
    ui.roomInput.value = params.get("room") ?? (ui.roomInput.value || "lobby");
    ui.join.hidden = false;
    ui.chat.hidden = true;
    ui.where.hidden = true;
    setStatus("idle", "not connected");
    ui.nickInput.focus();
    return;
  }
  document.title = `#${target.room} — plinth chat`;
  ui.roomName.textContent = target.room;
  ui.nickName.textContent = target.nick;
  ui.join.hidden = true;
  ui.chat.hidden = false;
  ui.where.hidden = false;
  ui.send.disabled = true;
  connect();
  ui.messageInput.focus();
}

ui.joinForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const nick = validName(ui.nickInput.value, MAX_NICK_CHARS);
  const room = validName(ui.roomInput.value, MAX_ROOM_CHARS);
  if (nick === null) {
    ui.joinError.textContent = `A nickname has 1 to ${MAX_NICK_CHARS} characters.`;
    return;
  }
  if (room === null || room.includes("/")) {
    ui.joinError.textContent = `A room name has 1 to ${MAX_ROOM_CHARS} characters and no "/".`;
    return;
  }
  ui.joinError.textContent = "";
  location.hash = new URLSearchParams({ room, nick }).toString();
});

ui.messageForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = ui.messageInput.value.trim();
  if (text === "") return;
  const frame = JSON.stringify({ type: "message", text });
  if (charCount(text) > MAX_TEXT_CHARS || encoder.encode(frame).byteLength > MAX_FRAME_BYTES) {
    ui.sendError.textContent = `A message has at most ${MAX_TEXT_CHARS} characters.`;
    return;
  }
  if (socket === null || socket.readyState !== WebSocket.OPEN) {
    ui.sendError.textContent = "Not connected — the message was not sent.";
    return;
  }
  ui.sendError.textContent = "";
  socket.send(frame);
  ui.messageInput.value = "";
});

ui.messageInput.addEventListener("input", () => (ui.sendError.textContent = ""));
ui.leave.addEventListener("click", () => {
  const nick = target?.nick ?? "";
  const room = target?.room ?? "lobby";
  history.replaceState(null, "", location.pathname);
  route();
  ui.nickInput.value = nick;
  ui.roomInput.value = room;
});
globalThis.addEventListener("hashchange", route);
// Back online: do not wait out the backoff.
globalThis.addEventListener("online", () => {
  if (target !== null && socket === null) {
    attempt = 0;
    connect();
  }
});
route();
