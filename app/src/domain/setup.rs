//! The setup wizard's rules (SPEC §4.1): seven steps, which may be skipped,
//! what each needs before Next, where a returning owner resumes, and the
//! readiness checks that switch texting on. Pure, so the wizard shows the
//! same answer the server enforces.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Step {
    Connect,
    Verify,
    FrontDesk,
    SitterNumbers,
    PoolNumbers,
    Hookup,
    Finish,
}

impl Step {
    pub const ALL: [Step; 7] = [
        Step::Connect,
        Step::Verify,
        Step::FrontDesk,
        Step::SitterNumbers,
        Step::PoolNumbers,
        Step::Hookup,
        Step::Finish,
    ];

    /// 1 to 7, as the progress indicator shows it.
    pub fn number(self) -> u8 {
        Step::ALL.iter().position(|s| *s == self).map(|i| i as u8 + 1).unwrap_or(1)
    }

    pub fn from_number(n: u8) -> Option<Step> {
        Step::ALL.get(usize::from(n).checked_sub(1)?).copied()
    }

    pub fn title(self) -> &'static str {
        match self {
            Step::Connect => "Connect your texting provider",
            Step::Verify => "Check the account",
            Step::FrontDesk => "Front Desk number",
            Step::SitterNumbers => "Sitter numbers",
            Step::PoolNumbers => "Pool numbers",
            Step::Hookup => "Messaging hookup",
            Step::Finish => "Ready to go",
        }
    }

    pub fn short(self) -> &'static str {
        match self {
            Step::Connect => "Connect",
            Step::Verify => "Check account",
            Step::FrontDesk => "Front Desk",
            Step::SitterNumbers => "Sitter numbers",
            Step::PoolNumbers => "Pool numbers",
            Step::Hookup => "Hookup",
            Step::Finish => "Finish",
        }
    }

    /// Sitter and pool numbers can come later, from the number inventory.
    pub fn optional(self) -> bool {
        matches!(self, Step::SitterNumbers | Step::PoolNumbers)
    }

    pub fn next(self) -> Option<Step> {
        Step::from_number(self.number() + 1)
    }

    pub fn previous(self) -> Option<Step> {
        Step::from_number(self.number().checked_sub(1)?)
    }
}

/// What the database says right now; every requirement is computed from it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    pub provider_connected: bool,
    /// The account answered and is active (step 2 ran).
    pub account_verified: bool,
    pub front_desk: u32,
    pub sitter_numbers: u32,
    pub pool_numbers: u32,
    /// Numbers in service (not released).
    pub numbers: u32,
    /// Of those, pointing at us and checked.
    pub numbers_hooked_up: u32,
}

/// Why Next is not available yet, in the owner's words.
pub fn requirement(step: Step, f: &Facts) -> Result<(), String> {
    match step {
        Step::Connect if !f.provider_connected => {
            Err("Choose demo numbers or connect your Twilio account, then test the connection.".into())
        }
        Step::Verify if !f.account_verified => Err("Check the account first.".into()),
        Step::FrontDesk if f.front_desk == 0 => {
            Err("Buy or import the Front Desk number your clients will text.".into())
        }
        Step::SitterNumbers if f.sitter_numbers == 0 => {
            Err("Buy or import at least one sitter number, or skip this step.".into())
        }
        Step::PoolNumbers if f.pool_numbers == 0 => {
            Err("Buy or import at least one pool number, or skip this step.".into())
        }
        Step::Hookup if f.numbers == 0 || f.numbers_hooked_up < f.numbers => {
            Err(format!("{} of {} numbers are connected. Run the hookup again.", f.numbers_hooked_up, f.numbers))
        }
        Step::Finish => {
            let missing: Vec<String> = readiness(f).into_iter().filter(|c| !c.ok).map(|c| c.label).collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!("Not ready yet: {}.", missing.join("; ")))
            }
        }
        _ => Ok(()),
    }
}

