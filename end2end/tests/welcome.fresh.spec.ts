import { expect, test } from "@playwright/test";
import { hydrated, RILEY, shot } from "./helpers";

test("a fresh install asks for the owner account instead of using a default password", async ({ page }) => {
  await page.goto("/login");
  await expect(page).toHaveURL(/\/welcome$/);
  await hydrated(page);
  await page.getByLabel("Business name").fill("Paws & Co");
  await page.getByLabel("Your name").fill("Riley Owner");
  await page.getByLabel("Email", { exact: true }).fill("riley@paws.example");
  await page.getByLabel("Password", { exact: true }).fill("short");
  await page.getByLabel("Repeat password").fill("short");
  await shot(page, "welcome");
  await page.getByRole("button", { name: /Create account/ }).click();
  await expect(page.getByTestId("form-error")).toContainText("at least 10 characters");
  await expect(page.getByLabel("Business name")).toHaveValue("Paws & Co");
  await page.getByLabel("Password", { exact: true }).fill(RILEY.password);
  await page.getByLabel("Repeat password").fill(RILEY.password);
  await page.getByRole("button", { name: /Create account/ }).click();
  await expect(page).toHaveURL(/\/setup$/);
  await expect(page.getByTestId("org-name")).toHaveText("Paws & Co");
  await expect(page.getByTestId("readiness-banner")).toBeVisible();
});

test("the owner changes their own password: the old one stops working, and changes it back", async ({ page, browser }) => {
  const other = await browser.newContext({ baseURL: "http://127.0.0.1:3101" });
  const elsewhere = await other.newPage();
  await signInAs(elsewhere, RILEY.password);
  await signInAs(page, RILEY.password);
  await page.goto("/account");
  await hydrated(page);
  const changed = "tangerine-harbor-violin-7";
  await page.getByTestId("password-current").fill(RILEY.password);
  await page.getByTestId("password-new").fill(changed);
  await page.getByTestId("password-again").fill(changed);
  await page.getByTestId("password-save").click();
  // The other browser, and the session the account was created in.
  await expect(page.getByText(/Password changed\. Your (one|\d+) other sessions? (was|were) signed out\./)).toBeVisible();
  await expect(page.getByTestId("password-new")).toHaveValue("");
  await shot(page, "account-password-changed");

  // The other browser is signed out; the new password signs in.
  await elsewhere.goto("/inbox");
  await expect(elsewhere).toHaveURL(/\/login/);
  await signInAs(elsewhere, changed);
  await other.close();

  // Back to the password the other specs use.
  await page.getByTestId("password-current").fill(changed);
  await page.getByTestId("password-new").fill(RILEY.password);
  await page.getByTestId("password-again").fill(RILEY.password);
  await page.getByTestId("password-save").click();
  await expect(page.getByText(/Password changed\./).last()).toBeVisible();
});

async function signInAs(page: import("@playwright/test").Page, password: string) {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Email", { exact: true }).fill(RILEY.email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("org-name")).toBeVisible();
}
