// What a page costs a phone, cold: bytes transferred (compressed, as they
// came over the wire) and the time until it is usable (hydrated), with the
// cache disabled and the network throttled through the DevTools protocol.
// A benchmark that prints figures (`make bench`), not a test.
//
//   node phone-bench.mjs            starts the release server on :3190
//   BENCH_URL=http://host:port node phone-bench.mjs   uses a running one
import { chromium } from "@playwright/test";
import { spawn } from "node:child_process";

const PORT = 3190;
const BASE = process.env.BENCH_URL || `http://127.0.0.1:${PORT}`;
const PROFILES = [
  { name: "10 Mbps / 40 ms", down: 10e6 / 8, up: 5e6 / 8, latency: 40 },
  { name: "1.6 Mbps / 150 ms", down: 1.6e6 / 8, up: 0.75e6 / 8, latency: 150 },
];
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const OWNER = { email: "owner@example.com", password: "password123" };
const SITTER = { email: "sitter@example.com", password: "password123" };
const RUNS = Number(process.env.BENCH_RUNS || 3);

async function waitHealthy(url, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} never answered /healthz`);
}

async function cookiesFor(browser, who) {
  if (!who) return [];
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${BASE}/login`);
  await page.waitForFunction(() => window.__leashline_hydrated === true, null, { timeout: 60_000 });
  await page.getByLabel("Email", { exact: true }).fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("org-name").waitFor();
  const cookies = await ctx.cookies();
  await ctx.close();
  return cookies;
}

/** One cold load: bytes over the wire and ms from navigation to hydrated. */
async function measure(browser, path, viewport, cookies, profile) {
  const ctx = await browser.newContext({ viewport });
  await ctx.addCookies(cookies);
  const page = await ctx.newPage();
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text().slice(0, 300)));
  page.on("pageerror", (e) => errors.push(e.message.slice(0, 300)));
  page.on("requestfailed", (r) => errors.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
  const pending = new Set();
  page.on("request", (r) => pending.add(r.url()));
  page.on("requestfinished", (r) => pending.delete(r.url()));
  const cdp = await ctx.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: profile.latency,
    downloadThroughput: profile.down,
    uploadThroughput: profile.up,
  });
  let bytes = 0;
  cdp.on("Network.loadingFinished", (e) => (bytes += e.encodedDataLength));
  await page.goto(`${BASE}${path}`, { waitUntil: "commit" });
  try {
    await page.waitForFunction(() => window.__leashline_hydrated === true, null, { timeout: 120_000, polling: 50 });
  } catch (e) {
    const url = page.url();
    const loaded = await page.evaluate(() => performance.getEntriesByType("resource").length);
    throw new Error(
      `${path} never hydrated (${profile.name}) at ${url}; ${loaded} resources loaded; still waiting for ${[...pending].join(", ")}\n${errors.join("\n")}`,
    );
  }
  const ms = await page.evaluate(() => window.__leashline_hydrated_at - performance.timeOrigin);
  // Anything the page fetched right after hydrating (its data) counts too.
  // (Not "networkidle": the live-update stream stays open by design.)
  await page.waitForTimeout(1000);
  await ctx.close();
  return { bytes, ms };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  let server;
  if (!process.env.BENCH_URL) {
    server = spawn("./start-server.sh", ["demo", String(PORT)], { stdio: ["ignore", "ignore", "inherit"] });
    await waitHealthy(BASE, 120_000);
  }
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic"],
  });
  try {
    const sitter = await cookiesFor(browser, SITTER);
    const owner = await cookiesFor(browser, OWNER);
    // A conversation the sitter can open: the first in their inbox.
    const ctx = await browser.newContext();
    await ctx.addCookies(sitter);
    const p = await ctx.newPage();
    await p.goto(`${BASE}/inbox`);
    const href = await p.locator('a[href^="/inbox/"]').first().getAttribute("href");
    await ctx.close();
    const pages = [
      { who: "sitter", path: "/login", viewport: PHONE, cookies: [] },
      { who: "sitter", path: "/inbox", viewport: PHONE, cookies: sitter },
      { who: "sitter", path: href, viewport: PHONE, cookies: sitter },
      { who: "owner", path: "/", viewport: DESKTOP, cookies: owner },
      { who: "owner", path: "/inbox", viewport: DESKTOP, cookies: owner },
      { who: "owner", path: "/routing", viewport: DESKTOP, cookies: owner },
    ];
    const rows = [];
    for (const pg of pages) {
      const row = { page: `${pg.who} ${pg.path}` };
      for (const profile of PROFILES) {
        const runs = [];
        for (let i = 0; i < RUNS; i++) runs.push(await measure(browser, pg.path, pg.viewport, pg.cookies, profile));
        row.kb = Math.round(median(runs.map((r) => r.bytes)) / 1024);
        row[profile.name] = (median(runs.map((r) => r.ms)) / 1000).toFixed(2) + " s";
      }
      rows.push(row);
      console.log(JSON.stringify(row));
    }
    console.log(`\n| page | transferred | usable at ${PROFILES[0].name} | at ${PROFILES[1].name} |`);
    console.log("|---|---|---|---|");
    for (const r of rows) console.log(`| ${r.page} | ${r.kb} KB | ${r[PROFILES[0].name]} | ${r[PROFILES[1].name]} |`);
    console.log(`(median of ${RUNS} cold loads each, cache disabled, Chromium ${browser.version()})`);
  } finally {
    await browser.close();
    if (server) server.kill("SIGTERM");
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
