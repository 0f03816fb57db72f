// The project's headless Chromium, offline: the browser ships inside the npm package @sparticuz/chromium
// (unpacked to /tmp on first use) and is driven by puppeteer-core. Nothing is downloaded at run time.
// Import launch() from here to drive the same browser from any script (the report's render test, the
// console's browser tests).
import chromium from "@sparticuz/chromium";
import puppeteer from "puppeteer-core";

// The package's flags are tuned for a one-page serverless function: a single process (no second browser
// context survives it) and the web's security model switched off. Pages here are tested as a user's
// browser runs them: several processes, same-origin policy, mixed-content blocking.
const DROPPED = new Set(["--single-process", "--disable-web-security", "--allow-running-insecure-content", "--disable-site-isolation-trials"]);

export async function launch({ width = 1280, height = 900 } = {}) {
  const executablePath = process.env.CORRIDOR_CHROMIUM || (await chromium.executablePath());
  return puppeteer.launch({
    executablePath,
    args: [...chromium.args.filter((arg) => !DROPPED.has(arg)), "--no-first-run", "--no-default-browser-check"],
    defaultViewport: { width, height, deviceScaleFactor: 1 },
    headless: true,
  });
}

// Opens `url` in a fresh page and records everything that went wrong: console errors and warnings,
// uncaught page errors, requests that failed or answered >= 400, and any request that left the machine.
export async function openAndWatch(browser, url, { waitMs = 0 } = {}) {
  const page = await browser.newPage();
  const report = { url, console: [], pageErrors: [], failedRequests: [], externalRequests: [] };
  page.on("console", (message) => {
    if (["error", "warn", "warning"].includes(message.type())) report.console.push({ type: message.type(), text: message.text() });
  });
  page.on("pageerror", (error) => report.pageErrors.push(String(error)));
  page.on("requestfailed", (request) => report.failedRequests.push({ url: request.url(), error: request.failure()?.errorText }));
  page.on("response", (response) => {
    if (response.status() >= 400) report.failedRequests.push({ url: response.url(), status: response.status() });
  });
  page.on("request", (request) => {
    const target = request.url();
    if (!/^(file:|data:|about:|blob:|https?:\/\/(127\.0\.0\.1|localhost)[:/])/.test(target)) report.externalRequests.push(target);
  });
  const response = await page.goto(url, { waitUntil: "load", timeout: 60_000 });
  report.status = response ? response.status() : null;
  if (waitMs) await new Promise((resolve) => setTimeout(resolve, waitMs));
  report.title = await page.title();
  return { page, report };
}
