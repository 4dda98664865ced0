// The live board. The token never goes into a URL: it is sent in an Authorization header,
// on the event streams too (fetch() streaming, since EventSource cannot send headers).
"use strict";

const KEY = "loop-live-board-token";
const sessions = new Map();
let token = sessionStorage.getItem(KEY);
let hostSession = null;
let hostStream = null;

const $ = (id) => document.getElementById(id);

function headers(extra) {
  return Object.assign({ Authorization: "Bearer " + token }, extra || {});
}

async function api(path) {
  const response = await fetch(path, { headers: headers(), cache: "no-store" });
  if (response.status === 401) { signOut("The token was refused."); throw new Error("401"); }
  const body = await response.json();
  if (!response.ok) throw new Error(body.message || response.statusText);
  return body;
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : String(text);
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function utc(value) {
  return value ? value.replace("T", " ").slice(0, 16) : "";
}

function isToday(session) {
  const day = new Date(); day.setUTCHours(0, 0, 0, 0);
  return new Date(session.scheduled_at) >= day || session.status === "live";
}

function renderSessions() {
  const body = $("sessions").tBodies[0];
  const rows = [...sessions.values()].filter(isToday)
    .sort((a, b) => a.scheduled_at.localeCompare(b.scheduled_at));
  body.replaceChildren(...rows.map(sessionRow));
  $("empty").hidden = rows.length > 0;
}

function sessionRow(session) {
  const row = document.createElement("tr");
  row.dataset.sessionId = session.id;
  cell(row, utc(session.scheduled_at));
  cell(row, session.title);
  cell(row, session.host_id);
  cell(row, session.status, "status status-" + session.status);
  cell(row, session.registered_count + " / " + session.max_participants, "registered");
  cell(row, session.waitlist_count);
  cell(row, session.attended_count, "attended");
  row.addEventListener("click", () => { location.hash = "session=" + session.id; });
  return row;
}

async function loadSessions() {
  const page = await api("/v1/live/sessions?upcoming=true&limit=100");
  sessions.clear();
  for (const session of page.sessions) sessions.set(session.id, session);
  renderSessions();
}

// A text/event-stream read over fetch(), resumed with Last-Event-ID after a drop.
async function follow(path, onEvent, isCurrent) {
  let lastId = null;
  while (isCurrent()) {
    try {
      const extra = { Accept: "text/event-stream" };
      if (lastId) extra["Last-Event-ID"] = lastId;
      const response = await fetch(path, { headers: headers(extra), cache: "no-store" });
      if (!response.ok) throw new Error("stream refused: " + response.status);
      $("connection").textContent = "live updates on";
      lastId = await readEvents(response.body, onEvent, isCurrent) || lastId;
    } catch (error) {
      $("connection").textContent = "reconnecting…";
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

async function readEvents(stream, onEvent, isCurrent) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "", lastId = null;
  while (isCurrent()) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replace(/\r\n/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = parseBlock(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (event.id) lastId = event.id;
      if (event.type) onEvent(event);
    }
  }
  reader.cancel().catch(() => {});
  return lastId;
}

function parseBlock(block) {
  const event = { type: null, id: null, data: "" };
  for (const line of block.split("\n")) {
    const colon = line.indexOf(":");
    if (colon === 0) continue;
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (name === "event") event.type = value;
    else if (name === "id") event.id = value;
    else if (name === "data") event.data += value;
  }
  return event;
}

function onBrandEvent(event) {
  if (event.type === "reset") { loadSessions().catch(() => {}); return; }
  if (event.type !== "session") return;
  const session = JSON.parse(event.data);
  sessions.set(session.id, session);
  renderSessions();
}

async function showHost() {
  const match = /^#session=([0-9a-f-]+)$/.exec(location.hash);
  hostSession = match ? match[1] : null;
  $("host-view").hidden = !hostSession;
  if (!hostSession) return;
  const id = hostSession;
  await renderAttendance(id);
  follow("/v1/live/sessions/" + id + "/events", () => renderAttendance(id),
    () => hostSession === id && token !== null);
}

async function renderAttendance(id) {
  try {
    const report = await api("/v1/admin/sessions/" + id + "/attendance");
    const session = sessions.get(id);
    $("host-title").textContent = session ? session.title : "Session " + id;
    $("host-summary").textContent = report.status + " · attended " + report.attended +
      " · no-show " + report.no_show;
    $("attendance").tBodies[0].replaceChildren(...report.attendees.map(attendanceRow));
    $("host-error").textContent = "";
  } catch (error) {
    $("host-error").textContent = error.message;
  }
}

function attendanceRow(entry) {
  const row = document.createElement("tr");
  cell(row, entry.registration_id.slice(0, 8));
  cell(row, entry.user_id);
  cell(row, entry.role);
  cell(row, entry.status);
  cell(row, utc(entry.first_joined_at));
  cell(row, entry.joins);
  cell(row, entry.minutes);
  cell(row, entry.no_show ? "yes" : "");
  return row;
}

function signOut(message) {
  token = null;
  sessionStorage.removeItem(KEY);
  $("board").hidden = true;
  $("sign-out").hidden = true;
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = message || "";
}

async function start() {
  $("sign-in").hidden = true;
  $("board").hidden = false;
  $("sign-out").hidden = false;
  try {
    await loadSessions();
  } catch (error) {
    if (token) $("sign-in-error").textContent = error.message;
    return;
  }
  const current = token;
  follow("/v1/live/events", onBrandEvent, () => token === current);
  showHost();
}

$("sign-in").addEventListener("submit", (event) => {
  event.preventDefault();
  token = $("token").value.trim();
  $("token").value = "";
  sessionStorage.setItem(KEY, token);
  start();
});
$("sign-out").addEventListener("click", () => signOut());
window.addEventListener("hashchange", showHost);
if (token) start(); else signOut();
