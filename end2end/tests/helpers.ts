import { expect, Page } from "@playwright/test";

export const OWNER = { email: "owner@example.com", password: "password123" };
export const SITTER = { email: "sitter@example.com", password: "password123" };
export const PHONE = { width: 390, height: 844 };

const consoleLogs = new WeakMap<Page, string[]>();

/** Keeps the page's console errors, to explain a failed hydration. */
export function watchConsole(page: Page) {
  if (consoleLogs.has(page)) return;
  const logs: string[] = [];
  consoleLogs.set(page, logs);
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") logs.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => logs.push(`pageerror: ${e.message}`));
}

/** Waits until the WASM has hydrated the page (buttons respond). */
export async function hydrated(page: Page) {
  watchConsole(page);
  try {
    await page.waitForFunction(() => (window as any).__leashline_hydrated === true, null, { timeout: 30_000 });
  } catch (e) {
    const logs = (consoleLogs.get(page) || []).join("\n").slice(0, 4000);
    throw new Error(`The page never became interactive. Console:\n${logs}\n${e}`);
  }
}

export async function signIn(page: Page, who: { email: string; password: string }) {
  watchConsole(page);
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Email", { exact: true }).fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("org-name")).toBeVisible();
}

/** Saves a screenshot under end2end/screenshots/ for people to look at. */
export async function shot(page: Page, name: string) {
  await page.screenshot({ path: `screenshots/${name}.png`, fullPage: true });
}

/** A unique marker made of letters only: digits in a message body look like
 * a phone number to the policy detector, and sitters see those redacted. */
export function marker(): string {
  return Date.now()
    .toString()
    .split("")
    .map((d) => "abcdefghij"[Number(d)])
    .join("");
}

export const RILEY = { email: "riley@paws.example", password: "copper-kettle-marmot-42" };

/** Signs in the owner of a fresh install, creating the account first if
 * nobody has yet, and opens the setup wizard. */
export async function ownerOfFreshInstall(page: Page) {
  await page.goto("/login");
  await hydrated(page);
  if (page.url().endsWith("/welcome")) {
    await page.getByLabel("Business name").fill("Paws & Co");
    await page.getByLabel("Your name").fill("Riley Owner");
    await page.getByLabel("Email", { exact: true }).fill(RILEY.email);
    await page.getByLabel("Password", { exact: true }).fill(RILEY.password);
    await page.getByLabel("Repeat password").fill(RILEY.password);
    await page.getByRole("button", { name: /Create account/ }).click();
    await expect(page).toHaveURL(/\/setup$/);
  } else {
    await page.getByLabel("Email", { exact: true }).fill(RILEY.email);
    await page.getByLabel("Password").fill(RILEY.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByTestId("org-name")).toBeVisible();
  }
  await page.goto("/setup");
  await hydrated(page);
}

