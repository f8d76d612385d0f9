import { expect, test } from "@playwright/test";
import { hydrated, OWNER, shot, signIn, SITTER } from "./helpers";

const TZ = "America/Chicago"; // the demo business's time zone

/** YYYY-MM-DD in the business's time zone, `days` from today. */
function day(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toLocaleDateString("en-CA", { timeZone: TZ });
}

test.describe("integration API, as the owner", () => {
  test("create a key in Settings, book through the API, see it on the calendar, revoke the key", async ({ page, request }) => {
    await signIn(page, OWNER);
    await page.goto("/settings");
    await hydrated(page);
    await page.locator('input[name="key-name"]').fill("Booking software");
    await page.locator('select[name="key-scope"]').selectOption("read_write");
    await page.getByRole("button", { name: "Create key" }).click();
    const secretBox = page.getByTestId("new-api-key-secret");
    await expect(secretBox).toHaveValue(/^ll_/);
    const secret = await secretBox.inputValue();
    await expect(page.getByTestId("api-key-row").filter({ hasText: "Booking software" })).toContainText("Never");
    await shot(page, "settings-api-key-created");
    const auth = { Authorization: `Bearer ${secret}` };

    // Look up who and whom through the API, as booking software would.
    const clients = await (await request.get("/api/v1/clients?q=Ben%20Carter", { headers: auth })).json();
    const sitters = await (await request.get("/api/v1/sitters", { headers: auth })).json();
    const ben = clients.items[0];
    const maya = sitters.items.find((s: { first_name: string }) => s.first_name === "Maya");
    expect(ben.name).toBe("Ben Carter");

    const when = day(6);
    const created = await request.post("/api/v1/bookings", {
      headers: { ...auth, "Idempotency-Key": `e2e-${Date.now()}` },
      data: {
        client_id: ben.id,
        sitter_id: maya.id,
        kind: "one_time_booking",
        starts_at: `${when}T13:00:00-06:00`,
        ends_at: `${when}T16:00:00-06:00`,
      },
    });
    expect(created.status(), await created.text()).toBe(201);
    const booking = await created.json();
    expect(booking.status).toBe("confirmed");

    // A bad request gets a problem naming the field.
    const bad = await request.post("/api/v1/bookings", {
      headers: auth,
      data: { client_id: ben.id, sitter_id: maya.id, starts_at: "next tuesday", ends_at: `${when}T16:00:00-06:00` },
    });
    expect(bad.status()).toBe(422);
    expect(bad.headers()["content-type"]).toContain("application/problem+json");
    expect((await bad.json()).field).toBe("starts_at");

    await page.goto("/assignments");
    await hydrated(page);
    await expect(page.getByTestId("calendar-week")).toBeVisible();
    if ((await page.locator(`[data-testid="calendar-day"][data-day="${when}"]`).count()) === 0) {
      await page.getByTestId("week-next").click();
    }
    const column = page.locator(`[data-testid="calendar-day"][data-day="${when}"]`);
    await expect(column.getByTestId("calendar-block").filter({ hasText: "Maya · Ben Carter" })).toContainText("1 PM – 4 PM");
    await shot(page, "assignments-booked-by-api");

    // Revoke: the key stops working at once.
    await page.goto("/settings");
    await hydrated(page);
    const row = page.getByTestId("api-key-row").filter({ hasText: "Booking software" }).first();
    await row.getByRole("button", { name: "Revoke" }).click();
    await expect(page.getByTestId("impact-list")).toContainText("stops working at once");
    await page.getByTestId("confirm-button").click();
    await expect(row).toContainText("Revoked");
    const after = await request.get("/api/v1/clients", { headers: auth });
    expect(after.status()).toBe(401);
    await shot(page, "settings-api-keys");
  });

  test("the API reference page lists the endpoints", async ({ page }) => {
    await page.goto("/api/v1/docs");
    await expect(page.getByRole("heading", { name: /Leashline Integration API/ })).toBeVisible();
    await expect(page.locator("#tag-bookings")).toBeVisible();
    await expect(page.locator("section.op").filter({ hasText: "/api/v1/bookings/{id}/cancel" })).toBeVisible();
    await page.screenshot({ path: "screenshots/api-docs.png" });
    await page.locator("#schema-NewBooking").scrollIntoViewIfNeeded();
    await page.screenshot({ path: "screenshots/api-docs-shapes.png" });
  });
});

test("a sitter can't open Settings or manage keys", async ({ page, request }) => {
  await signIn(page, SITTER);
  const resp = await page.goto("/settings");
  await hydrated(page);
  await expect(page.getByTestId("api-key-form")).toHaveCount(0);
  expect(resp?.status()).toBeLessThan(500);
  const refused = await request.get("/api/v1/clients");
  expect(refused.status()).toBe(401);
});
