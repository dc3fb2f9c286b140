//! Money as integer minor units plus an ISO 4217 currency: never a float.

use std::fmt;

/// An active ISO 4217 currency and the number of digits of its minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    minor_digits: u8,
}

/// Currencies whose minor unit is not two digits (ISO 4217, amendment 179).
const NON_TWO_DIGIT: &[(&str, u8)] = &[
    ("BHD", 3),
    ("BIF", 0),
    ("CLF", 4),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("IQD", 3),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("PYG", 0),
    ("RWF", 0),
    ("TND", 3),
    ("UGX", 0),
    ("UYI", 0),
    ("UYW", 4),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
];

/// Every active ISO 4217 code for a circulating currency (funds and precious metals excluded).
const CODES: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BHD",
    "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF",
    "CLF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP",
    "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD",
    "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY",
    "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD",
    "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK",
    "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK",
    "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG",
    "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS",
    "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYI", "UYU", "UYW",
    "UZS", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW",
    "ZWG",
];

impl Currency {
    /// The euro, the default currency of a node.
    pub const EUR: Currency = Currency {
        code: "EUR",
        minor_digits: 2,
    };

    /// Looks up an ISO 4217 code (upper case, three letters).
    pub fn from_code(code: &str) -> Option<Currency> {
        let code = *CODES.iter().find(|c| **c == code)?;
        let minor_digits = NON_TWO_DIGIT
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(2, |(_, d)| *d);
        Some(Currency { code, minor_digits })
    }

    /// The three-letter code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The Wikidata item of the currency, the `resourceConformsTo` of a FEP-0837 price
    /// (FEP-0837's own example names the US dollar as `Q4917`). `None` for currencies not mapped.
    pub fn wikidata(&self) -> Option<&'static str> {
        Some(match self.code {
            "EUR" => "https://www.wikidata.org/wiki/Q4916",
            "USD" => "https://www.wikidata.org/wiki/Q4917",
            "GBP" => "https://www.wikidata.org/wiki/Q25224",
            "CHF" => "https://www.wikidata.org/wiki/Q25344",
            "JPY" => "https://www.wikidata.org/wiki/Q8146",
            "CAD" => "https://www.wikidata.org/wiki/Q1104069",
            "AUD" => "https://www.wikidata.org/wiki/Q259502",
            "XPF" => "https://www.wikidata.org/wiki/Q214393",
            "XOF" => "https://www.wikidata.org/wiki/Q861690",
            "XAF" => "https://www.wikidata.org/wiki/Q847739",
            _ => return None,
        })
    }

    /// How many decimals an amount in this currency may have.
    pub fn minor_digits(&self) -> u8 {
        self.minor_digits
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

/// Why a price string was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PriceError {
    /// Not a plain decimal number such as `3.20`.
    Syntax,
    /// Below zero.
    Negative,
    /// More decimals than the currency's minor unit allows.
    TooManyDecimals {
        /// The decimals the currency allows.
        allowed: u8,
    },
    /// Too large to be stored.
    TooLarge,
}

impl fmt::Display for PriceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PriceError::Syntax => {
                f.write_str("must be a decimal number written as a string, such as \"3.20\"")
            }
            PriceError::Negative => f.write_str("must not be negative"),
            PriceError::TooManyDecimals { allowed: 0 } => {
                f.write_str("this currency has no minor unit: no decimals allowed")
            }
            PriceError::TooManyDecimals { allowed } => {
                write!(f, "at most {allowed} decimals for this currency")
            }
            PriceError::TooLarge => f.write_str("is too large"),
        }
    }
}

impl std::error::Error for PriceError {}

/// An amount of money: integer minor units of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    /// Amount in minor units (cents for EUR).
    pub minor: i64,
    /// The currency.
    pub currency: Currency,
}

/// Largest amount accepted, in minor units: far above any shop price, far below `i64::MAX`.
const MAX_MINOR: i64 = 1_000_000_000_000_000;

