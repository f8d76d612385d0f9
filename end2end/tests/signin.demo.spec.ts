import { expect, test } from "@playwright/test";
import { hydrated, OWNER, PHONE, shot, signIn } from "./helpers";

const JORDAN = { email: "jordan@example.com", password: "password123" };

test("a sitter locked out by wrong passwords is offered a code, and the owner unlocks them in People", async ({ page, browser }) => {
  const phone = await browser.newContext({ viewport: PHONE, baseURL: "http://127.0.0.1:3100" });
  const jordan = await phone.newPage();
  await jordan.goto("/login");
  await hydrated(jordan);
  const attempt = async (password: string) => {
    await jordan.getByLabel("Email", { exact: true }).fill(JORDAN.email);
    await jordan.getByLabel("Password").fill(password);
    await jordan.getByRole("button", { name: "Sign in" }).click();
  };
  for (let i = 0; i < 5; i++) {
    await attempt("not-the-password");
    await expect(jordan.getByTestId("form-error").first()).toContainText("don't match");
  }
  await attempt(JORDAN.password);
  await expect(jordan.getByTestId("form-error").first()).toContainText("Too many failed sign-ins for this account");
  // The way back in opens by itself.
  const unlock = jordan.getByTestId("unlock");
  await expect(unlock).toHaveAttribute("open", "");
  await unlock.getByLabel("Account email").first().fill(JORDAN.email);
  await unlock.getByRole("button", { name: "Text me a code" }).click();
  await expect(jordan.getByTestId("unlock-sent")).toContainText("If this account is locked");
  await shot(jordan, "signin-locked-phone");

  await signIn(page, OWNER);
  await page.goto("/people");
  await hydrated(page);
  const card = page.getByTestId("sitter-card").filter({ hasText: "Jordan Rivera" });
  await expect(card.getByTestId("sitter-locked")).toBeVisible();
  await shot(page, "people-sitter-locked");
  await card.getByTestId("sitter-unlock").click();
  await expect(page.getByText("Jordan Rivera can sign in again.")).toBeVisible();
  await expect(card.getByTestId("sitter-locked")).toHaveCount(0);

  await attempt(JORDAN.password);
  await expect(jordan).toHaveURL(/\/inbox$/);
  await phone.close();
});

test("the owner keeps a mobile number for unlock codes in Settings", async ({ page }) => {
  await signIn(page, OWNER);
  await page.goto("/settings");
  await hydrated(page);
  const form = page.getByTestId("my-phone-form");
  await form.getByLabel("Your mobile number").fill("12");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "isn't a mobile number we can text" })).toBeVisible();
  await expect(form.getByLabel("Your mobile number")).toHaveValue("12");
  await form.getByLabel("Your mobile number").fill("(512) 555-0188");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Mobile number saved")).toBeVisible();
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("my-phone-form").getByLabel("Your mobile number")).toHaveValue("+1 (512) 555-0188");
  await page.getByTestId("my-phone-form").scrollIntoViewIfNeeded();
  await shot(page, "settings-your-account");
});

// Last of the specs to sign in as Jordan: this one changes his password.
test("the owner gives a sitter a one-time reset link; the sitter sets a new password on a phone", async ({ page, browser }) => {
  await signIn(page, OWNER);
  await page.goto("/people");
  await hydrated(page);
  const card = page.getByTestId("sitter-card").filter({ hasText: "Jordan Rivera" });
  await card.getByTestId("sitter-reset-link").click();
  const box = card.getByTestId("reset-link-box");
  await expect(box).toContainText("Send this to Jordan Rivera (shown once");
  const url = await box.getByTestId("reset-link").inputValue();
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:3100\/reset\/[A-Za-z0-9_-]{40,}$/);
  await shot(page, "people-reset-link");

  const phone = await browser.newContext({ viewport: PHONE, baseURL: "http://127.0.0.1:3100" });
  const jordan = await phone.newPage();
  await jordan.goto(url);
  await hydrated(jordan);
  await expect(jordan.getByRole("heading", { name: "Choose a new password, Jordan Rivera" })).toBeVisible();
  await jordan.getByTestId("reset-new").fill("short");
  await jordan.getByTestId("reset-again").fill("short");
  await jordan.getByTestId("reset-save").click();
  await expect(jordan.getByTestId("reset-error").first()).toContainText("at least 10");
  const chosen = "lantern-pebble-orchard-88";
  await jordan.getByTestId("reset-new").fill(chosen);
  await jordan.getByTestId("reset-again").fill(chosen);
  await jordan.getByTestId("reset-save").click();
  await expect(jordan.getByTestId("reset-done")).toBeVisible();
  await shot(jordan, "reset-password-phone");
  await jordan.getByRole("link", { name: "Sign in" }).click();
  await signIn(jordan, { email: JORDAN.email, password: chosen });

  // Used once: the link no longer works.
  await jordan.goto(url);
  await expect(jordan.getByTestId("reset-gone")).toContainText("expired or was already used");
  await phone.close();
});
