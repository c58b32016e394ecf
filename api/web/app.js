// The Stratigos web UI: a hash router over a few views, and the API key sign-in.
//
// Routes: #/start (the first page: what Stratigos does, where to start), #/optimize (the form), #/jobs, #/jobs/<id> (progress and results), #/chat,
// #/chat/<thread id>, #/portfolios, #/documents, #/documents/<id>, #/ideas, #/ideas/<id>, #/deployments, #/deployments/<id>, #/accounts, #/accounts/<account>, #/profile, #/deployments/new/<job id>. `stratigos serve` prints http://HOST:PORT/#key=<key>: the key
// is moved from the address bar into sessionStorage on load.

import { renderAccounts } from "./accounts.js";
import { api, errorText, getKey, setKey, setUnauthenticatedHandler, takeKeyFromFragment } from "./api.js";
import { cognitoConfig, idToken, loadSignInConfig, restoreSession, setSessionExpiredHandler, signOutEverywhere } from "./auth.js";
import { renderChat } from "./chat.js";
import { renderDeployments } from "./deployments.js";
import { renderDocuments } from "./documents.js";
import { clear, h, showAlert } from "./dom.js";
import { loadVocabulary } from "./format.js";
import { renderHome } from "./home.js";
import { renderIdeas } from "./ideas.js";
import { renderJob } from "./job.js";
import { renderJobs } from "./jobs.js";
import { renderOptimize } from "./optimize.js";
import { renderPortfolios } from "./portfolios.js";
import { renderProfile } from "./profile.js";
import { renderCognitoSignIn } from "./signin.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const signOut = document.getElementById("sign-out");
const menu = document.getElementById("menu-toggle");
let cleanup = null;
let signInMessage = null;
let useApiKey = false; // on a deployment with Cognito, the user chose to sign in with a key

const VIEWS = {
  start: renderHome,
  optimize: renderOptimize,
  jobs: (el, [id]) => (id ? renderJob(el, id) : renderJobs(el)),
  chat: (el, [id]) => renderChat(el, id || null),
  portfolios: renderPortfolios,
  documents: renderDocuments,
  ideas: renderIdeas,
  deployments: renderDeployments,
  accounts: renderAccounts,
  profile: renderProfile,
};

function parseRoute() {
  const path = window.location.hash.replace(/^#\/?/, "");
  const [name, ...rest] = path.split("/").map(decodeURIComponent);
  return { name: VIEWS[name] ? name : "start", params: rest.filter(Boolean) };
}

function stop() {
  if (cleanup) {
    try {
      cleanup();
    } catch (err) {
      console.error(err);
    }
  }
  cleanup = null;
}

function route() {
  stop();
  clear(main);
  if (!getKey()) {
    renderSignIn();
    return;
  }
  showAlert(null);
  nav.hidden = false;
  signOut.hidden = false;
  menu.hidden = false;
  setMenu(false);
  const { name, params } = parseRoute();
  for (const link of nav.querySelectorAll("a")) {
    if (link.dataset.route === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  try {
    cleanup = VIEWS[name](main, params) || null;
  } catch (err) {
    showAlert(errorText(err));
  }
}

/** Open or close the navigation on a narrow screen (on a wide one it is always shown). */
function setMenu(open) {
  menu.setAttribute("aria-expanded", String(open));
  nav.classList.toggle("open", open);
}

function renderSignIn() {
  nav.hidden = true;
  signOut.hidden = true;
  menu.hidden = true;
  if (cognitoConfig() && !useApiKey) {
    renderCognitoSignIn(main, {
      message: signInMessage,
      onSignedIn: () => {
        signInMessage = null;
        route();
      },
      onUseKey: () => {
        useApiKey = true;
        clear(main);
        renderSignIn();
      },
    });
    return;
  }
  const input = h("input", {
    id: "api-key",
    name: "api-key",
    type: "password",
    autocomplete: "off",
    required: true,
    spellcheck: "false",
  });
  const message = h("p", { id: "signin-message", className: "error-text", role: "alert" }, signInMessage || "");
  const form = h(
    "form",
    { id: "signin", className: "card narrow", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in"),
    message,
    h("label", { for: "api-key" }, "API key (or Cognito ID token)"),
    input,
    h("button", { type: "submit" }, "Sign in"),
    h(
      "p",
      { className: "hint" },
      "`stratigos serve` prints a link that signs you in; or create a key with `stratigos keys create`.",
    ),
    cognitoConfig()
      ? h(
          "p",
          { className: "hint" },
          h(
            "button",
            {
              type: "button",
              id: "use-password",
              className: "link",
              onclick: () => {
                useApiKey = false;
                clear(main);
                renderSignIn();
              },
            },
            "Sign in with your e-mail and password",
          ),
        )
      : null,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    setKey(key);
    try {
      await api("/v1/optimizations?limit=1");
      signInMessage = null;
      route();
    } catch (err) {
      if (getKey()) {
        // not an authentication problem: signed in, but show what went wrong
        signInMessage = null;
        route();
        showAlert(errorText(err));
      }
    }
  });
  main.append(form);
  input.focus();
}

function signInAgain(message) {
  signInMessage = `Please sign in again: ${message}`;
  stop();
  clear(main);
  renderSignIn();
}
setUnauthenticatedHandler(signInAgain);
setSessionExpiredHandler(signInAgain);

signOut.addEventListener("click", async () => {
  // a Cognito session is ended everywhere (its refresh tokens revoked), a key only forgotten
  const problem = idToken() ? await signOutEverywhere() : null;
  setKey(null);
  signInMessage = problem ? `Signed out here; Cognito could not be told (${problem}).` : "Signed out.";
  route();
});

menu.addEventListener("click", () => setMenu(menu.getAttribute("aria-expanded") !== "true"));
document.getElementById("alert-close").addEventListener("click", () => showAlert(null));
document.getElementById("skip-link").addEventListener("click", () => main.focus());

takeKeyFromFragment();
window.addEventListener("hashchange", () => {
  if (takeKeyFromFragment()) signInMessage = null;
  route();
});
// the words of parameters, metrics and limits first (public, cached): every page writes them;
// and how this deployment signs in (a tab's Cognito session resumes from its refresh token)
const publicJson = (path) => api(path, { signInOn401: false });
const signInReady = loadSignInConfig(publicJson)
  .then(restoreSession)
  .catch((err) => console.warn(`the sign-in settings did not load: ${err && err.message}`));
Promise.all([loadVocabulary(publicJson), signInReady]).finally(route);
