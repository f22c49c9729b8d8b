// Bee's pages: starting a conversation, finding, renaming and deleting one; asking, with the
// answer streamed in as text the moment each piece arrives, stoppable, and then replaced by the
// server's rendering of it (clean Markdown, highlighted code, citations linked to passages).

if (page === "bee") {
  const form = document.getElementById("new-conversation");
  const choices = document.getElementById("jar-choices");
  const someJars = form.querySelector('input[name="scope"][value="some"]');
  const syncChoices = () => {
    for (const box of choices.querySelectorAll("input")) box.disabled = !someJars.checked;
  };
  for (const radio of form.querySelectorAll('input[name="scope"]')) radio.addEventListener("change", syncChoices);
  syncChoices();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { title: form.elements.namedItem("title").value.trim() };
    if (someJars.checked) {
      body.jars = [...choices.querySelectorAll("input:checked")].map((box) => box.value);
      if (body.jars.length === 0) {
        say("Choose at least one Honey Jar, or let Bee draw on every one you can read.", true);
        return;
      }
    }
    const model = form.elements.namedItem("model");
    if (model) body.model = model.value;
    const response = await post("/api/conversations", body);
    if (response.ok) {
      window.location.assign(`/bee/${(await response.json()).id}`);
    } else {
      say(await explain(response), true);
    }
  });

  const list = document.getElementById("conversations");
  const filter = document.getElementById("filter");
  if (filter && list) {
    filter.addEventListener("input", () => {
      const words = filter.value.trim().toLowerCase();
      let shown = 0;
      for (const row of list.children) {
        const match = row.dataset.title.toLowerCase().includes(words);
        row.hidden = !match;
        if (match) shown += 1;
      }
      document.getElementById("no-match").hidden = shown > 0;
    });
  }
  if (list) {
    list.addEventListener("click", async (event) => {
      const button = event.target.closest("button");
      if (!button) return;
      const row = button.closest("li");
      const id = row.dataset.id;
      if (button.classList.contains("delete")) {
        if (!window.confirm(`Delete “${row.dataset.title}” and all its messages? This cannot be undone.`)) return;
        const response = await call("DELETE", `/api/conversations/${id}`);
        if (response.ok) {
          row.remove();
          say("Conversation deleted.");
        } else {
          say(await explain(response), true);
        }
      } else if (button.classList.contains("rename")) {
        renameRow(row, button);
      }
    });
  }

  // An inline form in place of the title, until saved or cancelled.
  function renameRow(row, button) {
    const link = row.querySelector(".conversation-link");
    const editor = element("form", null, "inline");
    const label = element("label", "New title", "visually-hidden");
    const input = element("input");
    input.type = "text";
    input.maxLength = 200;
    input.value = row.dataset.title;
    input.id = `rename-${row.dataset.id}`;
    label.htmlFor = input.id;
    const save = element("button", "Save");
    save.type = "submit";
    const cancel = element("button", "Cancel", "quiet");
    cancel.type = "button";
    editor.append(label, input, save, cancel);
    link.hidden = true;
    button.hidden = true;
    link.after(editor);
    input.focus();
    const close = () => {
      editor.remove();
      link.hidden = false;
      button.hidden = false;
      button.focus();
    };
    cancel.addEventListener("click", close);
    editor.addEventListener("submit", async (event) => {
      event.preventDefault();
      const response = await call("PATCH", `/api/conversations/${row.dataset.id}`, { title: input.value.trim() });
      if (response.ok) {
        const title = (await response.json()).title || "New conversation";
        link.textContent = title;
        row.dataset.title = title;
        close();
        say("Renamed.");
      } else {
        say(await explain(response), true);
      }
    });
  }
}

// Reads server-sent events from a fetch response: calls `on(event, data)` for each.
async function readEvents(response, on) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) on(name, JSON.parse(data.join("\n")));
    }
  }
}

// A copy button on every code block of the answers below `root`.
function addCopyButtons(root) {
  for (const block of root.querySelectorAll("pre.code")) {
    if (block.previousElementSibling && block.previousElementSibling.classList.contains("copy")) continue;
    const button = element("button", "Copy", "quiet copy");
    button.type = "button";
    const lang = block.dataset.lang;
    button.setAttribute("aria-label", lang ? `Copy the ${lang} code` : "Copy the code");
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(block.textContent);
        button.textContent = "Copied";
      } catch (_) {
        button.textContent = "Select and copy";
      }
      setTimeout(() => (button.textContent = "Copy"), 2000);
    });
    block.before(button);
  }
}

