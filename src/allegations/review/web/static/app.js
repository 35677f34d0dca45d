// allegations review in the browser. Narrative text is only ever put in the page with
// textContent / text nodes, never parsed as HTML. No inline script: the page's CSP forbids it.
"use strict";

(function () {
  const csrf = document.querySelector('meta[name="csrf"]').content;
  const defaultReviewer = document.querySelector('meta[name="default-reviewer"]').content;
  const STORAGE = "allegations-reviewer";
  const KEYS = new Set(["y", "n", "s", "u", "?", "q", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
  const $ = (id) => document.getElementById(id);

  let reviewer = sessionStorage.getItem(STORAGE);
  let state = null;
  const queue = [];
  let running = false;

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function show(section) {
    for (const id of ["join", "review", "left"]) $(id).hidden = id !== section;
  }

  function setPending() {
    document.body.dataset.pending = String(queue.length + (running ? 1 : 0));
  }

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return { status: response.status, data: data };
  }

  // Actions run one at a time, in order: a key acts on the state its predecessor produced.
  function enqueue(path, body) {
    queue.push({ path: path, body: body });
    setPending();
    if (!running) pump();
  }

  async function pump() {
    running = true;
    while (queue.length) {
      const job = queue.shift();
      setPending();
      const body = Object.assign({ reviewer: reviewer }, job.body);
      if (state && job.path !== "/api/join") body.version = state.version;
      try {
        const result = await post(job.path, body);
        if (result.status === 200 || result.status === 409) {
          $("error").textContent = "";
          render(result.data);
        } else if (result.data && result.data.error) {
          queue.length = 0;
          if (job.path === "/api/join") {
            $("join-error").textContent = result.data.error;
            show("join");
          } else {
            $("error").textContent = "Not done: " + result.data.error;
          }
        } else {
          queue.length = 0;
          $("error").textContent = "The review server answered " + result.status +
            "; reload the page (nothing after your last saved decision was kept).";
        }
      } catch (e) {
        queue.length = 0;
        $("error").textContent = "The review server cannot be reached: is it still running? " +
          "Decisions acknowledged on screen are saved.";
      }
    }
    running = false;
    setPending();
  }

  function render(s) {
    state = s;
    document.body.dataset.version = String(s.version);
    if (s.left) {
      $("left-text").textContent = "Every decision of " + s.reviewer + " is saved (" + s.decided +
        " of " + s.total + " cases in this queue decided). You can close this tab.";
      show("left");
      return;
    }
    show("review");
    $("head").textContent = "allegations review \u00b7 " + s.strategy + " \u00b7 reviewer " +
      s.reviewer + " \u00b7 " + s.decided + " of " + s.total + " decided \u00b7 " + s.saved +
      " saved this session";
    $("progress").max = Math.max(s.total, 1);
    $("progress").value = s.decided;
    $("legend").textContent = s.legend;
    // A blind audit or an adjudication offers no model call to accept (the legend says so).
    document.querySelector('button[data-key="y"]').hidden = s.blind;
    $("status").textContent = s.status || "";
    $("learning").textContent = s.learning ? "learning: " + s.learning : "";
    $("learning").hidden = !s.learning;
    $("more-labels").hidden = s.labels.length <= 9 || !s.case;

    const defs = $("definitions");
    defs.hidden = !s.definitions;
    if (s.definitions) renderDefinitions(s.definitions);

    const narrative = $("narrative");
    narrative.replaceChildren();
    const labels = $("labels");
    labels.replaceChildren();
    const c = s.case;
    if (!c) {
      $("where").textContent = "";
      $("model-line").textContent = "";
      narrative.appendChild(document.createTextNode(s.remaining
        ? "End of the queue: " + s.remaining + " case(s) not decided (skipped); they come back on the next run."
        : "Every case in this queue is decided."));
      return;
    }
    let where = "case " + c.position + " of " + s.total + " \u00b7 id " + c.id;
    if (!s.blind) where += " \u00b7 confidence " + c.confidence.toFixed(2);
    $("where").textContent = where;
    if (!c.segments.length) narrative.appendChild(document.createTextNode("(empty narrative)"));
    for (const piece of c.segments) {
      if (piece.labels.length) {
        const mark = el("mark", piece.text);
        mark.title = "evidence: " + piece.labels.join(", ");
        narrative.appendChild(mark);
      } else {
        narrative.appendChild(document.createTextNode(piece.text));
      }
    }
    if (c.answers) {
      $("model-line").textContent = "Adjudication: settle the reviewers' answers. " +
        c.answers.map((a) => a.reviewer + ": " + (a.labels.join("; ") || "none apply")).join(" \u00b7 ");
    } else if (s.blind) {
      $("model-line").textContent = "Audit: the model's view is hidden. Check every label that applies.";
    } else {
      const called = c.predicted.map((p) => p.name + " " + p.score.toFixed(2)).join(", ") || "no label";
      $("model-line").textContent = "Model predicts: " + called +
        (c.evidence ? " \u00b7 evidence is highlighted in the narrative." : "");
    }
    for (const item of s.labels) {
      const li = el("li");
      const label = el("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.checked = item.checked;
      box.dataset.number = String(item.number);
      box.addEventListener("change", (event) => {
        event.preventDefault();
        box.checked = item.checked; // the server's answer decides
        enqueue("/api/toggle", { number: item.number });
      });
      label.appendChild(box);
      label.appendChild(el("span", item.number, "num"));
      label.appendChild(el("span", item.name, "name"));
      if (!s.blind) {
        label.appendChild(el("span", item.score.toFixed(2), "score"));
        if (item.predicted) label.appendChild(el("span", "model: yes", "called"));
      }
      li.appendChild(label);
      labels.appendChild(li);
    }
  }

  function renderDefinitions(items) {
    const list = $("definition-list");
    list.replaceChildren();
    for (const item of items) {
      list.appendChild(el("dt", item.number + " " + item.name));
      if (item.definition === null) {
        list.appendChild(el("dd", "(no definition: the model was trained without a codebook)"));
        continue;
      }
      list.appendChild(el("dd", item.definition || "(no definition text)"));
      if (item.include.length) list.appendChild(el("dd", "include: " + item.include.join("; ")));
      if (item.exclude.length) list.appendChild(el("dd", "exclude: " + item.exclude.join("; ")));
    }
  }

  function join(name) {
    reviewer = name;
    sessionStorage.setItem(STORAGE, name);
    state = null;
    enqueue("/api/join", {});
  }

  document.addEventListener("keydown", (event) => {
    if (!reviewer || $("review").hidden) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target instanceof HTMLInputElement && event.target.type !== "checkbox") return;
    let key = event.key === "Enter" ? "enter" : event.key;
    if (state && state.definitions) key = "?"; // any key returns from the definitions
    else if (!KEYS.has(key) && key !== "enter") return;
    event.preventDefault();
    enqueue("/api/key", { key: key });
  });

  for (const button of document.querySelectorAll("button[data-key]")) {
    button.addEventListener("click", () => {
      const key = button.dataset.key === "escape" ? "?" : button.dataset.key;
      enqueue("/api/key", { key: key });
      button.blur();
    });
  }

  $("join-form").addEventListener("submit", (event) => {
    event.preventDefault();
    $("join-error").textContent = "";
    const name = $("reviewer-input").value.trim();
    if (name) join(name);
  });

  $("switch").addEventListener("click", () => {
    sessionStorage.removeItem(STORAGE);
    reviewer = null;
    state = null;
    $("reviewer-input").value = "";
    show("join");
    $("reviewer-input").focus();
  });

  $("rejoin").addEventListener("click", () => join(reviewer));

  if (reviewer) {
    join(reviewer);
  } else {
    $("reviewer-input").value = defaultReviewer;
    show("join");
    $("reviewer-input").focus();
  }
  document.body.dataset.ready = "1";
})();
