// The shell: header with navigation and the language switch, and the routes.
import { useEffect, useState } from "preact/hooks";
import { currentSession, logout, onSessionChange } from "./api";
import { lang, setLang, t } from "./i18n";
import { Link, navigate, onNavigate } from "./router";
import { areaAccess, findRoute } from "./routes";

/** The page at ``path`` for this session: the routes table decides who may see it. */
function route(path: string, loggedIn: boolean, ops: boolean) {
  const found = findRoute(path);
  const access = found?.route.access ?? areaAccess(path);
  if (access !== "public" && !loggedIn) {
    return (
      <p>
        <Link href={`/login?next=${encodeURIComponent(path + location.search)}`}>{t("needLogin")}</Link>
      </p>
    );
  }
  if (access === "ops" && !ops) return <p role="alert">{t("opsOnly")}</p>;
  if (!found) return <p role="alert">{t("notFound")}</p>;
  return found.route.page({ params: found.params, loggedIn });
}

export function App({ ready }: { ready: boolean }) {
  const [, setLangState] = useState(lang());
  const [path, setPath] = useState(location.pathname);
  const [, setSessionRound] = useState(0);
  useEffect(() => onNavigate(() => setPath(location.pathname)), []);
  useEffect(() => onSessionChange(() => setSessionRound((n) => n + 1)), []);
  const session = currentSession();
  const ops = session?.roles.includes("ops") ?? false;
  const switchLang = () => {
    const next = lang() === "ja" ? "en" : "ja";
    setLang(next);
    setLangState(next);
  };
  const signOut = async () => {
    await logout();
    navigate("/");
  };
  return (
    <>
      <a class="skip" href="#main">
        {t("skipToContent")}
      </a>
      <header>
        <h1>
          <Link href="/">{t("siteName")}</Link>
        </h1>
        <nav aria-label="main">
          <Link href="/">{t("navHome")}</Link>
          <Link href="/help">{t("navHelp")}</Link>
          {session ? (
            <>
              {ops ? <Link href="/ops">{t("navOps")}</Link> : <Link href="/me">{t("navMyPage")}</Link>}
              <button type="button" class="link" onClick={signOut}>
                {t("navLogout")}
              </button>
            </>
          ) : (
            <>
              <Link href="/login">{t("navLogin")}</Link>
              <Link href="/register">{t("navRegister")}</Link>
            </>
          )}
          <button type="button" class="lang" lang={lang() === "ja" ? "en" : "ja"} onClick={switchLang} title={t("language")}>
            {t("switchLang")}
          </button>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {ready ? route(path, session !== null, ops) : <p aria-busy="true">{t("loading")}</p>}
      </main>
      <footer>
        <Link href="/privacy">{t("navPrivacy")}</Link>
      </footer>
    </>
  );
}