if (page === "conversation") {
  const list = document.getElementById("messages");
  const id = list.dataset.conversation;
  const form = document.getElementById("ask-form");
  const question = document.getElementById("question");
  const askButton = document.getElementById("ask");
  const stopButton = document.getElementById("stop");
  const again = document.getElementById("regenerate");
  let running = null;
  addCopyButtons(list);
  // The newest message and the question box in view, as a chat opens.
  if (list.lastElementChild) form.scrollIntoView({ block: "end" });

  function pendingItem(kind, who) {
    const item = element("li", null, `message ${kind} pending`);
    item.append(element("h2", who, "who"));
    return item;
  }

  function busy(on) {
    askButton.disabled = on;
    again.disabled = on;
    stopButton.hidden = !on;
    if (on) stopButton.focus();
  }

  // Asks (or asks again) and streams the answer into `answer`; then puts the server's own
  // rendering of the messages from `from` on in place of `replaced`.
  async function ask(body, replaced, answer) {
    const text = element("div", null, "text streaming");
    answer.append(text);
    const sources = element("div", null, "pending-sources");
    answer.append(sources);
    running = new AbortController();
    busy(true);
    let done = null;
    let failure = null;
    let stopped = false;
    try {
      const response = await fetch(`/api/conversations/${id}/messages`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify(body),
        signal: running.signal,
      });
      if (!response.ok) {
        failure = await explain(response);
      } else {
        await readEvents(response, (name, data) => {
          if (name === "delta") {
            text.append(data.content);
          } else if (name === "sources" && data.sources.length) {
            sources.textContent = `Drawing on ${data.sources.length} passage(s): ${data.sources.map((s) => s.document_name).join(", ")}`;
          } else if (name === "done") {
            done = data;
          } else if (name === "error") {
            failure = data.error.message;
          }
        });
      }
    } catch (error) {
      // Stopped by the asker (the server keeps what was said), or the connection broke.
      if (error.name === "AbortError") stopped = true;
      else failure = "The connection to STING broke: try again.";
    }
    running = null;
    busy(false);
    if (failure && !done) {
      say(failure, true);
      text.classList.add("failed");
    }
    try {
      const from = replaced.length ? Number(replaced[0].dataset.seq) : Number(list.dataset.next || 0);
      let items = [];
      // A stopped answer is stored a moment after the stop: look again a few times.
      for (let attempt = 0; attempt < (stopped ? 8 : 1); attempt += 1) {
        if (stopped) await new Promise((resolve) => setTimeout(resolve, 250));
        const rendered = await fetchDocument(`/bee/${id}/messages?from=${from}`);
        items = [...rendered.querySelectorAll("body > ol > li")];
        if (!stopped || (replaced.length ? attempt >= 1 : items.length >= 2)) break;
      }
      items = items.map((node) => document.adoptNode(node));
      if (items.length) {
        for (const old of replaced) old.remove();
        for (const pending of list.querySelectorAll(".pending")) pending.remove();
        // Everything from `from` on is what the server now holds.
        for (const old of [...list.children]) if (Number(old.dataset.seq) >= from) old.remove();
        list.append(...items);
        addCopyButtons(list);
        again.hidden = false;
        if (!failure) say(stopped ? "Stopped: the answer so far is kept." : "");
      }
    } catch (_) {
      // The streamed text stays; a reload shows the rendered answer.
    }
    const title = document.getElementById("conversation-title");
    if (title.textContent === "New conversation") {
      const detail = await call("GET", `/api/conversations/${id}`);
      if (detail.ok) {
        const { conversation } = await detail.json();
        if (conversation.title) {
          title.textContent = conversation.title;
          document.title = `${conversation.title} · STING`;
        }
      }
    }
    question.focus();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const content = question.value.trim();
    if (!content || running) return;
    const last = list.lastElementChild;
    list.dataset.next = last ? String(Number(last.dataset.seq) + 1) : "0";
    const asked = pendingItem("question", "You");
    asked.append(element("div", content, "text"));
    const answer = pendingItem("answer", "Bee");
    list.append(asked, answer);
    question.value = "";
    answer.scrollIntoView({ block: "end" });
    ask({ content }, [], answer);
  });

  // Enter sends, Shift+Enter starts a new line (as in every chat).
  question.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  stopButton.addEventListener("click", () => {
    if (running) running.abort();
  });

  again.addEventListener("click", () => {
    if (running) return;
    const questions = list.querySelectorAll("li.question");
    const lastQuestion = questions[questions.length - 1];
    if (!lastQuestion) return;
    // The old answer stays in place (dimmed) until the new one is stored.
    const replaced = [lastQuestion];
    let next = lastQuestion.nextElementSibling;
    while (next) {
      replaced.push(next);
      next.classList.add("superseded");
      next = next.nextElementSibling;
    }
    const answer = pendingItem("answer", "Bee");
    list.append(answer);
    ask({ regenerate: true }, replaced, answer);
  });
}
