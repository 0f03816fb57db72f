#!/usr/bin/env node
// Renders one page in the project's headless Chromium and prints, as JSON, what went wrong while it
// loaded (console errors, page errors, failed or external requests), its title, its visible text and,
// with --screenshot, writes a PNG. Usage:
//   node tools/browser/render.mjs --url file:///…/report.html [--screenshot out.png] [--full-page]
//        [--width 1280] [--height 900] [--wait-ms 0] [--clip-height 0]
import { launch, openAndWatch } from "./launch.mjs";

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

const url = option("url");
if (!url) {
  console.error("--url is required");
  process.exit(2);
}
const width = Number(option("width", 1280));
const height = Number(option("height", 900));
const browser = await launch({ width, height });
try {
  const { page, report } = await openAndWatch(browser, url, { waitMs: Number(option("wait-ms", 0)) });
  report.text = await page.evaluate(() => document.body ? document.body.innerText : "");
  report.documentHeight = await page.evaluate(() => document.documentElement.scrollHeight);
  const screenshot = option("screenshot");
  if (screenshot) {
    const clipHeight = Number(option("clip-height", 0));
    if (clipHeight) await page.screenshot({ path: screenshot, clip: { x: 0, y: 0, width, height: clipHeight } });
    else await page.screenshot({ path: screenshot, fullPage: process.argv.includes("--full-page") });
    report.screenshot = screenshot;
  }
  process.stdout.write(JSON.stringify(report));
} finally {
  await browser.close();
}
