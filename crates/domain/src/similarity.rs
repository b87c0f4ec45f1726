//! Name similarity, one home for the two name comparisons: OFAC screening
//! ([`crate::sanctions`]) and the reconciliation engine's counterparty names. Both score tokens
//! with Jaro-Winkler ([`jaro_winkler`]) and both discount tokens of very different lengths the
//! same way ([`length_penalised`]).

/// `score` discounted for tokens of very different lengths. Jaro-Winkler is generous to them
/// (`SMITH` scores 0.71 against `MERRIWEATHER`: every letter of the short one finds a partner
/// in the long one's window), so a length ratio `short / long` under 0.9 costs up to 30 %.
/// Lengths are counted by the caller (bytes or characters, as it tokenises).
#[inline]
pub fn length_penalised(score: f64, short: usize, long: usize) -> f64 {
    let ratio = short.min(long) as f64 / short.max(long) as f64;
    if ratio < 0.9 {
        score * (1.0 - 0.3 * (0.9 - ratio) / 0.9)
    } else {
        score
    }
}

/// Jaro-Winkler similarity, the same arithmetic as `strsim::jaro_winkler` (so the same scores),
/// without its per-call allocation for tokens of up to 64 bytes of ASCII (every name token is
/// ASCII upper case in the matcher); anything else goes to `strsim`. It runs for every
/// candidate pair of the amount + date + name pass, where an allocation per call was most of
/// the cost at a million investments.
#[inline]
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    const MAX: usize = 64;
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if !a.is_ascii() || !b.is_ascii() || a.len() > MAX || b.len() > MAX {
        return strsim::jaro_winkler(
            std::str::from_utf8(a).unwrap_or_default(),
            std::str::from_utf8(b).unwrap_or_default(),
        );
    }
    let (a_len, b_len) = (a.len(), b.len());
    let sim = if a_len == 0 && b_len == 0 {
        1.0
    } else if a_len == 0 || b_len == 0 {
        0.0
    } else {
        let search_range = (a_len.max(b_len) / 2).saturating_sub(1);
        let mut a_flags = [false; MAX];
        let mut b_flags = [false; MAX];
        let mut matches = 0_usize;
        for (i, a_elem) in a.iter().enumerate() {
            let min_bound = i.saturating_sub(search_range);
            let max_bound = b_len.min(i + search_range + 1);
            for j in min_bound..max_bound {
                if *a_elem == b[j] && !b_flags[j] {
                    a_flags[i] = true;
                    b_flags[j] = true;
                    matches += 1;
                    break;
                }
            }
        }
        let mut transpositions = 0_usize;
        if matches != 0 {
            let mut k = 0;
            for i in 0..a_len {
                if a_flags[i] {
                    while !b_flags[k] {
                        k += 1;
                    }
                    if a[i] != b[k] {
                        transpositions += 1;
                    }
                    k += 1;
                }
            }
        }
        transpositions /= 2;
        if matches == 0 {
            0.0
        } else {
            ((matches as f64 / a_len as f64)
                + (matches as f64 / b_len as f64)
                + ((matches - transpositions) as f64 / matches as f64))
                / 3.0
        }
    };
    if sim > 0.7 {
        let prefix_length = a.iter().take(4).zip(b).take_while(|(x, y)| x == y).count();
        sim + 0.1 * prefix_length as f64 * (1.0 - sim)
    } else {
        sim
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jaro_winkler_equals_strsim() {
        let words = [
            "",
            "A",
            "AB",
            "JOHN",
            "JON",
            "JONH",
            "MICHAEL",
            "MICHEAL",
            "SMITH",
            "SMYTHE",
            "ALEXANDRA",
            "ALEXANDRIA",
            "DIXON",
            "DICKSONX",
            "MARTHA",
            "MARHTA",
            "DWAYNE",
            "DUANE",
            "NGUYEN",
            "NGUYENVANANHTHEQUICKBROWNFOXJUMPSOVERTHELAZYDOGANDKEEPSGOINGON",
        ];
        for a in words {
            for b in words {
                assert_eq!(
                    jaro_winkler(a, b).to_bits(),
                    strsim::jaro_winkler(a, b).to_bits(),
                    "{a} / {b}"
                );
            }
        }
    }

    #[test]
    fn length_penalty_spares_similar_lengths_and_costs_up_to_30_percent() {
        assert_eq!(length_penalised(0.8, 9, 10), 0.8);
        assert_eq!(length_penalised(0.8, 10, 9), 0.8);
        assert!((length_penalised(1.0, 1, 1000) - 0.7003).abs() < 1e-3);
    }
}