/// Which steps are done and which were skipped, as saved.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub completed: BTreeSet<u8>,
    pub skipped: BTreeSet<u8>,
}

impl Progress {
    pub fn is_done(&self, s: Step) -> bool {
        self.completed.contains(&s.number()) || self.skipped.contains(&s.number())
    }

    /// Where a returning owner continues: the first step neither completed
    /// nor skipped; the last step once everything is done.
    pub fn resume(&self) -> Step {
        Step::ALL.into_iter().find(|s| !self.is_done(*s)).unwrap_or(Step::Finish)
    }

    /// A step can be opened when every step before it is done.
    pub fn reachable(&self, s: Step) -> bool {
        Step::ALL.into_iter().take_while(|x| *x != s).all(|x| self.is_done(x))
    }

    pub fn complete(&mut self, s: Step) {
        self.skipped.remove(&s.number());
        self.completed.insert(s.number());
    }

    pub fn skip(&mut self, s: Step) -> Result<(), String> {
        if !s.optional() {
            return Err(format!("\"{}\" can't be skipped.", s.short()));
        }
        if !self.completed.contains(&s.number()) {
            self.skipped.insert(s.number());
        }
        Ok(())
    }

    /// Connecting a different account undoes what depended on the old one.
    pub fn reconnected(&mut self) {
        for s in [Step::Verify, Step::Hookup, Step::Finish] {
            self.completed.remove(&s.number());
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub label: String,
    pub ok: bool,
    /// What to do when it isn't.
    pub fix: String,
}

/// The readiness list (SPEC §4.1): texting is switched on only when all hold.
pub fn readiness(f: &Facts) -> Vec<Check> {
    vec![
        Check {
            label: "Texting provider connected".into(),
            ok: f.provider_connected && f.account_verified,
            fix: "Connect and check your account (steps 1 and 2).".into(),
        },
        Check {
            label: "Front Desk number set".into(),
            ok: f.front_desk > 0,
            fix: "Buy or import a Front Desk number (step 3).".into(),
        },
        Check {
            label: "Messaging hookup verified".into(),
            ok: f.numbers > 0 && f.numbers_hooked_up >= f.numbers,
            fix: format!("{} of {} numbers are connected: run the hookup (step 6).", f.numbers_hooked_up, f.numbers),
        },
    ]
}

/// Below the threshold (Settings, $20 by default) an account may stop
/// sending mid-day.
pub fn low_balance(balance_cents: Option<i64>, threshold_cents: i64) -> bool {
    balance_cents.is_some_and(|b| b < threshold_cents)
}

/// Twilio account ids: "AC" and 32 hexadecimal characters.
pub fn check_account_sid(s: &str) -> Result<String, String> {
    let s = s.trim();
    let ok = s.len() == 34 && s.starts_with("AC") && s[2..].bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(s.to_string())
    } else {
        Err("The Account ID starts with AC and has 34 characters. Copy it from Account Info on the Twilio console's home page.".into())
    }
}

pub fn check_auth_token(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.len() >= 16 && !s.contains(char::is_whitespace) {
        Ok(s.to_string())
    } else {
        Err("The Auth Token is the 32-character secret shown beside the Account ID in the Twilio console.".into())
    }
}

/// The address Twilio posts texts to: http(s), a host, no path, query or
/// trailing slash.
pub fn check_base_url(s: &str) -> Result<String, String> {
    let s = s.trim().trim_end_matches('/');
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(['/', '?', '#', ' ']) => Ok(s.to_string()),
        _ => Err("Enter the address people reach this app at, like https://texts.example.com.".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ready_facts() -> Facts {
        Facts {
            provider_connected: true,
            account_verified: true,
            front_desk: 1,
            sitter_numbers: 0,
            pool_numbers: 0,
            numbers: 1,
            numbers_hooked_up: 1,
        }
    }

    #[test]
    fn steps_are_numbered_one_to_seven() {
        for (i, s) in Step::ALL.iter().enumerate() {
            assert_eq!(s.number() as usize, i + 1);
            assert_eq!(Step::from_number(s.number()), Some(*s));
        }
        assert_eq!(Step::from_number(0), None);
        assert_eq!(Step::from_number(8), None);
        assert_eq!(Step::Finish.next(), None);
        assert_eq!(Step::Connect.previous(), None);
    }

    #[test]
    fn only_sitter_and_pool_steps_can_be_skipped() {
        let mut p = Progress::default();
        assert!(p.skip(Step::FrontDesk).unwrap_err().contains("can't be skipped"));
        assert!(p.skip(Step::SitterNumbers).is_ok());
        assert!(p.skipped.contains(&4));
    }

    #[test]
    fn finish_lists_what_is_missing() {
        let f = Facts { numbers_hooked_up: 0, ..ready_facts() };
        let e = requirement(Step::Finish, &f).unwrap_err();
        assert!(e.contains("Messaging hookup verified"), "{e}");
        assert!(requirement(Step::Finish, &ready_facts()).is_ok());
    }

    #[test]
    fn urls_and_credentials_are_checked() {
        assert_eq!(check_base_url("https://texts.example.com/").unwrap(), "https://texts.example.com");
        assert!(check_base_url("texts.example.com").is_err());
        assert!(check_base_url("https://texts.example.com/hooks").is_err());
        assert!(check_account_sid("AC0123456789abcdef0123456789abcdef").is_ok());
        assert!(check_account_sid("AC123").is_err());
        assert!(check_auth_token("short").is_err());
        assert!(low_balance(Some(999), 1_000) && !low_balance(Some(1_000), 1_000) && !low_balance(None, 1_000));
    }

    fn facts() -> impl Strategy<Value = Facts> {
        (any::<bool>(), any::<bool>(), 0u32..3, 0u32..3, 0u32..3, 0u32..6, 0u32..6).prop_map(
            |(provider_connected, account_verified, front_desk, sitter_numbers, pool_numbers, numbers, hooked)| Facts {
                provider_connected,
                account_verified,
                front_desk,
                sitter_numbers,
                pool_numbers,
                numbers,
                numbers_hooked_up: hooked.min(numbers),
            },
        )
    }

    fn progress() -> impl Strategy<Value = Progress> {
        (prop::collection::btree_set(1u8..=7, 0..7), prop::collection::btree_set(4u8..=5, 0..2)).prop_map(
            |(completed, skipped)| Progress { skipped: skipped.difference(&completed).copied().collect(), completed },
        )
    }

    proptest! {
        #[test]
        fn finishing_is_allowed_exactly_when_every_readiness_check_passes(f in facts()) {
            prop_assert_eq!(requirement(Step::Finish, &f).is_ok(), readiness(&f).iter().all(|c| c.ok));
        }

        #[test]
        fn a_returning_owner_resumes_at_the_first_open_step(p in progress()) {
            let r = p.resume();
            prop_assert!(p.reachable(r));
            if r != Step::Finish || !p.is_done(Step::Finish) {
                prop_assert!(!p.is_done(r));
            }
            for s in Step::ALL.into_iter().take_while(|s| *s != r) {
                prop_assert!(p.is_done(s));
            }
        }

        #[test]
        fn skipping_never_undoes_a_completed_step(mut p in progress(), n in 1u8..=7) {
            let s = Step::from_number(n).unwrap();
            let before = p.completed.clone();
            let _ = p.skip(s);
            prop_assert_eq!(&p.completed, &before);
            prop_assert!(p.completed.is_disjoint(&p.skipped));
        }

        #[test]
        fn optional_steps_never_block_readiness(f in facts(), sitters in 0u32..3, pools in 0u32..3) {
            let g = Facts { sitter_numbers: sitters, pool_numbers: pools, ..f.clone() };
            prop_assert_eq!(requirement(Step::Finish, &f).is_ok(), requirement(Step::Finish, &g).is_ok());
        }
    }
}
