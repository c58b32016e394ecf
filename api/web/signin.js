// The sign-in forms of a deployment with a Cognito user pool: e-mail and password (SRP: the
// password never leaves the page), then whatever Cognito asks: a new password for an invited
// user (NEW_PASSWORD_REQUIRED), an authenticator app to enrol (MFA_SETUP: its secret as text
// and as an otpauth:// address) or its current code (SOFTWARE_TOKEN_MFA); and a forgotten
// password reset with the code Cognito e-mails (ForgotPassword, ConfirmForgotPassword).
// "Use an API key instead" shows the key form (programs' keys, and `#key=` links, still work).

import { CognitoError, cognito, cognitoConfig, keepSession } from "./auth.js";
import { h } from "./dom.js";
import { passwordVerifier, srpStart } from "./srp.js";

const ISSUER = "Stratigos";

/** Cognito's answer in the words of the form (its own message when it is already plain). */
function problemText(err) {
  if (err instanceof CognitoError) {
    if (err.type === "NotAuthorizedException" && /session/i.test(err.message)) {
      return "This sign-in took too long (Cognito allows a few minutes per step): please start again.";
    }
    if (err.type === "CodeMismatchException") return "That code is not right: type the current one (it changes every 30 seconds).";
    if (err.type === "ExpiredCodeException") return "That code has expired: ask for a new one.";
    return err.message;
  }
  if (err instanceof TypeError) return `Cognito cannot be reached: ${err.message}`;
  return String((err && err.message) || err);
}

/** A form card: a title, a line for problems, fields, a submit button and links below. */
function card(id, title, message, fields, submitText, links = []) {
  const problem = h("p", { id: `${id}-message`, className: "error-text", role: "alert" }, message || "");
  const submit = h("button", { type: "submit" }, submitText);
  const form = h(
    "form",
    { id, className: "card narrow", "aria-labelledby": `${id}-title` },
    h("h1", { id: `${id}-title` }, title),
    problem,
    fields,
    submit,
    links.length ? h("p", { className: "hint signin-links" }, links) : null,
  );
  return { form, problem, submit };
}

function field(id, label, attrs = {}) {
  const input = h("input", { id, name: id, required: true, spellcheck: "false", ...attrs });
  return { input, nodes: [h("label", { for: id }, label), input] };
}

function codeField(id, label) {
  return field(id, label, {
    inputmode: "numeric",
    autocomplete: "one-time-code",
    pattern: "[0-9]{6}",
    maxlength: 6,
    title: "the 6 digits your authenticator app shows",
  });
}

function linkButton(id, text, onclick) {
  return h("button", { type: "button", id, className: "link", onclick }, text);
}

/** The secret grouped by four characters, easier to type into an authenticator app. */
function grouped(secret) {
  return secret.replace(/(.{4})/g, "$1 ").trim();
}

/** The otpauth:// address of a TOTP secret for `account` (authenticator apps read it). */
export function otpauthUri(secret, account) {
  const label = `${encodeURIComponent(ISSUER)}:${encodeURIComponent(account)}`;
  return `otpauth://totp/${label}?secret=${encodeURIComponent(secret)}&issuer=${encodeURIComponent(ISSUER)}&algorithm=SHA1&digits=6&period=30`;
}

/** Render the Cognito sign-in in `main`. `onSignedIn()` is called once tokens are kept;
 * `onUseKey()` shows the API key form; `message` is said first (e.g. "Signed out."). */
