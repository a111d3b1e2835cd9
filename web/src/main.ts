// Entry point: restore the signed-in session, then render the router into #app.
import { h, render } from "preact";
// One stylesheet in a fixed order: base, then cards, then the viewer pages that refine both.
import "./styles.css";
import "./components/cards.css";
import "./pages/viewer/viewer.css";
import { Router } from "./router";
import { interceptLinks, restoreSession } from "./state";

async function start(): Promise<void> {
  const root = document.getElementById("app");
  if (!root) return;
  interceptLinks(root);
  try {
    await restoreSession();
  } catch {
    // A server hiccup at start still shows the app; pages report their own errors.
  }
  render(h(Router, null), root);
}

void start();
