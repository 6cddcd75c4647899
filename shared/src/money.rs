//! Money: integer minor units plus an ISO 4217 currency. Never floats.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Largest amount accepted anywhere: 10^15 minor units (10 trillion yuan).
/// Far above any real deal, far below `i64::MAX`, so sums of a few thousand
/// deals in a report cannot overflow.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amount must not be negative")]
    Negative,
    #[error("amount is too large")]
    TooLarge,
    #[error("not an amount")]
    Invalid,
    #[error("too many decimals")]
    TooManyDecimals,
    #[error("currency must be a three-letter ISO 4217 code")]
    Currency,
}

impl MoneyError {
    /// Stable code used in API errors.
    pub fn code(self) -> &'static str {
        match self {
            MoneyError::Negative => "amount_negative",
            MoneyError::TooLarge => "amount_too_large",
            MoneyError::Invalid => "amount_invalid",
            MoneyError::TooManyDecimals => "amount_too_many_decimals",
            MoneyError::Currency => "currency_invalid",
        }
    }

    /// What to tell the person who typed the amount.
    pub fn message(self) -> crate::Localized {
        let (zh, en) = match self {
            MoneyError::Negative => ("金额不能为负数", "The amount cannot be negative"),
            MoneyError::TooLarge => ("金额过大", "The amount is too large"),
            MoneyError::TooManyDecimals => (
                "小数位过多：最多精确到分（两位小数）",
                "Too many decimals: at most two (cents)",
            ),
            MoneyError::Invalid | MoneyError::Currency => (
                "请填写金额，例如 1,200,000、120万 或 1.2亿",
                "Enter an amount such as 1,200,000, 120万 or 1.2亿",
            ),
        };
        crate::Localized::new(zh, en)
    }
}

/// An ISO 4217 code such as `CNY`. One currency per deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    pub const CNY: Currency = Currency(*b"CNY");

    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let bytes = code.as_bytes();
        match bytes {
            [a, b, c] if bytes.iter().all(u8::is_ascii_uppercase) => Ok(Currency([*a, *b, *c])),
            _ => Err(MoneyError::Currency),
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ever built from three ASCII uppercase letters.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Minor units per major unit. CNY, USD, EUR: 100; JPY, KRW: 1.
    pub fn minor_per_major(self) -> i64 {
        match &self.0 {
            b"JPY" | b"KRW" | b"VND" => 1,
            _ => 100,
        }
    }

    /// The symbol shown before an amount.
    pub fn symbol(self) -> &'static str {
        match &self.0 {
            b"CNY" | b"JPY" => "¥",
            b"USD" => "$",
            b"EUR" => "€",
            _ => "",
        }
    }
}

