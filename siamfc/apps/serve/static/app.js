// The siamfc demo page: plain JS, no library, nothing loaded from elsewhere.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { clip: null, frame: null, box: null, drag: null, maxBytes: 0, abort: null, scores: [], result: null };

// -- messages --------------------------------------------------------------------------------
function say(text, isError = false) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

async function api(url, options = {}) {
  const response = await fetch(url, options);
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try { message = (await response.json()).error || message; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}

// -- options ---------------------------------------------------------------------------------
async function loadOptions() {
  const options = await (await api("/api/options")).json();
  state.maxBytes = options.max_upload_bytes;
  $("limit").textContent = `(videos up to ${Math.round(options.max_upload_bytes / 2 ** 20)} MB)`;
  for (const [id, values] of [["weights", options.weights], ["params", options.params]]) {
    $(id).replaceChildren(...values.map((v) => new Option(v, v)));
  }
}

// -- the clip --------------------------------------------------------------------------------
async function upload(file) {
  if (!file) return;
  if (file.size > state.maxBytes) {
    say(`${file.name} is ${(file.size / 2 ** 20).toFixed(1)} MB, over this server's limit of ` +
        `${Math.round(state.maxBytes / 2 ** 20)} MB`, true);
    return;
  }
  say(`uploading ${file.name} ...`);
  try {
    const response = await api("/api/clips", { method: "POST", body: file, headers: { "X-Filename": encodeURIComponent(file.name) } });
    showClip(await response.json());
  } catch (e) {
    say(e.message, true);
  }
}

async function useDemo() {
  try {
    showClip(await (await api("/api/clips/demo", { method: "POST" })).json());
  } catch (e) {
    say(e.message, true);
  }
}

function showClip(clip) {
  state.clip = clip;
  state.box = null;
  $("box").value = "";
  $("result").hidden = true;
  const frames = clip.frames ? `${clip.frames} frames` : "frame count unknown";
  $("clip-info").textContent = `${clip.name}: ${clip.width} x ${clip.height}, ${frames}` +
    (clip.fps ? `, ${clip.fps.toFixed(1)} fps` : "");
  const image = new Image();
  image.onload = () => {
    state.frame = image;
    const canvas = $("canvas");
    canvas.width = clip.width;
    canvas.height = clip.height;
    setBox(clip.box || null);
    say(clip.box ? "the sequence's ground-truth box is drawn: press Track, or drag to draw another"
                 : "drag on the frame to draw a box around the target");
  };
  image.src = clip.first_frame;
}

// -- drawing the box -------------------------------------------------------------------------
function toImage(event) {
  // Mouse position -> frame pixels (the canvas may be shown smaller than the frame).
  const canvas = $("canvas"), rect = canvas.getBoundingClientRect();
  const clamp = (v, hi) => Math.min(Math.max(v, 0), hi);
  return [clamp(Math.round((event.clientX - rect.left) * canvas.width / rect.width), canvas.width),
          clamp(Math.round((event.clientY - rect.top) * canvas.height / rect.height), canvas.height)];
}

function boxFrom(a, b) {
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.abs(b[0] - a[0]), Math.abs(b[1] - a[1])];
}

function draw() {
  const canvas = $("canvas"), ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (state.frame) ctx.drawImage(state.frame, 0, 0);
  if (state.box) {
    const [x, y, w, h] = state.box;
    ctx.strokeStyle = "#ffff00";
    ctx.lineWidth = 2;
    ctx.strokeRect(x, y, w, h);
  }
}

function setBox(box) {
  state.box = box;
  $("box").value = box ? box.join(",") : "";
  draw();
}

function bindDrawing() {
  const canvas = $("canvas");
  canvas.addEventListener("mousedown", (e) => {
    if (!state.clip) return;
    state.drag = toImage(e);
    setBox([...state.drag, 0, 0]);
  });
  canvas.addEventListener("mousemove", (e) => { if (state.drag) setBox(boxFrom(state.drag, toImage(e))); });
  window.addEventListener("mouseup", (e) => {
    if (!state.drag) return;
    setBox(boxFrom(state.drag, toImage(e)));
    state.drag = null;
    if (state.box[2] < 1 || state.box[3] < 1) {
      say("that box has zero size: press, drag and release to draw it", true);
    } else {
      say(`box ${state.box.join(",")}: press Track`);
    }
  });
  $("box").addEventListener("change", () => {
    const values = $("box").value.split(/[,\s]+/).filter(Boolean).map(Number);
    if (values.length === 4 && values.every(Number.isFinite)) {
      setBox(values);
    } else {
      say("the box must be four numbers x,y,w,h", true);
    }
  });
}

