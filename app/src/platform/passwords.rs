//! Password rules for every account (owners, sitters): at least 10
//! characters, not blank, and not easy to guess — common passwords,
//! keyboard walks, repeats and the person's own name or email are scored
//! by zxcvbn, whose dictionaries ship inside the crate.

/// Shortest password accepted.
pub const MIN_CHARS: usize = crate::domain::accounts::MIN_PASSWORD;

/// zxcvbn's score runs 0–4; 3 is "safely unguessable" against throttled
/// online attacks and slow offline ones.
const MIN_SCORE: u8 = 3;

/// Why `password` can't be used, in the words the form shows; `personal`
/// holds the person's name and email, which a password mustn't lean on.
pub fn check(password: &str, personal: &[&str]) -> Result<(), String> {
    if password.trim().is_empty() {
        return Err(format!("Choose a password of at least {MIN_CHARS} characters; spaces alone don't count."));
    }
    if password.chars().count() < MIN_CHARS {
        return Err(format!("Use at least {MIN_CHARS} characters for the password."));
    }
    if password.chars().count() > 200 {
        return Err("Use at most 200 characters for the password.".into());
    }
    // The person's own words ("riley", "owner", "paws"), as zxcvbn matches
    // single words: a password made of them is easy to guess for anyone
    // who knows them.
    let words: Vec<String> = personal
        .iter()
        .flat_map(|p| p.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_lowercase)
        .collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    if made_of(password, &words) {
        return Err(
            "Don't build the password from your name, email or business name: they're the first thing anyone guesses."
                .into(),
        );
    }
    // Scoring that fails (a panic on some odd input) refuses rather than
    // letting an unchecked password through.
    let Ok(entropy) = std::panic::catch_unwind(|| zxcvbn::zxcvbn(password, &words)) else {
        return Err("This password can't be checked. Choose another one.".into());
    };
    if u8::from(entropy.score()) >= MIN_SCORE {
        return Ok(());
    }
    let why = entropy
        .feedback()
        .and_then(|f| f.warning().map(|w| w.to_string()))
        .unwrap_or_else(|| "This password is too easy to guess.".into());
    let why = why.trim_end_matches('.');
    Err(format!("{why}. Try a few unrelated words, or a longer phrase only you would think of."))
}

/// Whether the password's letters are nothing but the person's own words
/// run together ("RileyOwner1" for Riley Owner), whatever digits or
/// symbols are around them.
fn made_of(password: &str, words: &[&str]) -> bool {
    let letters: Vec<char> = password.chars().filter(|c| c.is_alphabetic()).flat_map(char::to_lowercase).collect();
    if letters.is_empty() || words.is_empty() {
        return false;
    }
    // covered[i]: the first i letters are a run of the words.
    let mut covered = vec![false; letters.len() + 1];
    covered[0] = true;
    for i in 0..letters.len() {
        if !covered[i] {
            continue;
        }
        for w in words {
            let w: Vec<char> = w.chars().filter(|c| c.is_alphabetic()).collect();
            if !w.is_empty() && letters[i..].starts_with(&w) {
                covered[i + w.len()] = true;
            }
        }
    }
    covered[letters.len()]
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn short_blank_and_common_passwords_are_refused() {
        for p in ["", "          ", "short", "password123", "password1234", "qwertyuiop", "1234567890", "aaaaaaaaaaaa"]
        {
            assert!(check(p, &[]).is_err(), "{p:?} was accepted");
        }
    }

    #[test]
    fn what_the_sign_up_test_tries_is_refused() {
        for p in ["qwertyuiop12", "RileyOwner1", "password1234", "paws-riley-2026!"] {
            assert!(check(p, &["Riley Owner", "riley@paws.co", "Paws & Co"]).is_err(), "{p:?}");
        }
    }

    #[test]
    fn a_password_built_on_the_persons_name_is_refused() {
        assert!(check("OliviaGrant1", &["Olivia Grant", "olivia@pawsandwhiskers.com"]).is_err());
    }

    #[test]
    fn long_unusual_passwords_are_accepted() {
        for p in ["walkies at the riverside 7", "copper-kettle-marmot-42", "Tz8#pLq2!vWm"] {
            assert_eq!(check(p, &[]), Ok(()), "{p:?}");
        }
    }

    #[test]
    fn the_reason_is_a_sentence() {
        let e = check("password1234", &[]).unwrap_err();
        assert!(e.ends_with("only you would think of."), "{e}");
    }
}
