use super::{install_status, CreateOwner, RequestUnlockCode, SignIn, UnlockAccount, LOCKED_PREFIX, MIN_PASSWORD};
use crate::ui::{field, ErrorText};
use leptos::prelude::*;
use leptos_router::components::Redirect;

fn error_of<T>(action: ServerAction<T>) -> Signal<Option<String>>
where
    T: server_fn::ServerFn<Output = (), Error = crate::error::AppError> + Clone + Send + Sync + 'static,
{
    Signal::derive(move || match action.value().get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    })
}

#[component]
fn AuthFrame(#[prop(into)] title: String, #[prop(into)] subtitle: String, children: Children) -> impl IntoView {
    view! {
        <div class="flex min-h-screen items-center justify-center bg-gradient-to-br from-emerald-50 via-white to-sky-50 px-4 py-10">
            <div class="w-full max-w-md">
                <div class="mb-6 flex items-center justify-center gap-2">
                    <span class="flex h-10 w-10 items-center justify-center rounded-xl bg-emerald-600 text-lg font-bold text-white">"L"</span>
                    <span class="text-xl font-bold tracking-tight text-slate-900">"Leashline"</span>
                </div>
                <div class="rounded-2xl border border-slate-200 bg-white p-8 shadow-sm">
                    <h1 class="text-xl font-semibold text-slate-900">{title}</h1>
                    <p class="mt-1 text-sm text-slate-500">{subtitle}</p>
                    <div class="mt-6">{children()}</div>
                </div>
            </div>
        </div>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let install = Resource::new(|| (), |_| install_status());
    let error = error_of(action);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match install.await {
                    Ok(i) if !i.has_owner => view! { <Redirect path="/welcome" /> }.into_any(),
                    Ok(i) => view! { <DemoHint show=i.demo /> }.into_any(),
                    Err(_) => ().into_any(),
                }
            })}
        </Transition>
        <AuthFrame title="Sign in" subtitle="Texting for your pet-sitting business, in one place.">
            <ActionForm action=action attr:class="space-y-4" attr:data-testid="sign-in-form">
                <div>
                    <label class=field::LABEL for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="username" required class=field::INPUT />
                </div>
                <div>
                    <label class=field::LABEL for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required class=field::INPUT />
                </div>
                <button type="submit" class=format!("{} w-full", crate::ui::btn::PRIMARY) disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
                <ErrorText message=error />
            </ActionForm>
            <Unlock locked=Signal::derive(move || error.get().is_some_and(|e| e.starts_with(LOCKED_PREFIX))) />
        </AuthFrame>
    }
}

/// "Locked out?": a code texted to the person's own mobile unlocks the
/// account. Plain forms, so it works before the page's script has loaded.
#[component]
fn Unlock(locked: Signal<bool>) -> impl IntoView {
    let send = ServerAction::<RequestUnlockCode>::new();
    let unlock = ServerAction::<UnlockAccount>::new();
    let sent = Signal::derive(move || match send.value().get() {
        Some(Ok(m)) => Some(m),
        _ => None,
    });
    let send_error = Signal::derive(move || match send.value().get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    });
    let unlock_error = error_of(unlock);
    let unlocked = move || matches!(unlock.value().get(), Some(Ok(())));
    // Typed once, used by both forms.
    let email = RwSignal::new(String::new());
    view! {
        <details class="mt-6 border-t border-slate-100 pt-4 text-sm" prop:open=move || locked.get() || sent.get().is_some() data-testid="unlock">
            <summary class="cursor-pointer font-medium text-slate-700">"Locked out? Text me an unlock code"</summary>
            <ActionForm action=send attr:class="mt-3 space-y-2">
                <label class=field::LABEL for="unlock-email">"Account email"</label>
                <input id="unlock-email" name="email" type="email" autocomplete="username" required class=field::INPUT
                    prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev)) />
                <button type="submit" class=crate::ui::btn::SECONDARY disabled=move || send.pending().get()>
                    {move || if send.pending().get() { "Sending…" } else { "Text me a code" }}
                </button>
                <ErrorText message=send_error />
                {move || sent.get().map(|m| view! { <p class="text-slate-600" role="status" data-testid="unlock-sent">{m}</p> })}
            </ActionForm>
            <ActionForm action=unlock attr:class="mt-4 space-y-2">
                <label class=field::LABEL for="unlock-email-2">"Account email"</label>
                <input id="unlock-email-2" name="email" type="email" autocomplete="username" required class=field::INPUT
                    prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev)) />
                <label class=field::LABEL for="unlock-code">"Code from the text"</label>
                <input id="unlock-code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required class=field::INPUT />
                <button type="submit" class=crate::ui::btn::SECONDARY disabled=move || unlock.pending().get()>"Unlock"</button>
                <ErrorText message=unlock_error />
                <Show when=unlocked>
                    <p class="text-emerald-700" role="status" data-testid="unlocked">"Unlocked. Sign in above."</p>
                </Show>
            </ActionForm>
        </details>
    }
}

#[component]
fn DemoHint(show: bool) -> impl IntoView {
    show.then(|| {
        view! {
            <div class="fixed inset-x-0 top-0 z-10 bg-emerald-700 px-4 py-2 text-center text-sm text-white" data-testid="demo-hint">
                "Demo business loaded — owner: owner@example.com · sitter: sitter@example.com · password: password123"
            </div>
        }
    })
}

#[component]
pub fn CreateOwnerPage() -> impl IntoView {
    let action = ServerAction::<CreateOwner>::new();
    let install = Resource::new(|| (), |_| install_status());
    let error = error_of(action);
    let invalid = move |name: &'static str| move || matches!(action.value().get(), Some(Err(ref e)) if e.field_name() == Some(name));
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match install.await {
                    Ok(i) if i.has_owner => view! { <Redirect path="/login" /> }.into_any(),
                    _ => ().into_any(),
                }
            })}
        </Transition>
        <AuthFrame title="Create the owner account" subtitle="This is a fresh installation. The owner runs the business: numbers, routing, settings. You can add sitters later.">
            <ActionForm action=action attr:class="space-y-4">
                <div>
                    <label class=field::LABEL for="business_name">"Business name"</label>
                    <input id="business_name" name="business_name" required class=field::INPUT placeholder="Happy Tails Pet Care" aria-invalid=invalid("business_name") />
                </div>
                <div>
                    <label class=field::LABEL for="name">"Your name"</label>
                    <input id="name" name="name" required class=field::INPUT autocomplete="name" aria-invalid=invalid("name") />
                </div>
                <div>
                    <label class=field::LABEL for="email">"Email"</label>
                    <input id="email" name="email" type="email" required class=field::INPUT autocomplete="username" aria-invalid=invalid("email") />
                </div>
                <div class="grid gap-4 sm:grid-cols-2">
                    <div>
                        <label class=field::LABEL for="password">"Password"</label>
                        <input id="password" name="password" type="password" required class=field::INPUT autocomplete="new-password" aria-invalid=invalid("password") />
                    </div>
                    <div>
                        <label class=field::LABEL for="password_again">"Repeat password"</label>
                        <input id="password_again" name="password_again" type="password" required class=field::INPUT autocomplete="new-password" aria-invalid=invalid("password_again") />
                    </div>
                </div>
                <p class=field::HELP>{format!("At least {MIN_PASSWORD} characters, and not a common password: a few unrelated words work well.")}</p>
                <button type="submit" class=format!("{} w-full", crate::ui::btn::PRIMARY) disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Creating…" } else { "Create account and start setup" }}
                </button>
                <ErrorText message=error />
            </ActionForm>
        </AuthFrame>
    }
}
