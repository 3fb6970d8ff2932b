// Vite builds web/dist, which `apex serve` serves at / (src/server/static_assets.cpp).
// `npm run dev` / `vite preview` proxy the API to a running `apex serve` (APEX_API, default
// http://127.0.0.1:8000) so the dashboard can be worked on with hot reload.
import { defineConfig } from 'vite';

const api = process.env.APEX_API ?? 'http://127.0.0.1:8000';

export default defineConfig({
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2020', sourcemap: false },
  server: { proxy: { '/api': api, '/health': api } },
});