export function renderCognitoSignIn(main, { message = null, onSignedIn, onUseKey }) {
  const pool = cognitoConfig();
  let username = "";
  let userId = "";

  function show(node, focus) {
    main.replaceChildren(node);
    if (focus) focus.focus();
  }

  /** Run `step` with the form's button disabled; a problem is said in the form. */
  function handle(view, step) {
    view.form.addEventListener("submit", async (event) => {
      event.preventDefault();
      view.submit.disabled = true;
      view.problem.textContent = "";
      try {
        await step();
      } catch (err) {
        view.problem.textContent = problemText(err);
        if (err instanceof CognitoError && err.type === "NotAuthorizedException" && /session/i.test(err.message)) {
          signIn(problemText(err));
        }
      } finally {
        view.submit.disabled = false;
      }
    });
  }

  /** Go on with Cognito's answer: the next challenge's form, or signed in. */
  function next(answer) {
    if (answer.AuthenticationResult) {
      keepSession(answer.AuthenticationResult, username);
      onSignedIn();
      return;
    }
    const params = answer.ChallengeParameters || {};
    if (params.USERNAME) userId = params.USERNAME;
    const session = answer.Session;
    if (answer.ChallengeName === "NEW_PASSWORD_REQUIRED") newPassword(session);
    else if (answer.ChallengeName === "MFA_SETUP") enrol(session);
    else if (answer.ChallengeName === "SOFTWARE_TOKEN_MFA") mfaCode(session);
    else if (answer.ChallengeName === "SELECT_MFA_TYPE") {
      respond("SELECT_MFA_TYPE", session, { ANSWER: "SOFTWARE_TOKEN_MFA" }).then(next, (err) => signIn(problemText(err)));
    } else {
      signIn(`Cognito asks for ${answer.ChallengeName}, which this page cannot answer: ask your administrator to turn on authenticator-app (TOTP) sign-in for you.`);
    }
  }

  function respond(name, session, responses) {
    return cognito("RespondToAuthChallenge", {
      ChallengeName: name,
      ClientId: pool.client_id,
      Session: session,
      ChallengeResponses: { USERNAME: userId, ...responses },
    });
  }

  function signIn(text = null) {
    const email = field("signin-email", "E-mail", { type: "email", autocomplete: "username", value: username });
    const password = field("signin-password", "Password", { type: "password", autocomplete: "current-password" });
    const view = card("signin", "Sign in", text, [...email.nodes, ...password.nodes], "Sign in", [
      linkButton("forgot-password", "Forgot your password?", () => forgot(email.input.value.trim())),
      " · ",
      linkButton("use-api-key", "Use an API key instead", onUseKey),
    ]);
    handle(view, async () => {
      username = email.input.value.trim();
      const start = srpStart();
      let challenge;
      try {
        challenge = await cognito("InitiateAuth", {
          AuthFlow: "USER_SRP_AUTH",
          ClientId: pool.client_id,
          AuthParameters: { USERNAME: username, SRP_A: start.srpA },
        });
      } catch (err) {
        if (err instanceof CognitoError && err.type === "PasswordResetRequiredException") {
          forgot(username, "An administrator reset your password: choose a new one with the code we e-mail you.");
          return;
        }
        throw err;
      }
      if (challenge.ChallengeName !== "PASSWORD_VERIFIER") {
        next(challenge);
        return;
      }
      userId = challenge.ChallengeParameters.USER_ID_FOR_SRP;
      const responses = await passwordVerifier({
        start,
        params: challenge.ChallengeParameters,
        poolId: pool.user_pool_id,
        password: password.input.value,
      });
      next(
        await cognito("RespondToAuthChallenge", {
          ChallengeName: "PASSWORD_VERIFIER",
          ClientId: pool.client_id,
          Session: challenge.Session,
          ChallengeResponses: responses,
        }),
      );
    });
    show(view.form, username ? password.input : email.input);
  }

  function newPassword(session) {
    const first = field("new-password", "New password", { type: "password", autocomplete: "new-password" });
    const again = field("new-password-again", "The new password again", { type: "password", autocomplete: "new-password" });
    const view = card(
      "choose-password",
      "Choose your password",
      "Welcome: choose the password you will sign in with (at least 12 characters, with upper and lower case letters, a digit and a symbol).",
      [...first.nodes, ...again.nodes],
      "Set password",
    );
    handle(view, async () => {
      if (first.input.value !== again.input.value) throw new Error("The two passwords differ.");
      next(await respond("NEW_PASSWORD_REQUIRED", session, { NEW_PASSWORD: first.input.value }));
    });
    show(view.form, first.input);
  }

  async function enrol(session) {
    let associated;
    try {
      associated = await cognito("AssociateSoftwareToken", { Session: session });
    } catch (err) {
      signIn(problemText(err));
      return;
    }
    const secret = associated.SecretCode;
    const uri = otpauthUri(secret, username);
    const code = codeField("mfa-setup-code", "The 6-digit code your app shows now");
    const view = card(
      "mfa-setup",
      "Set up your authenticator app",
      null,
      [
        h(
          "p",
          {},
          "Signing in also needs a code from an authenticator app (Google Authenticator, Microsoft Authenticator, 1Password, ...). Add an account to it with this key, time-based:",
        ),
        h("p", { id: "mfa-secret", className: "secret" }, grouped(secret)),
        h("p", { className: "hint" }, "Or open this address on the device with the app: ", h("a", { id: "mfa-uri", href: uri }, uri)),
        ...code.nodes,
      ],
      "Verify and sign in",
    );
    let verified = session;
    handle(view, async () => {
      const answer = await cognito("VerifySoftwareToken", {
        Session: verified,
        UserCode: code.input.value.trim(),
        FriendlyDeviceName: "Stratigos web",
      });
      verified = answer.Session || verified;
      if (answer.Status !== "SUCCESS") throw new Error("Cognito did not accept that code: try the next one.");
      next(await respond("MFA_SETUP", verified, {}));
    });
    show(view.form, code.input);
  }

  function mfaCode(session) {
    const code = codeField("mfa-code", "Code from your authenticator app");
    const view = card("mfa", "Two-step verification", null, code.nodes, "Verify");
    handle(view, async () => {
      next(await respond("SOFTWARE_TOKEN_MFA", session, { SOFTWARE_TOKEN_MFA_CODE: code.input.value.trim() }));
    });
    show(view.form, code.input);
  }

  function forgot(known, text = "We will e-mail you a code to choose a new password with.") {
    const email = field("reset-email", "E-mail", { type: "email", autocomplete: "username", value: known || username });
    const view = card(
      "forgot",
      "Reset your password",
      text,
      email.nodes,
      "Send the code",
      [linkButton("back-to-signin", "Back to sign in", () => signIn())],
    );
    handle(view, async () => {
      username = email.input.value.trim();
      const answer = await cognito("ForgotPassword", { ClientId: pool.client_id, Username: username });
      const sent = answer.CodeDeliveryDetails && answer.CodeDeliveryDetails.Destination;
      reset(sent ? `A code was sent to ${sent}.` : "If this address has an account, a code was sent to it.");
    });
    show(view.form, email.input);
  }

  function reset(text) {
    const code = field("reset-code", "The code from the e-mail", { autocomplete: "one-time-code" });
    const first = field("reset-password", "New password", { type: "password", autocomplete: "new-password" });
    const again = field("reset-password-again", "The new password again", { type: "password", autocomplete: "new-password" });
    const view = card("reset", "Choose a new password", text, [...code.nodes, ...first.nodes, ...again.nodes], "Change password", [
      linkButton("back-to-signin", "Back to sign in", () => signIn()),
    ]);
    handle(view, async () => {
      if (first.input.value !== again.input.value) throw new Error("The two passwords differ.");
      await cognito("ConfirmForgotPassword", {
        ClientId: pool.client_id,
        Username: username,
        ConfirmationCode: code.input.value.trim(),
        Password: first.input.value,
      });
      signIn("Your password is changed: sign in with it.");
    });
    show(view.form, code.input);
  }

  signIn(message);
}
