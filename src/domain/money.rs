//! Money: integer fen (分) everywhere, never a float.

use std::fmt;

use crate::error::FieldErrors;
use crate::i18n::Msg;

/// An amount of money in fen (1 yuan = 100 fen). Never negative where it is a price, a
/// budget or a grant; arithmetic is checked.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(transparent)]
pub struct Fen(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyError {
    Empty,
    /// Not a number of yuan with at most two decimals.
    Invalid,
    Negative,
    TooLarge,
}

impl MoneyError {
    pub fn key(self) -> &'static str {
        match self {
            MoneyError::Empty => "field.required",
            MoneyError::Invalid => "field.money_invalid",
            MoneyError::Negative => "field.money_negative",
            MoneyError::TooLarge => "field.money_too_large",
        }
    }
}

/// The product's money maximum: the largest amount accepted anywhere (a budget line, a
/// grant, a round's budget, a payment, a refund), one hundred million yuan (1亿元 = 10^10
/// fen). A district civil-affairs bureau's whole yearly venture-philanthropy budget is in the
/// millions of yuan and a single grant in the tens of thousands, so nothing real comes near
/// it, while sums of even 10^8 such amounts stay far inside `i64` (9.2 × 10^18): no total of
/// accepted amounts can overflow.
pub const MAX_FEN: i64 = 100_000_000 * 100;

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub fn from_yuan(yuan: i64) -> Fen {
        Fen(yuan * 100)
    }

    /// Parses what a person types as yuan: `50000`, `50,000.5`, `¥50,000.00`, `5万`, `5.5万元`.
    pub fn parse_yuan(input: &str) -> Result<Fen, MoneyError> {
        let mut s: String = input
            .trim()
            .chars()
            .filter(|c| !matches!(c, ',' | '，' | ' '))
            .collect();
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        for prefix in ['¥', '￥'] {
            if let Some(rest) = s.strip_prefix(prefix) {
                s = rest.to_string();
            }
        }
        if let Some(rest) = s.strip_suffix('元') {
            s = rest.to_string();
        }
        let wan = s.ends_with('万');
        if wan {
            s.pop();
        }
        if s.starts_with('-') {
            return Err(MoneyError::Negative);
        }
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s.as_str(), ""),
        };
        let max_frac = if wan { 6 } else { 2 };
        if int.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > max_frac
        {
            return Err(MoneyError::Invalid);
        }
        if int.len() > 12 {
            return Err(MoneyError::TooLarge);
        }
        let int: i64 = int.parse().map_err(|_| MoneyError::Invalid)?;
        let scale_digits = if wan { 6 } else { 2 }; // fen per unit: 万 = 10^6 fen
        let mut frac_padded = frac.to_string();
        while frac_padded.len() < scale_digits {
            frac_padded.push('0');
        }
        let frac_val: i64 = if frac_padded.is_empty() {
            0
        } else {
            frac_padded.parse().map_err(|_| MoneyError::Invalid)?
        };
        let unit = 10i64.pow(scale_digits as u32);
        let fen = int
            .checked_mul(unit)
            .and_then(|v| v.checked_add(frac_val))
            .ok_or(MoneyError::TooLarge)?;
        if fen > MAX_FEN {
            return Err(MoneyError::TooLarge);
        }
        Ok(Fen(fen))
    }

    /// An amount a person may give: `0..=MAX_FEN`.
    pub fn check(self) -> Result<Fen, MoneyError> {
        if self.0 < 0 {
            Err(MoneyError::Negative)
        } else if self.0 > MAX_FEN {
            Err(MoneyError::TooLarge)
        } else {
            Ok(self)
        }
    }

    /// `self + other`, clamped to the `i64` range instead of wrapping.
    pub fn saturating_add(self, other: Fen) -> Fen {
        Fen(self.0.saturating_add(other.0))
    }

    /// `self - other`, clamped to the `i64` range instead of wrapping.
    pub fn saturating_sub(self, other: Fen) -> Fen {
        Fen(self.0.saturating_sub(other.0))
    }

    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }

    /// `self × bp / 10000`, rounded down (bp = basis points, 1% = 100): what a cap allows
    /// (人员费用 ≤ 30% of the grant may not reach a fen above the exact share).
    pub fn share_bp(self, bp: i64) -> Fen {
        let v = (i128::from(self.0) * i128::from(bp)) / 10_000;
        Fen(v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
    }

    /// `self × bp / 10000` rounded half up to the fen (四舍五入): how a tranche's share of a
    /// grant is worked out in Chinese accounting (half a fen goes up, toward the larger
    /// amount).
    pub fn share_bp_half_up(self, bp: i64) -> Fen {
        let v = (i128::from(self.0) * i128::from(bp) + 5_000).div_euclid(10_000);
        Fen(v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
    }

    /// The amount as yuan for forms: `50000` or `50000.5`.
    pub fn yuan_input(self) -> String {
        let (y, f) = (self.0 / 100, self.0 % 100);
        match f {
            0 => y.to_string(),
            f if f % 10 == 0 => format!("{y}.{}", f / 10),
            f => format!("{y}.{f:02}"),
        }
    }
}

/// A whole number with thousands separators: 1234567 → `1,234,567`.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl fmt::Display for Fen {
    /// `¥50,000.00`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let neg = self.0 < 0;
        let abs = self.0.unsigned_abs();
        let (yuan, fen) = (abs / 100, abs % 100);
        let grouped = group_thousands(yuan);
        write!(f, "{}¥{grouped}.{fen:02}", if neg { "-" } else { "" })
    }
}

