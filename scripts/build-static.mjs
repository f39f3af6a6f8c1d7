// Copies the front-end libraries the pages use out of node_modules into static/vendor
// (git-ignored), so nothing third-party is committed and nothing loads from a CDN.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const files = [
  ["chart.js/dist/chart.umd.js", "chart.umd.js"],
  ["chart.js/dist/chart.umd.js.map", "chart.umd.js.map"],
  // The accessibility checker the browser tests run on every page (tests/e2e/test_every_page.py).
  ["axe-core/axe.min.js", "axe.min.js"],
];

mkdirSync(join(root, "static", "vendor"), { recursive: true });
for (const [from, to] of files) {
  copyFileSync(join(root, "node_modules", from), join(root, "static", "vendor", to));
  console.log(`static/vendor/${to}`);
}
