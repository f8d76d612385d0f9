import { expect, Page } from "@playwright/test";

export const OWNER = { email: "owner@example.com", password: "password123" };
export const SITTER = { email: "sitter@example.com", password: "password123" };
export const PHONE = { width: 390, height: 844 };

/** Waits until the WASM has hydrated the page (buttons respond). */
export async function hydrated(page: Page) {
  await page.waitForFunction(() => (window as any).__leashline_hydrated === true, null, { timeout: 30_000 });
}

export async function signIn(page: Page, who: { email: string; password: string }) {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("org-name")).toBeVisible();
}

/** Saves a screenshot under end2end/screenshots/ for people to look at. */
export async function shot(page: Page, name: string) {
  await page.screenshot({ path: `screenshots/${name}.png`, fullPage: true });
}
