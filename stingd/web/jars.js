// The Honey Jar pages: creating a jar; on a jar's page, uploading many files at once (each
// with its own progress bar, then its ingestion status, followed until it settles), removing
// and approving documents, indexing again, renaming, sharing and deleting; and search.

if (page === "jars") {
  const form = document.getElementById("new-jar");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const response = await post("/api/jars", {
        name: form.elements.namedItem("name").value.trim(),
        description: form.elements.namedItem("description").value,
      });
      if (response.ok) {
        window.location.assign(`/jars/${(await response.json()).id}`);
      } else {
        say(await explain(response), true);
      }
    });
  }
}

if (page === "search") {
  const form = document.getElementById("search-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const q = form.elements.namedItem("q").value.trim();
    if (q) window.location.assign(`/search?q=${encodeURIComponent(q)}`);
  });
}

if (page === "document" && window.location.hash.startsWith("#passage-")) {
  const cited = document.getElementById(window.location.hash.slice(1));
  if (cited) cited.focus();
}

if (page === "jar") {
  const root = document.getElementById("jar");
  const jar = root.dataset.jar;
  const maxSize = Number(root.dataset.maxSize);
  const canApprove = "canApprove" in root.dataset;
  const table = document.getElementById("documents");
  const uploads = document.getElementById("uploads");
  const settled = new Set(["ready", "held", "failed"]);
  let watching = null;

  // The words and bar of a status, as the server's page writes them.
  function statusCell(doc) {
    const cell = element("td", null, "state");
    const pill = (text, kind) => element("span", text, kind ? `pill ${kind}` : "pill");
    switch (doc.status) {
      case "queued":
        cell.append(pill("queued"));
        break;
      case "indexing": {
        cell.append(pill("indexing"), " ");
        const bar = element("progress");
        bar.max = 100;
        bar.value = Math.round((doc.progress || 0) * 100);
        bar.setAttribute("aria-label", `Indexing ${doc.name}`);
        cell.append(bar);
        break;
      }
      case "ready":
        cell.append(pill("ready", "ok"));
        break;
      case "held":
        cell.append(pill("held for review", "warn"), " ", element("span", `personal data found: ${(doc.pii || []).join(", ")}`, "muted"));
        break;
      default:
        cell.append(pill("failed", "bad"), " ", element("span", doc.error || "", "muted"));
    }
    return cell;
  }

  function rowFor(doc) {
    const row = element("tr");
    row.dataset.document = doc.id;
    const name = element("td", null, "name");
    if (doc.status === "ready" || (doc.status === "held" && canApprove)) {
      const link = element("a", doc.name);
      link.href = `/jars/${jar}/documents/${doc.id}`;
      name.append(link);
    } else {
      name.textContent = doc.name;
    }
    const size = element("td", doc.size < 1024 ? `${doc.size} B` : doc.size < 1048576 ? `${(doc.size / 1024).toFixed(1)} kB` : `${(doc.size / 1048576).toFixed(1)} MB`);
    const actions = element("td", null, "row-actions");
    if (doc.status === "held" && canApprove) {
      const approve = element("button", "Approve", "quiet approve");
      approve.type = "button";
      actions.append(approve);
    }
    if (uploads) {
      const remove = element("button", "Delete", "quiet danger delete-document");
      remove.type = "button";
      remove.setAttribute("aria-label", `Delete ${doc.name}`);
      actions.append(remove);
    }
    row.append(name, size, statusCell(doc), actions);
    row.dataset.status = doc.status;
    return row;
  }

  // Follows the documents' statuses until every one has settled.
  async function watch() {
    if (watching) return;
    watching = true;
    for (;;) {
      const response = await call("GET", `/api/jars/${jar}/documents`);
      if (!response.ok) break;
      const { documents } = await response.json();
      const body = table.tBodies[0];
      for (const doc of documents) {
        const old = body.querySelector(`tr[data-document="${doc.id}"]`);
        if (old && old.dataset.status === doc.status && doc.status !== "indexing") continue;
        const fresh = rowFor(doc);
        if (old) {
          old.replaceWith(fresh);
        } else {
          body.append(fresh);
        }
      }
      table.hidden = documents.length === 0;
      document.getElementById("no-documents").hidden = documents.length > 0;
      const reindex = document.getElementById("reindex");
      if (reindex) reindex.hidden = documents.length === 0;
      if (documents.every((doc) => settled.has(doc.status))) break;
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
    watching = false;
  }

  if ([...table.querySelectorAll("tr[data-status]")].some((row) => !settled.has(row.dataset.status))) watch();

  // One file: its own line with a progress bar while it is sent, then what the server said.
  function upload(file) {
    const item = element("li", null, "upload");
    const label = element("span", file.name, "name");
    const bar = element("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", `Sending ${file.name}`);
    const state = element("span", "sending", "muted");
    item.append(label, bar, state);
    uploads.append(item);
    if (file.size > maxSize) {
      bar.remove();
      state.textContent = `too large: at most ${Math.floor(maxSize / 1048576)} MB`;
      item.classList.add("error");
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const request = new XMLHttpRequest();
      request.open("POST", `/api/jars/${jar}/documents?wait=false&name=${encodeURIComponent(file.name)}`);
      request.setRequestHeader("content-type", "application/octet-stream");
      request.upload.onprogress = (event) => {
        if (event.lengthComputable) bar.value = Math.round((event.loaded / event.total) * 100);
      };
      request.onload = async () => {
        bar.value = 100;
        if (request.status === 202 || request.status === 201) {
          state.textContent = "sent: indexing follows below";
          item.classList.add("done");
          watch();
        } else {
          const response = new Response(request.responseText, {
            status: request.status,
            headers: { "retry-after": request.getResponseHeader("retry-after") || "" },
          });
          state.textContent = `not taken: ${await explain(response)}`;
          item.classList.add("error");
        }
        resolve();
      };
      request.onerror = () => {
        state.textContent = "not sent: the connection broke";
        item.classList.add("error");
        resolve();
      };
      request.send(file);
    });
  }

  // Files go two at a time: each shows its own progress, and a big batch does not choke the link.
  async function uploadAll(files) {
    const queue = [...files];
    const worker = async () => {
      while (queue.length) await upload(queue.shift());
    };
    await Promise.all([worker(), worker()]);
  }

  const picker = document.getElementById("files");
  const zone = document.getElementById("dropzone");
  if (picker && zone) {
    picker.addEventListener("change", () => {
      uploadAll(picker.files);
      picker.value = "";
    });
    zone.addEventListener("dragover", (event) => {
      event.preventDefault();
      zone.classList.add("over");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("over");
      uploadAll(event.dataTransfer.files);
    });
  }

  table.addEventListener("click", async (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const row = button.closest("tr");
    const doc = row.dataset.document;
    const name = row.querySelector(".name").textContent.trim();
    if (button.classList.contains("delete-document")) {
      if (!window.confirm(`Delete “${name}” from this Honey Jar? Bee will no longer find it.`)) return;
      const response = await call("DELETE", `/api/jars/${jar}/documents/${doc}`);
      if (response.ok) {
        row.remove();
        say(`“${name}” deleted.`);
      } else {
        say(await explain(response), true);
      }
    } else if (button.classList.contains("approve")) {
      const response = await post(`/api/jars/${jar}/documents/${doc}/approve`, {});
      if (response.ok) {
        button.remove();
        say(`“${name}” approved: it is searchable now.`);
        watch();
      } else {
        say(await explain(response), true);
      }
    }
  });

  const reindex = document.getElementById("reindex");
  if (reindex) {
    reindex.addEventListener("click", async () => {
      const response = await post(`/api/jars/${jar}/reindex`, {});
      if (response.ok) {
        say(`Indexing ${(await response.json()).queued} document(s) again.`);
        watch();
      } else {
        say(await explain(response), true);
      }
    });
  }

  const edit = document.getElementById("edit-jar");
  if (edit) {
    edit.addEventListener("submit", async (event) => {
      event.preventDefault();
      const response = await call("PATCH", `/api/jars/${jar}`, {
        name: edit.elements.namedItem("name").value.trim(),
        description: edit.elements.namedItem("description").value,
      });
      if (response.ok) {
        const saved = await response.json();
        document.getElementById("jar-title").textContent = saved.name;
        document.title = `${saved.name} · STING`;
        say("Saved.");
      } else {
        say(await explain(response), true);
      }
    });
  }

  const shares = document.getElementById("shares");
  const sharesForm = document.getElementById("shares-form");
  if (shares && sharesForm) {
    const kind = document.getElementById("share-kind");
    const email = document.getElementById("share-email");
    const role = document.getElementById("share-role");
    const syncKind = () => {
      email.hidden = email.labels[0].hidden = kind.value !== "email";
      role.hidden = role.labels[0].hidden = kind.value !== "role";
    };
    kind.addEventListener("change", syncKind);
    syncKind();

    const permissionWords = {
      read: "can read",
      write: "can add and remove documents",
      manage: "can manage (share, rename, delete)",
    };
    let added = 0;
    document.getElementById("add-share").addEventListener("click", () => {
      const value = kind.value === "email" ? email.value.trim() : kind.value === "role" ? role.value : "";
      if (kind.value === "email" && !value.includes("@")) {
        say("Type the email address of the person to share with.", true);
        email.focus();
        return;
      }
      const who = kind.value === "email" ? value : kind.value === "role" ? `everyone with the role ${value}` : "everyone signed in";
      const row = element("li", null, "row share");
      row.dataset.kind = kind.value;
      row.dataset.value = value;
      const select = element("select", null, "share-permission");
      select.id = `share-new-${(added += 1)}`;
      for (const [level, words] of Object.entries(permissionWords)) {
        const option = element("option", words);
        option.value = level;
        option.selected = level === document.getElementById("share-permission").value;
        select.append(option);
      }
      const label = element("label", `Permission for ${who}`, "visually-hidden");
      label.htmlFor = select.id;
      const remove = element("button", "Remove", "quiet remove-share");
      remove.type = "button";
      remove.setAttribute("aria-label", `Remove ${who}`);
      row.append(element("span", who, "row-main"), label, select, remove);
      shares.append(row);
      email.value = "";
      say(`Added ${who}: save sharing to apply it.`);
    });

    shares.addEventListener("click", (event) => {
      const button = event.target.closest(".remove-share");
      if (button) {
        button.closest("li").remove();
        say("Removed: save sharing to apply it.");
      }
    });

    sharesForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const list = [...shares.querySelectorAll("li.share")].map((row) => {
        const permission = row.querySelector("select").value;
        if (row.dataset.kind === "email") return { email: row.dataset.value, permission };
        if (row.dataset.kind === "role") return { role: row.dataset.value, permission };
        return { everyone: true, permission };
      });
      const response = await call("PUT", `/api/jars/${jar}/shares`, { shares: list });
      say(response.ok ? "Sharing saved." : await explain(response), !response.ok);
    });
  }

  const remove = document.getElementById("delete-jar");
  if (remove) {
    remove.addEventListener("click", async () => {
      const name = document.getElementById("jar-title").textContent;
      if (!window.confirm(`Delete “${name}” with all its documents, for everyone it is shared with? This cannot be undone.`)) return;
      const response = await call("DELETE", `/api/jars/${jar}`);
      if (response.ok) {
        window.location.assign("/jars");
      } else {
        say(await explain(response), true);
      }
    });
  }
}
