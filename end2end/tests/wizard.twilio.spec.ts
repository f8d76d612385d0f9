import { expect, test } from "@playwright/test";
import { ownerOfFreshInstall, shot } from "./helpers";

// A fresh install whose Twilio is Prism serving Twilio's own API
// description: every request the wizard makes is checked against it.
test("twilio mode against the API description: connect, check the account, buy the Front Desk number", async ({ page }) => {
  await ownerOfFreshInstall(page);
  await page.getByTestId("mode-twilio").check();
  await page.getByTestId("account-sid").fill("AC123");
  await page.getByTestId("auth-token").fill("0123456789abcdef0123456789abcdef");
  await page.getByTestId("connect-submit").click();
  await expect(page.getByText("The Account ID starts with AC and has 34 characters")).toBeVisible();
  await expect(page.getByTestId("account-sid")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByTestId("auth-token")).toHaveValue("0123456789abcdef0123456789abcdef");

  await page.getByTestId("account-sid").fill("AC0123456789abcdef0123456789abcdef");
  await shot(page, "setup-twilio-connect");
  await page.getByTestId("connect-submit").click();
  await expect(page.getByTestId("setup-step-link").nth(0)).toHaveAttribute("data-state", "done");
  await page.getByTestId("setup-step-link").nth(1).click();
  await expect(page.getByTestId("account-checks")).toContainText("AC…cdef");
  await expect(page.getByTestId("account-checks")).toContainText("Balance");
  await shot(page, "setup-twilio-verify");
  await page.getByTestId("setup-step-link").nth(2).click();

  await expect(page.getByTestId("setup-step")).toHaveAttribute("data-step", "3");
  await page.getByTestId("fd-area").fill("512");
  await page.getByTestId("fd-search").click();
  await page.getByTestId("fd-offer").first().getByRole("button", { name: "Choose" }).click();
  await expect(page.getByTestId("fd-confirm-panel")).toContainText("a month");
  await page.getByTestId("fd-buy").click();
  await expect(page.getByTestId("have-front_desk")).toContainText("You have 1 Front Desk number");
  await expect(page.getByTestId("setup-next")).toBeEnabled();
  await shot(page, "setup-twilio-front-desk");
});
