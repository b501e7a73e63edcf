// The production build is static files under dist/, served by the gateway at `/`
// (GATEWAY_WEB_ROOT). `npm run dev` proxies the API to a local `make dev` stack.
import { defineConfig } from "vite";

export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "dist",
    // One module script and one stylesheet; no inline code (the gateway's CSP forbids it).
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: { "/api": process.env.BIZMALL_GATEWAY ?? "http://127.0.0.1:8000" },
  },
});
