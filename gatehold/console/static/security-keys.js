// Security keys (FIDO2/WebAuthn) in the gatehold console: registration on
// /console/credentials/security-keys and the MFA step of sign-in (/signin/mfa).
// Served as a static file: the console's CSP allows no inline script.
//
// Each form carries data-options-url. On submit: ask the server for options (a
// JSON POST with the CSRF token in the X-CSRF-Token header; the server keeps the
// challenge, bound to the session), let the browser talk to the key, then put the
// key's answer (JSON, byte fields base64url) into the form's hidden "credential"
// field and submit the form as usual: the server answers with a page, as for a code.
"use strict";

(function () {
  function toBase64url(buffer) {
    const bytes = new Uint8Array(buffer);
    let text = "";
    for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function fromBase64url(value) {
    const base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "===".slice((base64.length + 3) % 4);
    const text = atob(padded);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes.buffer;
  }

  function withBuffers(list) {
    return (list || []).map(function (c) {
      return Object.assign({}, c, { id: fromBase64url(c.id) });
    });
  }

  function creationOptions(o) {
    return Object.assign({}, o, {
      challenge: fromBase64url(o.challenge),
      user: Object.assign({}, o.user, { id: fromBase64url(o.user.id) }),
      excludeCredentials: withBuffers(o.excludeCredentials),
    });
  }

  function requestOptions(o) {
    return Object.assign({}, o, {
      challenge: fromBase64url(o.challenge),
      allowCredentials: withBuffers(o.allowCredentials),
    });
  }

  function registrationJSON(cred) {
    const r = cred.response;
    return {
      id: cred.id,
      rawId: toBase64url(cred.rawId),
      type: cred.type,
      response: {
        clientDataJSON: toBase64url(r.clientDataJSON),
        attestationObject: toBase64url(r.attestationObject),
        transports: typeof r.getTransports === "function" ? r.getTransports() : [],
      },
      clientExtensionResults: cred.getClientExtensionResults(),
    };
  }

  function assertionJSON(cred) {
    const r = cred.response;
    return {
      id: cred.id,
      rawId: toBase64url(cred.rawId),
      type: cred.type,
      response: {
        clientDataJSON: toBase64url(r.clientDataJSON),
        authenticatorData: toBase64url(r.authenticatorData),
        signature: toBase64url(r.signature),
        userHandle: r.userHandle ? toBase64url(r.userHandle) : null,
      },
      clientExtensionResults: cred.getClientExtensionResults(),
    };
  }

  async function fetchOptions(form, body) {
    const response = await fetch(form.dataset.optionsUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRF-Token": form.elements.csrf_token.value,
      },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(function () { return {}; });
    if (!response.ok) throw new Error(data.error || "The request was refused. Reload the page and try again.");
    return data;
  }

  function wire(form, ceremony) {
    const status = form.querySelector("#security-key-status");
    const button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      if (!window.PublicKeyCredential) {
        status.textContent = "This browser does not support security keys.";
        return;
      }
      button.disabled = true;
      status.textContent = "Touch your security key.";
      try {
        form.elements.credential.value = JSON.stringify(await ceremony(form));
      } catch (err) {
        status.textContent = err && err.name === "NotAllowedError"
          ? "The security key did not answer, or the request was cancelled. Try again."
          : (err && err.message) || "The security key could not be used. Try again.";
        button.disabled = false;
        return;
      }
      status.textContent = "Checking…";
      form.submit();  // a plain POST: the server answers with the next page
    });
  }

  const register = document.getElementById("security-key-register");
  if (register) {
    wire(register, async function (form) {
      const options = await fetchOptions(form, { name: form.elements.key_name.value });
      const cred = await navigator.credentials.create({ publicKey: creationOptions(options) });
      return registrationJSON(cred);
    });
  }

  const signin = document.getElementById("security-key-signin");
  if (signin) {
    wire(signin, async function (form) {
      const options = await fetchOptions(form, {});
      const cred = await navigator.credentials.get({ publicKey: requestOptions(options) });
      return assertionJSON(cred);
    });
  }
})();
