// The sign-in pages: asking for a link by mail and opening one, a password with a second
// factor, opening an invitation and registering a passkey there, signing in with a passkey. A
// link's secret travels in the URL's fragment, which the browser never sends to a server or
// logs; these pages read it, post it, and forget it from the address bar.

// WebAuthn's binary fields travel as base64url in the API's JSON.
function fromBase64url(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

function toBase64url(buffer) {
  let binary = "";
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// Registers a passkey for the signed-in session; true when it is kept (the session is then
// at the second level).
async function registerPasskey() {
  const start = await post("/api/auth/passkey/register/start", {});
  if (!start.ok) {
    say(await explain(start), true);
    return false;
  }
  const { ceremony, options } = await start.json();
  const publicKey = options.publicKey;
  publicKey.challenge = fromBase64url(publicKey.challenge);
  publicKey.user.id = fromBase64url(publicKey.user.id);
  for (const excluded of publicKey.excludeCredentials || []) excluded.id = fromBase64url(excluded.id);
  let created;
  try {
    created = await navigator.credentials.create({ publicKey });
  } catch (_) {
    say("The passkey was not created: try again, or use another device.", true);
    return false;
  }
  const credential = {
    id: created.id,
    rawId: toBase64url(created.rawId),
    type: created.type,
    response: {
      attestationObject: toBase64url(created.response.attestationObject),
      clientDataJSON: toBase64url(created.response.clientDataJSON),
    },
    extensions: {},
  };
  const finish = await post("/api/auth/passkey/register/finish", { ceremony, name: "passkey", credential });
  if (!finish.ok) {
    say(await explain(finish), true);
    return false;
  }
  return true;
}

async function signInWithPasskey(email, next = "/") {
  const start = await post("/api/auth/passkey/start", { email });
  if (!start.ok) {
    say(await explain(start), true);
    return;
  }
  const { ceremony, options } = await start.json();
  const publicKey = options.publicKey;
  publicKey.challenge = fromBase64url(publicKey.challenge);
  for (const allowed of publicKey.allowCredentials || []) allowed.id = fromBase64url(allowed.id);
  let assertion;
  try {
    assertion = await navigator.credentials.get({ publicKey });
  } catch (_) {
    say("No passkey of this device signed in: try another device, or ask for a link.", true);
    return;
  }
  const credential = {
    id: assertion.id,
    rawId: toBase64url(assertion.rawId),
    type: assertion.type,
    response: {
      authenticatorData: toBase64url(assertion.response.authenticatorData),
      clientDataJSON: toBase64url(assertion.response.clientDataJSON),
      signature: toBase64url(assertion.response.signature),
      userHandle: assertion.response.userHandle ? toBase64url(assertion.response.userHandle) : null,
    },
    extensions: {},
  };
  const finish = await post("/api/auth/passkey/finish", { ceremony, credential });
  if (finish.ok) {
    window.location.replace(next);
  } else {
    say(await explain(finish), true);
  }
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

const passwordForm = document.getElementById("password-form");
if (passwordForm) {
  passwordForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const field = (name) => passwordForm.elements.namedItem(name).value;
    say("Signing in…");
    const response = await post("/api/auth/password", {
      email: field("email").trim(),
      password: field("password"),
      code: field("code").trim(),
    });
    if (response.ok) {
      window.location.replace("/");
    } else {
      say(await explain(response), true);
    }
  });
}

const passkeyButton = document.getElementById("passkey-signin");
if (passkeyButton && linkForm) {
  passkeyButton.addEventListener("click", () => {
    const email = linkForm.elements.namedItem("email").value.trim();
    if (!email) {
      say("Type your email address first.", true);
      return;
    }
    say("Waiting for your passkey…");
    signInWithPasskey(email);
  });
}

// A link's secret, from the fragment. It leaves the address bar only once it has been used,
// so that a refusal (too many attempts, the server starting) can be retried from the page.
function linkSecret() {
  return window.location.hash.slice(1);
}

function forgetLink() {
  history.replaceState(null, "", window.location.pathname);
}

// Opening a link takes a click: a mail scanner that runs the page uses nothing up, and nobody
// is signed in to someone else's account by opening a link they were sent.
function offer(buttonId, missing, use) {
  const button = document.getElementById(buttonId);
  if (!linkSecret()) {
    say(missing, true);
    button.hidden = true;
    return;
  }
  button.addEventListener("click", async () => {
    button.disabled = true;
    say("Opening your link…");
    try {
      await use(linkSecret());
    } catch (_) {
      say("The server could not be reached: try again.", true);
    }
    button.disabled = false;
  });
}

// An enrolment link: a first-level session for registering a factor, once.
if (page === "enrol") {
  const factors = document.getElementById("factors");
  offer("open-invitation", "This link is incomplete: open it from your invitation again.", async (token) => {
    const response = await post("/api/auth/enrol", { token });
    if (!response.ok) {
      say(await explain(response), true);
      return;
    }
    forgetLink();
    document.getElementById("open-invitation").hidden = true;
    say("Your invitation is open: now register a passkey, or set up an authenticator app.");
    factors.hidden = false;
    document.getElementById("register-passkey").focus();
  });
  document.getElementById("register-passkey").addEventListener("click", async () => {
    say("Waiting for your device…");
    if (await registerPasskey()) window.location.replace("/");
  });
  wireAuthenticatorApp(() => {
    say("Your authenticator app is set up: keep the recovery codes, then continue.");
    document.getElementById("register-passkey").hidden = true;
    document.getElementById("totp-setup").hidden = true;
    document.getElementById("enrolled").focus();
  });
}

if (page === "magic") {
  offer("use-link", "This link is incomplete: open it from your mail again.", async (token) => {
    const response = await post("/api/auth/magic-link/verify", { token });
    if (response.ok) {
      forgetLink();
      window.location.replace("/");
    } else {
      say(await explain(response), true);
    }
  });
}