impl Default for Currency {
    fn default() -> Self {
        Currency::CNY
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Currency::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A non-negative amount in minor units (fen for CNY). In JSON a bare
/// integer, like Stripe: 1,000,000 CNY is `100000000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
#[serde(transparent)]
pub struct Money(i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn from_minor(minor: i64) -> Result<Self, MoneyError> {
        if minor < 0 {
            Err(MoneyError::Negative)
        } else if minor > MAX_AMOUNT {
            Err(MoneyError::TooLarge)
        } else {
            Ok(Money(minor))
        }
    }

    /// Whole major units (yuan), for constants and tests.
    pub fn from_major(major: i64, currency: Currency) -> Result<Self, MoneyError> {
        major
            .checked_mul(currency.minor_per_major())
            .ok_or(MoneyError::TooLarge)
            .and_then(Money::from_minor)
    }

    pub fn minor(self) -> i64 {
        self.0
    }

    /// Parses what a person types, in either language: `1,234,567.89`,
    /// `1234567`, `¥1,200,000`, `¥ 1 000`, `120万`, `1.2亿`, `１２０万元`.
    /// At most as many decimals as the currency has (after 万 / 亿 scale
    /// them); each way to be wrong has its own error.
    pub fn parse_major(text: &str, currency: Currency) -> Result<Self, MoneyError> {
        // Full-width digits and points as typed by a Chinese input method.
        let cleaned: String = text
            .chars()
            .map(|c| match c {
                '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
                '．' | '。' => '.',
                '－' => '-',
                c => c,
            })
            .filter(|c| {
                !matches!(
                    c,
                    ',' | ' ' | '_' | '¥' | '￥' | '$' | '€' | '，' | '\u{a0}' | '\u{3000}' | '元'
                )
            })
            .collect();
        let (number, scale): (&str, i64) = if let Some(n) = cleaned.strip_suffix('万') {
            (n, 10_000)
        } else if let Some(n) = cleaned.strip_suffix('亿') {
            (n, 100_000_000)
        } else {
            (&cleaned, 1)
        };
        if number.is_empty() {
            return Err(MoneyError::Invalid);
        }
        if number.starts_with('-') {
            return Err(MoneyError::Negative);
        }
        let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
        let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && frac.is_empty()) || !digits_only(whole) || !digits_only(frac) {
            return Err(MoneyError::Invalid);
        }
        // Exact: minor units = whole × unit + frac × unit / 10^len(frac),
        // where unit is the minor units of one typed unit (1 yuan, 1 万…).
        let frac = frac.trim_end_matches('0');
        let unit = scale * currency.minor_per_major();
        let mut over: i64 = 1;
        for _ in 0..frac.len() {
            over = over.checked_mul(10).ok_or(MoneyError::TooManyDecimals)?;
        }
        if unit % over != 0 {
            return Err(MoneyError::TooManyDecimals);
        }
        let number = |s: &str| -> Result<i64, MoneyError> {
            match s.trim_start_matches('0') {
                "" => Ok(0),
                s => s.parse().map_err(|_| MoneyError::TooLarge),
            }
        };
        number(whole)?
            .checked_mul(unit)
            .and_then(|w| w.checked_add(number(frac).ok()?.checked_mul(unit / over)?))
            .ok_or(MoneyError::TooLarge)
            .and_then(Money::from_minor)
    }

    /// `1,234,567.89` (no symbol); whole amounts drop the decimals.
    pub fn format_major(self, currency: Currency) -> String {
        let per = currency.minor_per_major();
        let whole = self.0 / per;
        let frac = self.0 % per;
        let digits = whole.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        if frac == 0 {
            grouped
        } else {
            format!("{grouped}.{frac:02}")
        }
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let minor = i64::deserialize(d)?;
        Money::from_minor(minor).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_million_yuan_is_one_hundred_million_fen() {
        let m = Money::from_major(1_000_000, Currency::CNY).unwrap();
        assert_eq!(m.minor(), 100_000_000);
        assert_eq!(serde_json::to_string(&m).unwrap(), "100000000");
    }

    #[test]
    fn negative_and_oversized_amounts_are_refused() {
        assert_eq!(Money::from_minor(-1), Err(MoneyError::Negative));
        assert_eq!(Money::from_minor(MAX_AMOUNT + 1), Err(MoneyError::TooLarge));
        assert!(serde_json::from_str::<Money>("-5").is_err());
        assert!(serde_json::from_str::<Money>("1.5").is_err());
    }

    #[test]
    fn typed_amounts_parse_with_separators_and_at_most_two_decimals() {
        let cny = Currency::CNY;
        assert_eq!(
            Money::parse_major("1,234,567.89", cny).unwrap().minor(),
            123_456_789
        );
        assert_eq!(
            Money::parse_major("¥ 300000", cny).unwrap().minor(),
            30_000_000
        );
        assert_eq!(Money::parse_major("0.5", cny).unwrap().minor(), 50);
        assert_eq!(
            Money::parse_major("1.234", cny),
            Err(MoneyError::TooManyDecimals)
        );
        assert_eq!(Money::parse_major("abc", cny), Err(MoneyError::Invalid));
        assert_eq!(Money::parse_major("-3", cny), Err(MoneyError::Negative));
        assert_eq!(Money::parse_major("", cny), Err(MoneyError::Invalid));
        assert_eq!(
            Money::parse_major("99999999999999999999", cny),
            Err(MoneyError::TooLarge)
        );
    }

    #[test]
    fn formatting_groups_thousands_and_drops_zero_decimals() {
        let cny = Currency::CNY;
        assert_eq!(
            Money::from_minor(123_456_789).unwrap().format_major(cny),
            "1,234,567.89"
        );
        assert_eq!(
            Money::from_minor(100_000_000).unwrap().format_major(cny),
            "1,000,000"
        );
        assert_eq!(Money::ZERO.format_major(cny), "0");
        assert_eq!(Money::from_minor(5).unwrap().format_major(cny), "0.05");
    }

    #[test]
    fn currency_codes_are_three_uppercase_letters() {
        assert_eq!(Currency::parse("CNY").unwrap(), Currency::CNY);
        assert!(Currency::parse("cny").is_err());
        assert!(Currency::parse("CN").is_err());
        assert!(serde_json::from_str::<Currency>("\"YUAN\"").is_err());
    }

    #[test]
    fn amounts_typed_in_either_language_parse_to_the_same_minor_units() {
        let cny = Currency::CNY;
        let fen = |t: &str| Money::parse_major(t, cny).map(Money::minor);
        for typed in [
            "1200000",
            "1,200,000",
            "120万",
            "0.012亿",
            "¥1,200,000",
            "￥1,200,000元",
            "１２０万",
            "1，200，000",
            "120 万",
        ] {
            assert_eq!(fen(typed), Ok(120_000_000), "{typed}");
        }
        assert_eq!(fen("1.2亿"), Ok(12_000_000_000));
        assert_eq!(fen("1.23456万"), Ok(1_234_560));
        assert_eq!(fen("1.2345678万"), Err(MoneyError::TooManyDecimals));
        assert_eq!(fen("12.345"), Err(MoneyError::TooManyDecimals));
        assert_eq!(fen("-5万"), Err(MoneyError::Negative));
        assert_eq!(fen("99999999999亿"), Err(MoneyError::TooLarge));
        assert_eq!(fen("万"), Err(MoneyError::Invalid));
        assert_eq!(fen("1.2.3"), Err(MoneyError::Invalid));
        assert_eq!(fen("12万3"), Err(MoneyError::Invalid));
    }
}
