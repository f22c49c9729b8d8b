// The account page: passkeys (add, rename, remove), the authenticator app (set up with the
// server's QR code, confirm), recovery codes, sessions, API tokens (each secret shown once,
// with a copy button), and confirming a session with a second factor where a change needs it.

// Setting up an authenticator app (the account page, and an invitation's page): the key and
// the QR code the server draws, then a first code; the recovery codes are shown once. Returns
// what shows a list of recovery codes.
function wireAuthenticatorApp(onDone) {
  const showCodes = (codes) => {
    const list = document.getElementById("recovery-list");
    list.replaceChildren(...codes.map((code) => element("li", code)));
    document.getElementById("recovery-codes").hidden = false;
  };
  const totpSetup = document.getElementById("totp-setup");
  if (!totpSetup) return showCodes;
  totpSetup.addEventListener("click", async () => {
    const response = await post("/api/auth/totp/setup", {});
    if (!response.ok) {
      say(await explain(response), true);
      return;
    }
    const { secret } = await response.json();
    document.getElementById("totp-secret").textContent = secret;
    try {
      const drawn = await fetchDocument("/account/totp-qr");
      const figure = document.adoptNode(drawn.getElementById("qr"));
      document.getElementById("totp-qr").replaceChildren(figure);
    } catch (_) {
      say("The QR code could not be drawn: type the key into your app.", true);
    }
    document.getElementById("totp-enrol").hidden = false;
    document.getElementById("totp-code").focus();
  });
  document.getElementById("totp-confirm").addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await post("/api/auth/totp/confirm", { code: document.getElementById("totp-code").value.trim() });
    if (!response.ok) {
      say(await explain(response), true);
      return;
    }
    const { recovery_codes: codes } = await response.json();
    document.getElementById("totp-enrol").hidden = true;
    showCodes(codes);
    onDone();
  });
  return showCodes;
}

if (page === "account") {
  const reload = () => window.location.reload();

  for (const button of document.querySelectorAll(".copy-text")) {
    button.addEventListener("click", async () => {
      const text = document.getElementById(button.dataset.target).innerText;
      try {
        await navigator.clipboard.writeText(text);
        say("Copied.");
      } catch (_) {
        say("Select the text and copy it.", true);
      }
    });
  }

  const stepUp = document.getElementById("step-up-form");
  if (stepUp) {
    stepUp.addEventListener("submit", async (event) => {
      event.preventDefault();
      const response = await post("/api/auth/step-up", { code: document.getElementById("step-up-code").value.trim() });
      if (response.ok) reload();
      else say(await explain(response), true);
    });
  }
  const stepUpPasskey = document.getElementById("step-up-passkey");
  if (stepUpPasskey) {
    const email = document.getElementById("who").firstChild.textContent.trim();
    stepUpPasskey.addEventListener("click", () => signInWithPasskey(email, "/account"));
  }

  const addPasskey = document.getElementById("add-passkey");
  if (addPasskey) {
    addPasskey.addEventListener("click", async () => {
      say("Waiting for your device…");
      if (await registerPasskey()) reload();
    });
  }

  const passkeys = document.getElementById("passkeys");
  if (passkeys) {
    passkeys.addEventListener("click", async (event) => {
      const button = event.target.closest("button");
      if (!button) return;
      const row = button.closest("li");
      if (button.classList.contains("remove-passkey")) {
        if (!window.confirm(`Remove the passkey “${row.dataset.name}”? It will no longer sign you in.`)) return;
        const response = await call("DELETE", `/api/account/passkeys/${row.dataset.id}`);
        if (response.ok) reload();
        else say(await explain(response), true);
      } else if (button.classList.contains("rename-passkey")) {
        const name = window.prompt("A name for this passkey (say, which device holds it):", row.dataset.name);
        if (!name || !name.trim()) return;
        const response = await call("PATCH", `/api/account/passkeys/${row.dataset.id}`, { name: name.trim() });
        if (response.ok) {
          row.dataset.name = name.trim();
          row.querySelector(".passkey-name").textContent = name.trim();
          say("Renamed.");
        } else {
          say(await explain(response), true);
        }
      }
    });
  }

  const showCodes = wireAuthenticatorApp(() => say("Your authenticator app is set up. Keep the recovery codes below."));

  const newCodes = document.getElementById("new-recovery-codes");
  if (newCodes) {
    newCodes.addEventListener("click", async () => {
      if (!window.confirm("Make new recovery codes? The old ones stop working.")) return;
      const response = await post("/api/account/recovery-codes", {});
      if (response.ok) showCodes((await response.json()).recovery_codes);
      else say(await explain(response), true);
    });
  }

  document.getElementById("sessions").addEventListener("click", async (event) => {
    const button = event.target.closest(".revoke-session");
    if (!button) return;
    const row = button.closest("li");
    const response = await call("DELETE", `/api/account/sessions/${row.dataset.id}`);
    if (response.ok) {
      row.remove();
      say("That session is signed out.");
    } else {
      say(await explain(response), true);
    }
  });

  document.getElementById("tokens").addEventListener("click", async (event) => {
    const button = event.target.closest(".revoke-token");
    if (!button) return;
    const row = button.closest("li");
    if (!window.confirm("Revoke this token? Programs using it stop working at once.")) return;
    const response = await call("DELETE", `/api/tokens/${row.dataset.id}`);
    if (response.ok) {
      row.remove();
      say("Token revoked.");
    } else {
      say(await explain(response), true);
    }
  });

  const newToken = document.getElementById("new-token");
  if (newToken) {
    newToken.addEventListener("submit", async (event) => {
      event.preventDefault();
      const scopes = [...newToken.querySelectorAll('input[name="scope"]:checked')].map((box) => box.value);
      const response = await post("/api/tokens", {
        name: document.getElementById("token-name").value.trim(),
        scopes,
        expires_in_days: Number(document.getElementById("token-days").value),
      });
      if (!response.ok) {
        say(await explain(response), true);
        return;
      }
      const made = await response.json();
      document.getElementById("token-secret").textContent = made.token;
      document.getElementById("token-made").hidden = false;
      say("Token created: copy it now, it is not shown again.");
    });
  }
}
