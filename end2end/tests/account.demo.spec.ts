import { expect, test } from "@playwright/test";
import { hydrated, OWNER, PHONE, shot, signIn, SITTER } from "./helpers";

// Shared demo server: nothing here changes the sitter's password (the
// fresh install's owner changes theirs in welcome.fresh.spec.ts).

test("a sitter opens their account from the header on a phone; a wrong current password changes nothing", async ({ browser }) => {
  const phone = await browser.newContext({ viewport: PHONE, baseURL: "http://127.0.0.1:3100" });
  const page = await phone.newPage();
  await signIn(page, SITTER);
  await page.getByTestId("signed-in-as").click();
  await expect(page).toHaveURL(/\/account$/);
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
  await expect(page.getByText("sitter@example.com")).toBeVisible();

  await page.getByTestId("password-current").fill("password123");
  await page.getByTestId("password-new").fill("copper-kettle-marmot-42");
  await page.getByTestId("password-again").fill("copper-kettle-marmot-24");
  await page.getByTestId("password-save").click();
  await expect(page.getByTestId("password-error")).toContainText("don't match");
  await expect(page.getByTestId("password-new")).toHaveValue("copper-kettle-marmot-42");

  await page.getByTestId("password-current").fill("not-my-password-9");
  await page.getByTestId("password-again").fill("copper-kettle-marmot-42");
  await page.getByTestId("password-save").click();
  await expect(page.getByTestId("password-error")).toContainText("isn't your current password");
  await shot(page, "account-sitter-phone");
  await phone.close();

  // The old password still works.
  const again = await browser.newContext({ baseURL: "http://127.0.0.1:3100" });
  await signIn(await again.newPage(), SITTER);
  await again.close();
});

test("the owner edits a sitter's details in People; a bad phone keeps what was typed", async ({ page }) => {
  await signIn(page, OWNER);
  await page.goto("/people");
  await hydrated(page);
  const sam = page.locator('[data-sitter="Sam Patel"]');
  await sam.getByTestId("sitter-edit").click();
  const editor = sam.getByTestId("sitter-editor");
  await expect(editor.getByTestId("sitter-edit-name")).toHaveValue("Sam Patel");
  await editor.getByTestId("sitter-edit-phone").fill("12");
  await editor.getByTestId("sitter-edit-save").click();
  await expect(editor.getByTestId("sitter-edit-error")).toContainText("isn't a phone number we can text");
  await expect(editor.getByTestId("sitter-edit-phone")).toHaveValue("12");
  await editor.getByTestId("sitter-edit-phone").fill("(512) 555-0188");
  await shot(page, "people-sitter-edit");
  await editor.getByTestId("sitter-edit-save").click();
  await expect(page.getByText(/Saved\. Personal phone: .* → \+1 \(512\) 555-0188/)).toBeVisible();
  await expect(page.locator('[data-sitter="Sam Patel"]')).toContainText("Personal phone +1 (512) 555-0188");
});
