#!/usr/bin/env node
// Drives the project's headless Chromium (launch.mjs) from another process, one JSON command per line on
// stdin, one JSON answer per line on stdout: {"id", "ok", "result"} or {"id", "ok": false, "error"}.
// Several isolated browser contexts (separate cookies: a regulator and a bank side by side), each with one
// page watched like openAndWatch does (console errors and warnings, page errors, failed requests, requests
// that leave the machine). tests/support/browser.py wraps it as BrowserSession.
//
// Commands: open {ctx}; onNewDocument {ctx, script}; goto {ctx, url, wait?}; text {ctx, selector}; texts {ctx, selector}; attr {ctx,
// selector, name}; attrs {ctx, selector, name}; count {ctx, selector}; click {ctx, selector, navigate?};
// type {ctx, selector, text}; select {ctx, selector, value}; waitFor {ctx, selector, text?, wait_ms?};
// waitGone {ctx, selector, wait_ms?}; eval {ctx, expression}; press {ctx, key}; focused {ctx}; axe {ctx, axePath};
// screenshot {ctx, path, fullPage?, clipHeight?}; cookies {ctx}; report {ctx, reset?}; url {ctx}; close.
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { launch } from "./launch.mjs";

const width = Number(process.env.CORRIDOR_BROWSER_WIDTH || 1280);
const height = Number(process.env.CORRIDOR_BROWSER_HEIGHT || 900);
const browser = await launch({ width, height });
const contexts = new Map();
const LOCAL = /^(data:|about:|blob:|https?:\/\/(127\.0\.0\.1|localhost)[:/])/;

function watch(page) {
  const report = { console: [], pageErrors: [], failedRequests: [], externalRequests: [] };
  page.on("console", (message) => {
    if (["error", "warn", "warning"].includes(message.type())) report.console.push({ type: message.type(), text: message.text(), url: page.url() });
  });
  page.on("pageerror", (error) => report.pageErrors.push({ error: String(error), url: page.url() }));
  page.on("requestfailed", (request) => {
    const error = request.failure()?.errorText;
    // an event stream closed by a navigation is not a failure of the page
    if (error === "net::ERR_ABORTED" && request.resourceType() === "eventsource") return;
    report.failedRequests.push({ url: request.url(), error });
  });
  page.on("response", (response) => {
    if (response.status() >= 400) report.failedRequests.push({ url: response.url(), status: response.status() });
  });
  page.on("request", (request) => {
    if (!LOCAL.test(request.url())) report.externalRequests.push(request.url());
  });
  return report;
}

async function context(name) {
  if (!contexts.has(name)) {
    const ctx = await browser.createBrowserContext();
    const page = await ctx.newPage();
    page.setDefaultTimeout(20_000);
    contexts.set(name, { ctx, page, report: watch(page) });
  }
  return contexts.get(name);
}

async function run(command) {
  const { page, report } = command.ctx !== undefined || command.op !== "close" ? await context(command.ctx || "default") : {};
  switch (command.op) {
    case "open":
      return true;
    case "goto": {
      const response = await page.goto(command.url, { waitUntil: command.wait || "load", timeout: 60_000 });
      return { status: response ? response.status() : null, url: page.url(), title: await page.title() };
    }
    case "url":
      return page.url();
    case "onNewDocument":
      await page.evaluateOnNewDocument(command.script);
      return true;
    case "text":
      return page.$eval(command.selector, (el) => el.innerText).catch(() => null);
    case "texts":
      return page.$$eval(command.selector, (els) => els.map((el) => el.innerText));
    case "attr":
      return page.$eval(command.selector, (el, name) => el.getAttribute(name), command.name).catch(() => null);
    case "attrs":
      return page.$$eval(command.selector, (els, name) => els.map((el) => el.getAttribute(name)), command.name);
    case "count":
      return page.$$eval(command.selector, (els) => els.length);
    case "click": {
      if (command.navigate) {
        const [response] = await Promise.all([page.waitForNavigation({ waitUntil: "load", timeout: 60_000 }), page.click(command.selector)]);
        return { status: response ? response.status() : null, url: page.url(), title: await page.title() };
      }
      await page.click(command.selector);
      return true;
    }
    case "type":
      await page.type(command.selector, command.text);
      return true;
    case "select":
      return page.select(command.selector, command.value);
    case "waitFor": {
      const started = Date.now();
      if (command.text) {
        await page.waitForFunction((selector, text) => [...document.querySelectorAll(selector)].some((el) => el.innerText.includes(text)),
          { timeout: command.wait_ms || 20_000, polling: 25 }, command.selector, command.text);
      } else {
        await page.waitForSelector(command.selector, { timeout: command.wait_ms || 20_000 });
      }
      return { waitedMs: Date.now() - started };
    }
    case "waitGone":
      await page.waitForFunction((selector) => !document.querySelector(selector), { timeout: command.wait_ms || 20_000, polling: 50 }, command.selector);
      return true;
    case "eval":
      return page.evaluate(command.expression);
    case "press":
      await page.keyboard.press(command.key);
      return true;
    case "focused":
      return page.evaluate(() => {
        const el = document.activeElement;
        if (!el) return null;
        return { tag: el.tagName.toLowerCase(), text: (el.innerText || el.value || "").trim().slice(0, 80), href: el.getAttribute("href"),
                 id: el.id || null, label: el.getAttribute("aria-label") };
      });
    case "axe": {
      // axe-core from its npm package, evaluated through DevTools (not a page script: the console's CSP allows none)
      await page.evaluate(readFileSync(command.axePath, "utf8"));
      return page.evaluate(async () => {
        const result = await window.axe.run(document, { resultTypes: ["violations"] });
        return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
      });
    }
    case "screenshot": {
      if (command.clipHeight) {
        const full = await page.evaluate(() => document.documentElement.scrollHeight);
        const clip = { x: 0, y: 0, width: page.viewport().width, height: Math.min(full, command.clipHeight) };
        await page.screenshot({ path: command.path, clip, captureBeyondViewport: true });
      } else {
        await page.screenshot({ path: command.path, fullPage: !!command.fullPage });
      }
      return command.path;
    }
    case "cookies":
      return (await page.cookies()).map((c) => ({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite, path: c.path, secure: c.secure, expires: c.expires }));
    case "report": {
      const copy = JSON.parse(JSON.stringify(report));
      if (command.reset) for (const key of Object.keys(report)) report[key].length = 0;
      return copy;
    }
    case "close":
      await browser.close();
      return true;
    default:
      throw new Error(`unknown command ${command.op}`);
  }
}

const lines = createInterface({ input: process.stdin });
process.stdout.write(JSON.stringify({ id: 0, ok: true, result: "ready" }) + "\n");
for await (const line of lines) {
  if (!line.trim()) continue;
  let command;
  try {
    command = JSON.parse(line);
  } catch (error) {
    process.stdout.write(JSON.stringify({ id: null, ok: false, error: `not JSON: ${error}` }) + "\n");
    continue;
  }
  try {
    const result = await run(command);
    process.stdout.write(JSON.stringify({ id: command.id, ok: true, result: result === undefined ? null : result }) + "\n");
  } catch (error) {
    process.stdout.write(JSON.stringify({ id: command.id, ok: false, error: String(error && error.stack ? error.stack : error) }) + "\n");
  }
  if (command.op === "close") break;
}
process.exit(0);
