// Dllm playground: streams /generate with return_steps and draws each prompt's output as a grid of blocks.
// Its URLs are relative, so the page also works under a MapDllmEndpoints prefix (open "/prefix/").
"use strict";

const $ = (id) => document.getElementById(id);
const TEMPLATE = (prompt) =>
  `<role>SYSTEM</role>detailed thinking off<|role_end|><role>HUMAN</role>${prompt}<|role_end|><role>ASSISTANT</role>`;
let blockSize = 32;
let blockSizeChosen = false;

function headers() {
  const h = { "Content-Type": "application/json" };
  const key = $("api-key").value.trim();
  if (key) h["Authorization"] = "Bearer " + key;
  return h;
}

async function loadServerInfo() {
  const response = await fetch("get_server_info", { headers: headers() });
  if (response.status === 401) {
    $("server-info").textContent = "this server needs an API key (enter it above)";
    return false;
  }
  const info = await response.json();
  const serverBlockSize = info.block_size || blockSize;
  if (!blockSizeChosen) { $("block-size").value = String(serverBlockSize); showSliders(); }
  const config = info.dllm_algorithm_config || {};
  const threshold = config.threshold !== undefined ? ` · threshold ${config.threshold}` : "";
  $("server-info").textContent =
    `${info.demo_model ? "demo model" : info.model_path || ""} · ${info.dllm_algorithm || ""}${threshold} · block size ${serverBlockSize} · ${info.status || ""}`;
  $("server-info").dataset.blockSize = String(serverBlockSize);
  return true;
}

// Hue from red (p = 0.5 or less) to green (p = 1).
function colour(p) {
  const hue = Math.max(0, Math.min(1, (p - 0.5) / 0.5)) * 120;
  return `hsl(${hue.toFixed(0)}, 70%, 75%)`;
}

class Run {
  constructor(index, prompt, parent) {
    this.cells = [];
    this.steps = 0;
    this.blocks = 0;
    this.tokens = 0;
    this.firstBlockMs = null;
    this.offset = 0;
    this.done = false;
    this.box = document.createElement("div");
    this.box.className = "run";
    this.box.id = `run-${index}`;
    const title = document.createElement("h2");
    title.textContent = `#${index} ${prompt}`;
    this.grid = document.createElement("div");
    this.grid.className = "grid";
    this.grid.style.setProperty("--block-size", String(blockSize));
    this.stats = document.createElement("div");
    this.stats.className = "stats";
    this.answer = document.createElement("pre");
    this.answer.className = "answer";
    this.answer.id = `answer-${index}`;
    this.box.append(title, this.grid, this.stats, this.answer);
    parent.append(this.box);
  }

  // Rows are the engine's blocks: the first generated token sits after the prompt's tokens in the prompt's last
  // block, so the first row starts with (prompt tokens mod block size) prompt cells.
  cell(pos) {
    while (this.cells.length <= pos) {
      const row = document.createElement("div");
      row.className = "row";
      const first = this.cells.length === 0 ? this.offset : 0;
      for (let i = 0; i < first; i++) {
        const filler = document.createElement("span");
        filler.className = "cell prompt";
        row.append(filler);
      }
      for (let i = first; i < blockSize; i++) {
        const cell = document.createElement("span");
        cell.className = "cell masked";
        cell.dataset.pos = String(this.cells.length);
        cell.textContent = "\u00a0";
        row.append(cell);
        this.cells.push(cell);
      }
      this.grid.append(row);
    }
    return this.cells[pos];
  }

  write(item, step) {
    const cell = this.cell(item.pos);
    const special = /^<\|?[a-z_]+\|?>$/.test(item.text); // <|role_end|>, <|endoftext|>, <role>: shown as a mark
    cell.className = special ? "cell committed special" : "cell committed";
    cell.textContent = special ? "\u25a0" : item.text.length ? item.text : "\u00a0";
    cell.dataset.text = item.text;
    cell.dataset.step = String(step);
    cell.style.background = colour(item.p);
    cell.title = `pos ${item.pos} · ${JSON.stringify(item.text)} · step ${step} · p ${item.p}`;
  }

