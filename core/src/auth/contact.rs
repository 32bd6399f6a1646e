//! Email addresses and phone numbers, checked and normalised before any request.

use serde::{Deserialize, Serialize};

use crate::error::BuildError;

/// Two-digit E.164 country calling codes; `1` and `7` are the one-digit ones and
/// every other code has three digits (ITU-T E.164 assignments).
const TWO_DIGIT_CODES: &[u16] = &[
    20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56,
    57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
];

fn country_code_len(digits: &str) -> usize {
    let two: u16 = digits.get(..2).and_then(|d| d.parse().ok()).unwrap_or(0);
    match digits.as_bytes().first() {
        Some(b'1' | b'7') => 1,
        _ if TWO_DIGIT_CODES.contains(&two) => 2,
        _ => 3,
    }
}

fn invalid(field: &'static str, reason: &str) -> BuildError {
    BuildError::InvalidInput {
        field,
        reason: reason.to_owned(),
    }
}

/// A phone number in CloudBase's form `+CC NNNN` (docs/protocol/auth.md §1: country code, one
/// space, national number).
///
/// Accepted input: that form; `+` and digits without the space (split by the real
/// E.164 country-code length, unlike the JS SDK, which splits after at most two
/// digits and turns `+85212345678` into `+85 212345678`); spaces and `-` between
/// digits; or bare digits, taken as a mainland China number (`+86`, the JS SDK's
/// default).
///
/// ```
/// use cloudbase_core::auth::Phone;
///
/// assert_eq!(Phone::parse("+8613800138000")?.as_str(), "+86 13800138000");
/// assert_eq!(Phone::parse("+85212345678")?.as_str(), "+852 12345678");
/// assert_eq!(Phone::parse("+1 415-555-0100")?.as_str(), "+1 4155550100");
/// assert_eq!(Phone::parse("13800138000")?.as_str(), "+86 13800138000");
/// assert!(Phone::parse("+86 12ab").is_err());
/// # Ok::<(), cloudbase_core::BuildError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    /// Checks and normalises a phone number.
    pub fn parse(input: &str) -> Result<Self, BuildError> {
        let s = input.trim();
        let (explicit_plus, rest) = match s.strip_prefix('+') {
            Some(r) => (true, r),
            None => (false, s),
        };
        if rest.is_empty()
            || !rest
                .chars()
                .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
        {
            return Err(invalid("phone", "use digits, optionally as +CC NNNN"));
        }
        let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        let (cc, national) = if !explicit_plus {
            ("86".to_owned(), digits)
        } else if let Some((cc, national)) = rest
            .split_once(' ')
            .filter(|(cc, _)| (1..=3).contains(&cc.len()) && cc.bytes().all(|b| b.is_ascii_digit()))
        {
            // The caller said where the country code ends.
            (
                cc.to_owned(),
                national.chars().filter(char::is_ascii_digit).collect(),
            )
        } else {
            let n = country_code_len(&digits);
            (
                digits[..n.min(digits.len())].to_owned(),
                digits[n.min(digits.len())..].to_owned(),
            )
        };
        if !(4..=14).contains(&national.len()) || cc.len() + national.len() > 15 {
            return Err(invalid(
                "phone",
                "the national number must have 4 to 14 digits (15 in all)",
            ));
        }
        if cc.starts_with('0') {
            return Err(invalid("phone", "a country code never starts with 0"));
        }
        Ok(Self(format!("+{cc} {national}")))
    }

    /// The normalised `+CC NNNN` text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address, checked for the obvious: one `@`, a non-empty local part, a
/// dotted domain, no spaces or control characters, at most 254 characters.
///
/// ```
/// use cloudbase_core::auth::Email;
/// assert_eq!(Email::parse(" ada@example.com ")?.as_str(), "ada@example.com");
/// assert!(Email::parse("ada@localhost").is_err());
/// # Ok::<(), cloudbase_core::BuildError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Checks an email address.
    pub fn parse(input: &str) -> Result<Self, BuildError> {
        let s = input.trim();
        let bad = |reason| Err(invalid("email", reason));
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return bad("too long, or contains spaces or control characters");
        }
        let Some((local, domain)) = s.split_once('@') else {
            return bad("missing '@'");
        };
        if local.is_empty() || local.len() > 64 || domain.contains('@') {
            return bad("the part before '@' must be 1 to 64 characters, with one '@'");
        }
        if !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return bad("the domain must look like example.com");
        }
        Ok(Self(s.to_owned()))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a verification code goes: an email address or a phone number.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Contact {
    /// An email address.
    Email(Email),
    /// A phone number.
    Phone(Phone),
}

impl Contact {
    /// An email address if the text contains `@`, else a phone number (the JS SDK's
    /// rule).
    ///
    /// ```
    /// use cloudbase_core::auth::Contact;
    /// assert!(matches!(Contact::parse("a@b.co")?, Contact::Email(_)));
    /// assert!(matches!(Contact::parse("+86 13800138000")?, Contact::Phone(_)));
    /// # Ok::<(), cloudbase_core::BuildError>(())
    /// ```
    pub fn parse(input: &str) -> Result<Self, BuildError> {
        if input.contains('@') {
            Email::parse(input).map(Contact::Email)
        } else {
            Phone::parse(input).map(Contact::Phone)
        }
    }

    /// The text sent on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Contact::Email(e) => e.as_str(),
            Contact::Phone(p) => p.as_str(),
        }
    }

    /// The body field name: `email` or `phone_number`.
    pub fn field(&self) -> &'static str {
        match self {
            Contact::Email(_) => "email",
            Contact::Phone(_) => "phone_number",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn phones() {
        let cases = [
            ("+86 13800138000", "+86 13800138000"),
            ("+8613800138000", "+86 13800138000"),
            ("+852 12345678", "+852 12345678"),
            ("+85212345678", "+852 12345678"),
            ("+4930123456", "+49 30123456"),
            ("+79161234567", "+7 9161234567"),
            ("+1-415-555-0100", "+1 4155550100"),
            ("138 0013 8000", "+86 13800138000"),
        ];
        for (input, want) in cases {
            assert_eq!(
                Phone::parse(input).map(|p| p.0).ok().as_deref(),
                Some(want),
                "{input}"
            );
        }
        for bad in [
            "",
            "+",
            "+86",
            "+86 123",
            "abc",
            "+86 1380013800a",
            "+0 12345678",
            "++8612345678",
            &format!("+86{}", "1".repeat(14)),
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn emails() {
        for ok in ["a@b.co", "first.last+tag@sub.example.org"] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "a", "@b.co", "a@", "a@b", "a@@b.co", "a b@c.co", "a@.b.co", "a@b.co.", "a@b..co",
            "a\n@b.co",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn normalised_phones_are_fixed_points(cc in 1u16..1000, national in "[1-9][0-9]{5,10}") {
            let input = format!("+{cc}{national}");
            if let Ok(p) = Phone::parse(&input) {
                prop_assert_eq!(Phone::parse(p.as_str()).ok(), Some(p.clone()));
                let (code, rest) = p.as_str()[1..].split_once(' ').unwrap_or(("", ""));
                prop_assert_eq!(format!("{code}{rest}"), format!("{cc}{national}"));
            }
        }
    }
}
