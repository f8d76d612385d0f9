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
