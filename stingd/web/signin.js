// The sign-in pages' behaviour: asking for a link by mail, and opening one. The link's secret
// travels in the URL's fragment, which the browser never sends to a server or logs; this page
// reads it, posts it, and forgets it from the address bar.

const status = document.getElementById("status");

function say(text, isError) {
  if (!status) return;
  status.textContent = text;
  status.classList.toggle("error", Boolean(isError));
}

// Words for people, from the API's stable codes.
async function explain(response) {
  let code = "";
  try {
    code = (await response.json()).error.code;
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
    case "method_not_offered":
      return "Signing in by link is switched off here.";
    default:
      return "That did not work. Try again, or ask an admin.";
  }
}

async function post(path, body) {
  return fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
}

const linkForm = document.getElementById("magic-link-form");
if (linkForm) {
  linkForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const email = linkForm.elements.namedItem("email").value.trim();
    say("Sending…");
    const response = await post("/api/auth/magic-link", { email });
    if (response.status === 202) {
      say(`Check your mail: if ${email} has an account, a sign-in link is on its way.`);
    } else {
      say(await explain(response), true);
    }
  });
}

if (document.body.dataset.page === "magic") {
  const token = window.location.hash.slice(1);
  history.replaceState(null, "", window.location.pathname);
  if (!token) {
    say("This link is incomplete: open it from your mail again.", true);
  } else {
    post("/api/auth/magic-link/verify", { token }).then(async (response) => {
      if (response.ok) {
        window.location.replace("/");
      } else {
        say(await explain(response), true);
      }
    });
  }
}

const signout = document.getElementById("signout-form");
if (signout) {
  signout.addEventListener("submit", async (event) => {
    event.preventDefault();
    await post("/api/auth/signout", {});
    window.location.replace("/signin");
  });
}