  apply(event, elapsedMs) {
    const meta = event.meta_info;
    if (this.firstBlockMs === null) {
      this.firstBlockMs = elapsedMs;
      this.offset = meta.prompt_tokens % blockSize;
    }
    for (const step of meta.steps || []) {
      this.steps++;
      for (const item of step.committed) this.write(item, step.step);
      for (const item of step.edited || []) this.write(item, step.step);
      if (step.masks_left === 0) this.blocks++;
    }
    this.tokens = meta.completion_tokens;
    if (meta.finish_reason) {
      this.done = true;
      const kept = event.output_ids.length;
      this.cells.forEach((cell, pos) => { if (pos >= kept) cell.classList.add("cut"); });
      this.answer.textContent = event.text;
      this.answer.dataset.finish = meta.finish_reason.type;
      this.answer.dataset.kept = String(kept);
    }
    this.stats.textContent = `${this.tokens} tokens · ${this.steps} steps · ${this.blocks} blocks · ` +
      `${(this.tokens / Math.max(1, this.steps)).toFixed(2)} tokens/step · first block ${this.firstBlockMs.toFixed(0)} ms` +
      (this.done ? ` · ${meta.finish_reason.type}` : "");
  }
}

function showFigures(runs, elapsedMs) {
  const tokens = runs.reduce((s, r) => s + r.tokens, 0);
  const steps = runs.reduce((s, r) => s + r.steps, 0);
  const blocks = runs.reduce((s, r) => s + r.blocks, 0);
  const first = runs.map((r) => r.firstBlockMs).filter((v) => v !== null);
  $("tokens-per-second").textContent = (tokens / Math.max(0.001, elapsedMs / 1000)).toFixed(1);
  $("tokens-per-step").textContent = steps ? (tokens / steps).toFixed(2) : "–";
  $("steps-per-block").textContent = blocks ? (steps / blocks).toFixed(2) : "–";
  $("first-block-ms").textContent = first.length ? `${Math.min(...first).toFixed(0)} ms` : "–";
  $("masked-cells").textContent = String(document.querySelectorAll("#grids .cell.masked").length);
}

// Yields the JSON of each `data:` event of an SSE response body until [DONE].
async function* events(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const chunk = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = chunk.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
      if (data === "[DONE]") return;
      if (data) yield JSON.parse(data);
    }
  }
}

async function generate() {
  const prompts = $("prompt").value.split("\n").map((l) => l.trim()).filter((l) => l.length);
  if (!prompts.length) return;
  document.body.dataset.state = "running";
  $("error").hidden = true;
  $("generate").disabled = true;
  try {
    if (!(await loadServerInfo())) throw new Error("401: enter the server's API key");
    blockSize = Number($("block-size").value);
    const grids = $("grids");
    grids.replaceChildren();
    const runs = prompts.map((p, i) => new Run(i, p, grids));
    const body = {
      text: prompts.map(TEMPLATE),
      stream: true,
      return_steps: true,
      sampling_params: {
        temperature: 0,
        max_new_tokens: Number($("max-new-tokens").value),
        threshold: Number($("threshold").value),
        block_size: blockSize,
      },
    };
    const start = performance.now();
    const response = await fetch("generate", { method: "POST", headers: headers(), body: JSON.stringify(body) });
    if (!response.ok) {
      const error = await response.json().catch(() => ({}));
      throw new Error(`${response.status}: ${(error.error && error.error.message) || response.statusText}`);
    }
    for await (const event of events(response)) {
      if (event.error) throw new Error(event.error.message);
      runs[event.index ?? 0].apply(event, performance.now() - start);
      showFigures(runs, performance.now() - start);
    }
    showFigures(runs, performance.now() - start);
    document.body.dataset.state = runs.every((r) => r.done) ? "done" : "incomplete";
  } catch (e) {
    $("error").textContent = String(e.message || e);
    $("error").hidden = false;
    document.body.dataset.state = "error";
  } finally {
    $("generate").disabled = false;
  }
}

const SLIDERS = ["max-new-tokens", "threshold", "block-size"];

function showSliders() {
  for (const id of SLIDERS) $(`${id}-value`).textContent = $(id).value;
}

function init() {
  const query = new URLSearchParams(location.search);
  if (query.has("prompt")) $("prompt").value = query.get("prompt");
  if (query.has("max_new_tokens")) $("max-new-tokens").value = query.get("max_new_tokens");
  if (query.has("threshold")) $("threshold").value = query.get("threshold");
  if (query.has("block_size")) { $("block-size").value = query.get("block_size"); blockSizeChosen = true; }
  $("block-size").addEventListener("input", () => { blockSizeChosen = true; });
  if (query.has("api_key")) $("api-key").value = query.get("api_key");
  for (const id of SLIDERS) $(id).addEventListener("input", showSliders);
  showSliders();
  $("controls").addEventListener("submit", (e) => { e.preventDefault(); generate(); });
  if (query.get("autorun") === "1") generate();
  else loadServerInfo().catch((e) => { $("server-info").textContent = String(e); });
}

init();