// -- tracking --------------------------------------------------------------------------------
async function track() {
  if (!state.clip) return say("first upload a clip or pick the bundled one", true);
  if (!state.box) return say("first drag a box around the target on the frame", true);
  state.scores = [];
  state.result = null;
  state.total = 0;
  $("result").hidden = true;
  $("progress").value = 0;
  $("live").removeAttribute("src");
  const body = JSON.stringify({ clip: state.clip.id, box: state.box, weights: $("weights").value,
                                params: $("params").value, debug: $("debug").checked });
  state.abort = new AbortController();
  setRunning(true);
  say("starting ...");
  try {
    const response = await api("/api/track", { method: "POST", body, signal: state.abort.signal,
                                               headers: { "Content-Type": "application/json" } });
    await readEvents(response, handle);
  } catch (e) {
    say(e.name === "AbortError" ? "stopped" : e.message, e.name !== "AbortError");
  } finally {
    setRunning(false);
    state.abort = null;
  }
}

async function readEvents(response, onEvent) {
  // Newline-delimited JSON, read as it arrives.
  const reader = response.body.getReader(), decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line.trim()) onEvent(JSON.parse(line));
    }
  }
}

function handle(event) {
  if (event.type === "progress") {
    const total = event.total || 0;
    $("progress").max = total || 1;
    $("progress").value = total ? event.frame + 1 : 0;
    if (event.preview) $("live").src = event.preview;
    state.scores[event.frame] = event.score;
    state.total = total;
    drawScores();
    say(`frame ${event.frame + 1}${total ? " of " + total : ""}` +
        (event.score === null ? "" : `, score ${event.score.toFixed(2)}`) + (event.lost ? ", target lost" : ""));
  } else if (event.type === "done") {
    showResult(event);
  } else if (event.type === "error") {
    say(event.message, true);
  } else if (event.type === "cancelled") {
    say(`cancelled: ${event.message}`);
  }
}

function setRunning(running) {
  $("run").disabled = running;
  $("stop").disabled = !running;
}

// -- the result ------------------------------------------------------------------------------
function showResult(event) {
  state.result = { ...event, lines: event.boxes.trim().split("\n") };
  state.scores = event.scores;
  say(`done: ${event.summary}`);
  $("summary").textContent = event.summary;
  $("boxes").textContent = event.boxes;
  $("download-boxes").href = event.boxes_url;
  $("download-video").href = event.video_url;
  $("video").src = event.video_url;
  $("result").hidden = false;
  $("live").removeAttribute("src");
  showFrame(0);
  $("video").play().catch(() => { /* autoplay refused: the controls are there */ });
}

function showFrame(index) {
  const r = state.result;
  if (!r) return;
  index = Math.max(0, Math.min(r.lines.length - 1, index));
  const score = r.scores[index];
  $("frame-box").textContent = `frame ${index + 1}: box ${r.lines[index]}` +
    (score === null ? " (the box you drew)" : `, score ${score.toFixed(3)}`) +
    (r.lost && r.lost[index] ? " (lost: below the weights' lost threshold)" : "");
  drawScores(index);
}

function drawScores(current) {
  const canvas = $("score"), ctx = canvas.getContext("2d"), scores = state.scores;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const values = scores.filter((v) => v !== null && v !== undefined);
  if (!values.length) return;
  // While tracking, the x axis spans the whole clip (when its length is known).
  const n = Math.max((state.result ? scores.length : state.total || scores.length) - 1, 1);
  const lo = Math.min(0, ...values), hi = Math.max(...values, 1e-6);
  const x = (i) => 30 + i * (canvas.width - 40) / n;
  const y = (v) => canvas.height - 15 - (v - lo) / (hi - lo) * (canvas.height - 30);
  ctx.fillStyle = "#555";
  ctx.font = "11px sans-serif";
  ctx.fillText("peak score", 30, 11);
  ctx.fillText(hi.toFixed(2), 0, y(hi) + 4);
  ctx.fillText(lo.toFixed(2), 0, y(lo) + 4);
  ctx.strokeStyle = "#e08000";
  ctx.beginPath();
  let started = false;
  scores.forEach((v, i) => {
    if (v === null || v === undefined) return;
    if (started) ctx.lineTo(x(i), y(v)); else ctx.moveTo(x(i), y(v));
    started = true;
  });
  ctx.stroke();
  if (current !== undefined) {
    ctx.strokeStyle = "#0060c0";
    ctx.beginPath();
    ctx.moveTo(x(current), 12);
    ctx.lineTo(x(current), canvas.height - 10);
    ctx.stroke();
  }
}

function bindPlayback() {
  const video = $("video");
  const frameAt = () => Math.floor(video.currentTime * (state.result ? state.result.fps : 30) + 1e-3);
  video.addEventListener("timeupdate", () => showFrame(frameAt()));
  video.addEventListener("seeked", () => showFrame(frameAt()));
}

// -- start -----------------------------------------------------------------------------------
window.addEventListener("DOMContentLoaded", () => {
  bindDrawing();
  bindPlayback();
  $("file").addEventListener("change", (e) => upload(e.target.files[0]));
  $("use-demo").addEventListener("click", useDemo);
  $("run").addEventListener("click", track);
  $("stop").addEventListener("click", () => state.abort && state.abort.abort());
  setRunning(false);
  loadOptions().catch((e) => say(`cannot reach the server: ${e.message}`, true));
});