/// Totals never wrap: the amounts are added as `i128` and the total is clamped to the `i64`
/// range. Accepted amounts are at most `MAX_FEN`, so a real total is exact; a clamped one is
/// far above `MAX_FEN`, where every range check refuses it.
impl std::iter::Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        let total: i128 = iter.map(|f| i128::from(f.0)).sum();
        Fen(total.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
    }
}

impl<'a> std::iter::Sum<&'a Fen> for Fen {
    fn sum<I: Iterator<Item = &'a Fen>>(iter: I) -> Fen {
        iter.copied().sum()
    }
}

/// Adds the error for `field` when `amount` is not one a person may give (`Fen::check`).
pub fn check_field(e: &mut FieldErrors, field: &str, amount: Fen) {
    if let Err(err) = amount.check() {
        e.add(field, Msg::new(err.key()));
    }
}

/// The amounts of a grant's tranches (资金拨付期次), by shares in basis points that sum to
/// 10000: every tranche but the last is its share rounded half up to the fen (四舍五入,
/// [`Fen::share_bp_half_up`]), and the last takes the balance (尾款), so the amounts always
/// sum exactly to the total. Rounding up never takes a tranche past what is left of the total
/// (a tiny grant over many tranches): an earlier tranche then gets what is left and the later
/// ones nothing, never a negative amount. The rule is printed beside the schedule.
pub fn split_tranches(total: Fen, shares_bp: &[i64]) -> Vec<Fen> {
    let mut left = total;
    let mut parts = Vec::with_capacity(shares_bp.len());
    for (i, bp) in shares_bp.iter().enumerate() {
        let part = if i + 1 == shares_bp.len() {
            left
        } else {
            total.share_bp_half_up(*bp).min(left).max(Fen::ZERO)
        };
        left = left.saturating_sub(part);
        parts.push(part);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_what_people_type() {
        assert_eq!(Fen::parse_yuan("50000"), Ok(Fen(5_000_000)));
        assert_eq!(Fen::parse_yuan("50,000.5"), Ok(Fen(5_000_050)));
        assert_eq!(Fen::parse_yuan("¥50,000.00"), Ok(Fen(5_000_000)));
        assert_eq!(Fen::parse_yuan("5万"), Ok(Fen(5_000_000)));
        assert_eq!(Fen::parse_yuan("5.5万元"), Ok(Fen(5_500_000)));
        assert_eq!(Fen::parse_yuan("0.01"), Ok(Fen(1)));
        assert_eq!(Fen::parse_yuan(""), Err(MoneyError::Empty));
        assert_eq!(Fen::parse_yuan("-5"), Err(MoneyError::Negative));
        assert_eq!(Fen::parse_yuan("1.234"), Err(MoneyError::Invalid));
        assert_eq!(Fen::parse_yuan("abc"), Err(MoneyError::Invalid));
        assert_eq!(Fen::parse_yuan("1e5"), Err(MoneyError::Invalid));
        assert_eq!(Fen::parse_yuan("NaN"), Err(MoneyError::Invalid));
        assert_eq!(Fen::parse_yuan("100000001"), Err(MoneyError::TooLarge));
        assert_eq!(
            Fen::parse_yuan("99999999999999999999"),
            Err(MoneyError::TooLarge)
        );
    }

    #[test]
    fn the_overflow_finding_never_wraps() {
        let lines = [Fen(i64::MAX), Fen(i64::MAX), Fen(2)];
        let total: Fen = lines.iter().sum();
        assert_eq!(total, Fen(i64::MAX));
        assert_eq!(total.check(), Err(MoneyError::TooLarge));
        assert_eq!(Fen(i64::MAX).check(), Err(MoneyError::TooLarge));
        assert_eq!(Fen(MAX_FEN).check(), Ok(Fen(MAX_FEN)));
        assert_eq!(Fen(-1).check(), Err(MoneyError::Negative));
    }

    #[test]
    fn displays_with_grouping() {
        assert_eq!(Fen(5_000_000).to_string(), "¥50,000.00");
        assert_eq!(Fen(123_456_789).to_string(), "¥1,234,567.89");
        assert_eq!(Fen(5).to_string(), "¥0.05");
        assert_eq!(Fen(5_000_050).yuan_input(), "50000.5");
        assert_eq!(Fen(5_000_001).yuan_input(), "50000.01");
    }

    #[test]
    fn shares_round_half_up_to_the_fen() {
        // (amount, bp) → half up; the floor share of the caps beside it.
        for (fen, bp, half_up, floor) in [
            (1, 5000, 1, 0),                         // 0.5 fen
            (3, 5000, 2, 1),                         // 1.5 fen
            (5, 3000, 2, 1),                         // 1.5 fen
            (1, 4999, 0, 0),                         // 0.4999 fen
            (1, 3333, 0, 0),                         // 0.3333 fen
            (2, 2500, 1, 0),                         // 0.5 fen
            (100, 3333, 33, 33),                     // 33.33 fen
            (150, 3333, 50, 49),                     // 49.995 fen
            (3_333_333, 5000, 1_666_667, 1_666_666), // 1,666,666.5 fen
            (3_333_333, 3000, 1_000_000, 999_999),   // 999,999.9 fen
            (5_000_001, 3000, 1_500_000, 1_500_000), // 1,500,000.3 fen
            (0, 5000, 0, 0),
            (MAX_FEN, 10_000, MAX_FEN, MAX_FEN),
        ] {
            assert_eq!(
                Fen(fen).share_bp_half_up(bp),
                Fen(half_up),
                "{fen} × {bp}bp"
            );
            assert_eq!(Fen(fen).share_bp(bp), Fen(floor), "{fen} × {bp}bp, cap");
        }
    }

    #[test]
    fn tranches_round_half_up_and_the_last_takes_the_balance() {
        for (total, shares, expected) in [
            // 1,666,666.5 → 1,666,667 and 999,999.9 → 1,000,000; 尾款 666,666.
            (
                3_333_333,
                vec![5000, 3000, 2000],
                vec![1_666_667, 1_000_000, 666_666],
            ),
            // 3 tranches of 33.33% (the last 33.34%): 33,333.33 → 33,333 twice, 尾款 33,334.
            (
                10_000_000,
                vec![3333, 3333, 3334],
                vec![3_333_000, 3_333_000, 3_334_000],
            ),
            (100, vec![3333, 3333, 3334], vec![33, 33, 34]),
            (101, vec![3333, 3333, 3334], vec![34, 34, 33]), // 33.6633 → 34
            (1, vec![3333, 3333, 3334], vec![0, 0, 1]),
            // Exactly half a fen goes up.
            (1, vec![5000, 5000], vec![1, 0]),
            (3, vec![5000, 5000], vec![2, 1]),
            (
                5_000_001,
                vec![5000, 3000, 2000],
                vec![2_500_001, 1_500_000, 1_000_000],
            ),
            // Rounding up never takes more than is left, and no tranche goes negative.
            (2, vec![2500, 2500, 2500, 2500], vec![1, 1, 0, 0]),
            (1, vec![5000, 4999, 1], vec![1, 0, 0]),
            // One tranche, and nothing to split.
            (12_345, vec![10_000], vec![12_345]),
            (0, vec![5000, 3000, 2000], vec![0, 0, 0]),
        ] {
            let parts = split_tranches(Fen(total), &shares);
            let want: Vec<Fen> = expected.into_iter().map(Fen).collect();
            assert_eq!(parts, want, "{total} by {shares:?}");
        }
        assert_eq!(split_tranches(Fen(100), &[]), Vec::<Fen>::new());
    }

    proptest! {
        #[test]
        fn input_round_trips(fen in 0i64..MAX_FEN) {
            prop_assert_eq!(Fen::parse_yuan(&Fen(fen).yuan_input()), Ok(Fen(fen)));
            prop_assert_eq!(Fen::parse_yuan(&Fen(fen).to_string()), Ok(Fen(fen)));
        }

        #[test]
        fn sums_never_wrap(amounts in proptest::collection::vec(any::<i64>(), 0..20)) {
            let exact: i128 = amounts.iter().map(|a| i128::from(*a)).sum();
            let total: Fen = amounts.iter().map(|a| Fen(*a)).sum();
            if exact > i128::from(i64::MAX) {
                prop_assert_eq!(total, Fen(i64::MAX));
            } else if exact < i128::from(i64::MIN) {
                prop_assert_eq!(total, Fen(i64::MIN));
            } else {
                prop_assert_eq!(i128::from(total.0), exact);
            }
            if exact > i128::from(MAX_FEN) {
                prop_assert_eq!(total.check(), Err(MoneyError::TooLarge));
            }
        }

        #[test]
        fn accepted_amounts_sum_exactly(amounts in proptest::collection::vec(0..=MAX_FEN, 0..200)) {
            let total: Fen = amounts.iter().map(|a| Fen(*a)).sum();
            prop_assert_eq!(i128::from(total.0), amounts.iter().map(|a| i128::from(*a)).sum::<i128>());
        }

        #[test]
        fn splits_always_sum_to_the_total(total in 0i64..MAX_FEN, a in 0i64..=10_000, b in 0i64..=10_000) {
            prop_assume!(a + b <= 10_000);
            let parts = split_tranches(Fen(total), &[a, b, 10_000 - a - b]);
            prop_assert_eq!(parts.iter().map(|p| p.0).sum::<i64>(), total);
            prop_assert!(parts.iter().all(|p| p.0 >= 0));
            // Each tranche but the last is its exact share rounded half up (twice the
            // difference from the exact share, in fen × 10000, is within (-10000, 10000]),
            // unless nothing was left for it.
            let mut left = i128::from(total);
            for (part, bp) in parts.iter().zip([a, b]) {
                let exact = i128::from(total) * i128::from(bp);
                let diff = 2 * (i128::from(part.0) * 10_000 - exact);
                prop_assert!(
                    (-10_000 < diff && diff <= 10_000) || i128::from(part.0) == left,
                    "{} of {} at {}bp", part.0, total, bp
                );
                left -= i128::from(part.0);
            }
        }
    }
}
