import { defineConfig, devices } from "@playwright/test";

// Debian's Chromium (no browser downloads on these machines); the flags keep
// it from trying to reach the network at start-up.
const launchOptions = {
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
  ],
};

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    launchOptions,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  webServer: [
    {
      command: "./start-server.sh demo 3100",
      url: "http://127.0.0.1:3100/healthz",
      reuseExistingServer: !!process.env.PW_REUSE,
      timeout: 120_000,
      stdout: "ignore",
      stderr: "pipe",
    },
    {
      command: "./start-server.sh empty 3101",
      url: "http://127.0.0.1:3101/healthz",
      reuseExistingServer: !!process.env.PW_REUSE,
      timeout: 120_000,
      stdout: "ignore",
      stderr: "pipe",
    },
    {
      // Twilio's official API description served by Prism (TOOLCHAIN.md):
      // it checks every request we make and answers with Twilio's examples.
      command: "../node_modules/.bin/prism mock --host 127.0.0.1 -p 4010 ../server/tests/twilio/twilio_api_v2010.yaml",
      port: 4010,
      reuseExistingServer: !!process.env.PW_REUSE,
      timeout: 120_000,
      stdout: "ignore",
      stderr: "pipe",
    },
    {
      // Twilio's media host, as far as the browser tests need one.
      command: "node media-host.mjs 4011",
      url: "http://127.0.0.1:4011/healthz",
      reuseExistingServer: !!process.env.PW_REUSE,
      timeout: 30_000,
      stdout: "ignore",
      stderr: "pipe",
    },
    {
      command: "./start-server.sh twilio-demo 3104",
      url: "http://127.0.0.1:3104/healthz",
      reuseExistingServer: !!process.env.PW_REUSE,
      timeout: 120_000,
      stdout: "ignore",
      stderr: "pipe",
    },
    {
      command: "./start-server.sh twilio 3103",
      url: "http://127.0.0.1:3103/healthz",
      reuseExistingServer: !!process.env.PW_REUSE,
      timeout: 120_000,
      stdout: "ignore",
      stderr: "pipe",
    },
  ],
  projects: [
    {
      name: "demo",
      testMatch: /.*\.demo\.spec\.ts/,
      use: { ...devices["Desktop Chrome"], baseURL: "http://127.0.0.1:3100" },
    },
    {
      name: "fresh",
      testMatch: /.*\.fresh\.spec\.ts/,
      use: { ...devices["Desktop Chrome"], baseURL: "http://127.0.0.1:3101" },
    },
    {
      name: "twilio-demo",
      testMatch: /.*\.twiliodemo\.spec\.ts/,
      use: { ...devices["Desktop Chrome"], baseURL: "http://127.0.0.1:3104" },
    },
    {
      name: "twilio",
      testMatch: /.*\.twilio\.spec\.ts/,
      use: { ...devices["Desktop Chrome"], baseURL: "http://127.0.0.1:3103" },
    },
  ],
});
