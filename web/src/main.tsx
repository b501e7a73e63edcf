import { render } from "preact";
import { refresh } from "./api";
import { App } from "./app";
import { lang } from "./i18n";
import "./styles.css";

document.documentElement.lang = lang();
const root = document.getElementById("app")!;
render(<App ready={false} />, root);
// A session survives a reload through the refresh cookie; without one we are a guest.
refresh()
  .catch(() => false)
  .finally(() => render(<App ready={true} />, root));
