// What every page's script shares: the status line, the API's errors in words a person
// understands, and calls to the API. The pages' parts follow in this one module, each acting
// only on the page that names it (`data-page` on <body>). Nothing here turns a string into
// markup: text goes in as text, and server-rendered HTML arrives as a parsed document.

const page = document.body.dataset.page;
const statusLine = document.getElementById("status");

function say(text, isError) {
  if (!statusLine) return;
  statusLine.textContent = text;
  statusLine.classList.toggle("error", Boolean(isError));
}

// Words for people, from the API's stable codes.
async function explain(response) {
  let code = "";
  let message = "";
  try {
    const body = await response.json();
    code = body.error.code;
    message = body.error.message || "";
  } catch (_) {
    // Not JSON: keep the generic words.
  }
  if (response.status === 429) {
    const wait = Number(response.headers.get("retry-after")) || 60;
    return `Too many attempts: try again in ${wait} seconds.`;
  }
  switch (code) {
    case "mail_disabled":
      return "This server sends no mail: ask an admin for an invitation link.";
    case "magic_link_invalid":
      return "This link has been used or has expired: ask for a new one.";
    case "enrolment_link_invalid":
      return "This invitation has been used or has expired: ask an admin for a new one.";
    case "method_disabled":
      return "This way of signing in is switched off here: use another.";
    case "signin_failed":
      return "That email, password or code is not right.";
    case "second_factor_locked":
      return "Too many wrong codes: your second factor is locked for a while.";
    case "invalid_api_key":
      return "Your session has ended: sign in again.";
    case "jar_name_taken":
      return "You already have a Honey Jar with that name: choose another.";
    case "jar_permission_denied":
    case "forbidden":
      return "Your account may not do this.";
    default:
      // The API's own words for what was wrong with the request.
      return message && response.status < 500 ? message : "That did not work. Try again, or ask an admin.";
  }
}

async function call(method, path, body) {
  const init = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return fetch(path, init);
}

function post(path, body) {
  return call("POST", path, body);
}

// An element with text, built node by node.
function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

// A page of this origin, parsed by the browser as a document (never as a string put into this
// page): the nodes the server rendered, ready to be adopted.
function fetchDocument(path) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("GET", path);
    request.responseType = "document";
    request.onload = () => (request.status === 200 && request.response ? resolve(request.response) : reject(new Error(String(request.status))));
    request.onerror = () => reject(new Error("network"));
    request.send();
  });
}

// The unread count beside "Notifications", kept live by the server's stream (the browser's
// EventSource connects again by itself when it drops); a new notification is also said.
const unread = document.getElementById("unread");
function showUnread(n) {
  if (!unread) return;
  document.getElementById("unread-count").textContent = String(n);
  unread.hidden = n === 0;
}
// Only while the tab is shown: a browser gives a site few connections, and a stream in every
// background tab would use them up. Shown again, it opens again and counts afresh.
let events = null;
function listen() {
  if (events || document.hidden) return;
  events = new EventSource("/api/notifications/stream");
  events.addEventListener("unread", (event) => {
    showUnread(JSON.parse(event.data).unread);
    unread.dataset.live = "yes";
  });
  events.addEventListener("notification", (event) => {
    const told = JSON.parse(event.data);
    showUnread(told.unread);
    say(`New: ${told.notification.title}`);
    document.dispatchEvent(new CustomEvent("sting-notification", { detail: told.notification }));
  });
}
if (unread && window.EventSource) {
  listen();
  document.addEventListener("visibilitychange", () => {
    if (document.hidden && events) {
      events.close();
      events = null;
    } else {
      listen();
    }
  });
}

const signout = document.getElementById("signout-form");
if (signout) {
  signout.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await post("/api/auth/signout", {});
    if (response.ok) {
      window.location.replace("/signin");
    } else {
      // Still signed in: say so rather than pretend.
      say(`You are still signed in: ${await explain(response)}`, true);
    }
  });
}
