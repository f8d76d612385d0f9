import { expect, test } from "@playwright/test";
import { hydrated, OWNER, PHONE, shot, signIn, SITTER } from "./helpers";

const OWNER_NAV = ["Dashboard", "Inbox", "Assignments", "Routing", "Numbers", "People", "Automations", "Alerts", "Audit", "Settings", "Setup"];

test("owner signs in, sees every screen in the navigation, and signs out", async ({ page }) => {
  await signIn(page, OWNER);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId("org-name")).toHaveText("Happy Tails Pet Care");
  const nav = page.getByTestId("sidebar-nav");
  for (const label of OWNER_NAV) {
    await expect(nav.getByRole("link", { name: new RegExp(`^${label}( \\d+)?$`) })).toBeVisible();
  }
  await nav.getByRole("link", { name: "Numbers", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Numbers", exact: true })).toBeVisible();
  await shot(page, "shell-owner-desktop");
  await page.getByTestId("sign-out").click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/numbers");
  await expect(page).toHaveURL(/\/login$/);
});

test("a wrong password shows a clear error and keeps what was typed", async ({ page }) => {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Email", { exact: true }).fill(OWNER.email);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("form-error")).toContainText("don't match");
  await expect(page.getByLabel("Email", { exact: true })).toHaveValue(OWNER.email);
  await expect(page).toHaveURL(/\/login$/);
  await shot(page, "login-error");
});

test("a sitter sees only their screens and is refused owner pages", async ({ page }) => {
  await signIn(page, SITTER);
  await expect(page).toHaveURL(/\/inbox$/);
  const nav = page.getByTestId("sidebar-nav");
  await expect(nav.getByRole("link")).toHaveText([/^Inbox/, "My schedule"]);
  await page.goto("/numbers");
  await expect(page.getByTestId("owner-only")).toContainText("This page is for the business owner");
  await page.goto("/settings");
  await expect(page.getByTestId("owner-only")).toBeVisible();
});

test.describe("on a phone", () => {
  test.use({ viewport: PHONE });

  test("the owner gets a compact tab strip instead of the sidebar", async ({ page }) => {
    await signIn(page, OWNER);
    await expect(page.getByTestId("sidebar-nav")).toBeHidden();
    await expect(page.getByTestId("tab-nav").getByRole("link", { name: "Inbox" })).toBeVisible();
    await shot(page, "shell-owner-phone");
  });

  test("the sitter sees two tabs", async ({ page }) => {
    await signIn(page, SITTER);
    await expect(page.getByTestId("tab-nav").getByRole("link")).toHaveText([/^Inbox/, "My schedule"]);
    await shot(page, "shell-sitter-phone");
  });
});

test("the notification bell opens its list", async ({ page }) => {
  await signIn(page, OWNER);
  await hydrated(page);
  await page.getByTestId("bell").click();
  await expect(page.getByTestId("notifications")).toContainText("Notifications");
  await page.getByTestId("bell").click();
  await expect(page.getByTestId("notifications")).toHaveCount(0);
});
