// Edge console: log in, then show the box's device health, refreshed every 2 s from /api/v1/status.
// Plain DOM and textContent only (device names and reasons are never parsed as HTML).
"use strict";

const REFRESH_MS = 2000;
const STATES = { online: "online · 在线", degraded: "degraded · 降级", offline: "offline · 离线" };
const $ = (id) => document.getElementById(id);
let timer = null;

function show(view) {
  $("login-view").hidden = view !== "login";
  $("status-view").hidden = view !== "status";
  $("logout").hidden = view !== "status";
}

function showLogin(message) {
  clearTimeout(timer);
  timer = null;
  show("login");
  $("box").textContent = "";
  $("login-error").textContent = message || "";
  $("password").value = "";
  $("password").focus();
}

async function api(path, body) {
  const options = { credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    options.method = "POST";
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  let data = {};
  try { data = await response.json(); } catch (_) { /* not JSON: keep {} */ }
  return { status: response.status, data };
}

async function login(event) {
  event.preventDefault();
  const button = $("login-button");
  button.disabled = true;
  $("login-error").textContent = "";
  try {
    const { status, data } = await api("/api/v1/login", {
      username: $("username").value.trim(),
      password: $("password").value,
    });
    if (status === 200) {
      $("password").value = "";
      show("status");
      refresh();
    } else if (status === 401) {
      showLogin("Wrong user or password · 用户名或密码错误");
    } else {
      showLogin(data.error || `Error ${status}`);
    }
  } catch (_) {
    showLogin("Cannot reach the box · 无法连接");
  } finally {
    button.disabled = false;
  }
}

async function logout() {
  clearTimeout(timer);
  timer = null;
  try { await api("/api/v1/logout", {}); } catch (_) { /* offline: the session expires anyway */ }
  showLogin("");
}

async function refresh() {
  clearTimeout(timer);
  timer = null;
  if (document.hidden) { timer = setTimeout(refresh, REFRESH_MS); return; }
  try {
    const { status, data } = await api("/api/v1/status");
    if (status === 401) { showLogin(""); return; }
    if (status !== 200) throw new Error(`HTTP ${status}`);
    render(data);
    setConnection(`Updated · 已更新 ${new Date().toLocaleTimeString()}`, false);
  } catch (_) {
    if ($("status-view").hidden) { showLogin("Cannot reach the box · 无法连接"); return; }
    setConnection("Connection lost, retrying · 连接中断，重试中…", true);
  }
  if (!$("status-view").hidden) timer = setTimeout(refresh, REFRESH_MS);
}

function setConnection(text, lost) {
  $("conn").textContent = text;
  $("conn").classList.toggle("lost", lost);
}

function render(status) {
  show("status");
  $("box").textContent = `Box · 盒子 ${status.box_id}` + (status.site ? ` · ${status.site}` : "");
  renderCounts(status.counts || {});
  const devices = status.devices || [];
  $("empty").hidden = devices.length > 0;
  $("devices").replaceChildren(...devices.map(deviceRow));
}

function renderCounts(counts) {
  $("counts").replaceChildren(...Object.keys(STATES).map((state) => {
    const chip = document.createElement("span");
    chip.className = `chip state-${state}`;
    chip.textContent = `${counts[state] || 0} ${STATES[state]}`;
    return chip;
  }));
}

function deviceRow(device) {
  const row = document.createElement("tr");
  const state = STATES[device.state] ? device.state : "offline";
  row.className = `row-${state}`;
  const id = cell(row, "", device.device_id, "device");
  if (device.name && device.name !== device.device_id) {
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = device.name;
    id.append(name);
  }
  cell(row, "Kind · 类型", device.kind);
  cell(row, "State · 状态", STATES[device.state] || device.state, `state state-${state}`);
  cell(row, "Reason · 原因", device.reason || "—");
  const seen = cell(row, "Last seen · 最近", ago(device.last_seen));
  if (device.last_seen) seen.title = device.last_seen;
  return row;
}

function cell(row, label, text, className) {
  const td = document.createElement("td");
  td.dataset.label = label;
  td.textContent = text == null ? "" : String(text);
  if (className) td.className = className;
  row.append(td);
  return td;
}

function ago(iso) {
  if (!iso) return "never · 从未";
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (!Number.isFinite(seconds)) return iso;
  if (seconds < 5) return "just now · 刚刚";
  if (seconds < 90) return `${seconds} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 129600) return `${Math.round(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleString();
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", logout);
  document.addEventListener("visibilitychange", () => { if (!document.hidden && timer) refresh(); });
  refresh();
});
