//! Your account (`/account`, everyone signed in; the name in the header
//! links here): who you are, and changing your password. Phone first: a
//! sitter changes it between walks.

use super::*;
use crate::shell::use_me;
use crate::ui::{btn, field, use_toaster, Card, PageHeader};

#[component]
pub fn AccountPage() -> impl IntoView {
    let me = use_me();
    let who = me
        .as_ref()
        .map(|m| format!("{} · {} · {}", m.name, m.email, if m.is_owner() { "Owner" } else { "Sitter" }))
        .unwrap_or_default();
    view! {
        <leptos_meta::Title text="Your account · Leashline" />
        <PageHeader title="Your account" subtitle=who />
        <ChangePassword />
    }
}

#[component]
fn ChangePassword() -> impl IntoView {
    let toaster = use_toaster();
    let form = RwSignal::new(PasswordForm::default());
    let save = Action::new(move |f: &PasswordForm| change_password(f.clone()));
    Effect::new(move |_| {
        if let Some(Ok(ended)) = save.value().get() {
            form.set(PasswordForm::default());
            toaster.success(match ended {
                0 => "Password changed.".to_string(),
                1 => "Password changed. Your one other session was signed out.".to_string(),
                n => format!("Password changed. Your {n} other sessions were signed out."),
            });
        }
    });
    let err_for = move |name: &'static str| move || field::error_of(save, name);
    let other = move || {
        save.value().get().and_then(|r| r.err()).filter(|e| e.field_name().is_none()).map(|e| e.to_string())
    };
    let input = move |name: &'static str, label: &'static str, auto: &'static str| {
        let id = format!("password-{name}");
        view! {
            <label class="block" for=id.clone()>
                <span class=field::LABEL>{label}</span>
                <input id=id type="password" class=field::INPUT autocomplete=auto data-testid=format!("password-{name}")
                    aria-invalid=move || err_for(name)().is_some().to_string()
                    prop:value=move || form.with(|f| match name { "current" => f.current.clone(), "new" => f.new.clone(), _ => f.again.clone() })
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        form.update(|f| match name { "current" => f.current = v, "new" => f.new = v, _ => f.again = v });
                    } />
                {move || err_for(name)().map(|e| view! { <span class="mt-1 block text-xs text-red-700" role="alert" data-testid="password-error">{e}</span> })}
            </label>
        }
    };
    view! {
        <Card title="Change your password" class="max-w-lg">
            <form class="space-y-4" data-testid="password-form" on:submit=move |ev| { ev.prevent_default(); save.dispatch(form.get_untracked()); }>
                {input("current", "Current password", "current-password")}
                {input("new", "New password", "new-password")}
                <p class=field::HELP>{format!("At least {} characters, and not a common password: a few unrelated words work well.", crate::auth::MIN_PASSWORD)}</p>
                {input("again", "New password again", "new-password")}
                {move || other().map(|e| view! { <p class="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-800" role="alert" data-testid="password-error">{e}</p> })}
                <p class="text-xs text-slate-500">"Changing it signs you out everywhere else (another phone, a shared computer)."</p>
                <button type="submit" class=btn::PRIMARY data-testid="password-save" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Change password" }}
                </button>
            </form>
        </Card>
    }
}