impl Money {
    /// Parses a decimal string (`"3.20"`, `"3.2"`, `"12"`) in the given currency.
    pub fn parse(text: &str, currency: Currency) -> Result<Money, PriceError> {
        let (negative, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (int_part, frac_part) = match body.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (body, None),
        };
        let digits_only = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits_only(int_part) || frac_part.is_some_and(|f| !digits_only(f)) {
            return Err(PriceError::Syntax);
        }
        let frac = frac_part.unwrap_or("");
        let allowed = currency.minor_digits as usize;
        if frac.len() > allowed {
            return Err(PriceError::TooManyDecimals {
                allowed: currency.minor_digits,
            });
        }
        let scale = 10i64.pow(currency.minor_digits as u32);
        let int: i64 = int_part
            .trim_start_matches('0')
            .parse::<i64>()
            .or_else(|e| {
                if int_part.bytes().all(|b| b == b'0') {
                    Ok(0)
                } else {
                    Err(e)
                }
            })
            .map_err(|_| PriceError::TooLarge)?;
        let mut frac_value: i64 = 0;
        for i in 0..allowed {
            let digit = frac.as_bytes().get(i).map_or(0, |b| (b - b'0') as i64);
            frac_value = frac_value * 10 + digit;
        }
        let minor = int
            .checked_mul(scale)
            .and_then(|v| v.checked_add(frac_value))
            .filter(|v| *v <= MAX_MINOR)
            .ok_or(PriceError::TooLarge)?;
        if negative && minor != 0 {
            return Err(PriceError::Negative);
        }
        Ok(Money { minor, currency })
    }

    /// The amount as a decimal string with exactly the currency's decimals (`"3.20"`).
    pub fn amount_string(&self) -> String {
        format_minor(self.minor, self.currency.minor_digits)
    }
}

/// Writes minor units as a decimal string with `digits` decimals.
pub fn format_minor(minor: i64, digits: u8) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    if digits == 0 {
        return format!("{sign}{abs}");
    }
    let scale = 10u64.pow(digits as u32);
    format!(
        "{sign}{}.{:0width$}",
        abs / scale,
        abs % scale,
        width = digits as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(s: &str) -> Result<i64, PriceError> {
        Money::parse(s, Currency::EUR).map(|m| m.minor)
    }

    #[test]
    fn prices_parse_to_minor_units() {
        assert_eq!(eur("3.20"), Ok(320));
        assert_eq!(eur("3.2"), Ok(320));
        assert_eq!(eur("3"), Ok(300));
        assert_eq!(eur("0"), Ok(0));
        assert_eq!(eur("0.05"), Ok(5));
        assert_eq!(eur("000.5"), Ok(50));
    }

    #[test]
    fn bad_prices_are_refused_with_a_reason() {
        assert_eq!(
            eur("3.205"),
            Err(PriceError::TooManyDecimals { allowed: 2 })
        );
        assert_eq!(eur("-1"), Err(PriceError::Negative));
        for bad in [
            "", "3,20", "abc", "1e3", ".5", "5.", " 3", "+3", "NaN", "3.2.1",
        ] {
            assert_eq!(eur(bad), Err(PriceError::Syntax), "{bad}");
        }
        assert_eq!(eur("99999999999999999999"), Err(PriceError::TooLarge));
    }

    #[test]
    fn minor_units_follow_the_currency() {
        let jpy = Currency::from_code("JPY").unwrap();
        assert_eq!(Money::parse("150", jpy).unwrap().minor, 150);
        assert!(Money::parse("1.5", jpy).is_err());
        let tnd = Currency::from_code("TND").unwrap();
        assert_eq!(Money::parse("1.250", tnd).unwrap().amount_string(), "1.250");
        assert!(Currency::from_code("XXX").is_none());
        assert!(Currency::from_code("eur").is_none());
    }

    #[test]
    fn amounts_come_back_exactly() {
        let m = Money::parse("3.20", Currency::EUR).unwrap();
        assert_eq!(m.amount_string(), "3.20");
        assert_eq!(format_minor(5, 2), "0.05");
        assert_eq!(format_minor(7, 0), "7");
    }
}
